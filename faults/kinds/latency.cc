// latency: wait before forwarding (phase = request) or before relaying the response
// (phase = response) on HTTP; delay each chunk in `direction` on TCP. `distribution` shapes
// the draw (faults/latency_distribution.h); delay + jitter must fit safety.max_delay, and
// the rare longer draws of normal and lognormal are capped at it.
#include "faults/kinds/common.h"

namespace faultline::faults {
namespace {

void compile_latency(ParamReader& reader, const KindContext& context, CompiledFault& out) {
  const auto delay = reader.duration("delay");
  const auto jitter = reader.duration("jitter");
  const auto phase = reader.choice("phase", {"request", "response"});
  const auto direction = reader.choice("direction", {"upstream", "downstream", "both"});
  // SPEC §12; config only (no header sets it: x-chaos-jitter stays uniform).
  const auto distribution = reader.choice("distribution", {"uniform", "normal", "lognormal"});
  if (!delay && !reader.has("delay")) reader.error("delay", "missing key: latency needs a delay");
  if (phase && !context.on_http)
    reader.error("phase", "phase applies to http listeners; use direction on tcp listeners");
  if (direction && !context.on_tcp)
    reader.error("direction", "direction applies to tcp listeners; use phase on http listeners");
  const LatencyDistribution shape = parse_latency_distribution(distribution.value_or("uniform"))
                                        .value_or(LatencyDistribution::kUniform);
  if (delay && delay->count() == 0 && shape == LatencyDistribution::kLognormal)
    reader.error("delay", "a lognormal latency needs a delay above 0 (delay is its median)");
  if (!delay) return;
  const config::Duration spread = jitter.value_or(config::Duration{0});
  // Saturating: a wrapped-around sum would slip under safety.max_delay.
  const config::Duration longest = config::saturating_add(*delay, spread);
  if (!kinds::check_max_delay(reader, {"delay", "jitter"}, longest, context, "delay + jitter"))
    return;

  Primitive primitive;
  primitive.op = Op::kDelay;
  primitive.amount = *delay;
  primitive.jitter = spread;
  primitive.distribution = shape;
  primitive.phase = phase.value_or("request") == "response" ? Phase::kResponse : Phase::kRequest;
  primitive.direction = kinds::direction_from(direction.value_or("both"));
  out.primitives.push_back(primitive);
  out.annotation = kinds::annotation("latency", config::format_duration(*delay), context.source);
}

// x-chaos-delay and x-chaos-jitter; jitter alone is a delay of 0 plus jitter.
constexpr HeaderParam kLatencyHeaders[] = {
    {"delay", "x-chaos-delay", "a duration like \"250ms\" or milliseconds", "0"},
    {"jitter", "x-chaos-jitter", "a duration like \"100ms\" or milliseconds"},
};
constexpr HeaderTrigger kLatencyTrigger{kLatencyHeaders};

}  // namespace

extern const FaultKind kLatencyKind{"latency", true, compile_latency, &kLatencyTrigger};

}  // namespace faultline::faults
