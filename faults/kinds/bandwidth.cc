// bandwidth: throttle a body (HTTP) or a stream (TCP); the response side by default.
#include "faults/kinds/common.h"

namespace faultline::faults {
namespace {

void compile_bandwidth(ParamReader& reader, const KindContext& context, CompiledFault& out) {
  const auto rate = reader.rate("rate");
  const auto direction = reader.choice("direction", {"upstream", "downstream", "both"});
  if (!rate && !reader.has("rate"))
    reader.error("rate", "missing key: bandwidth needs a rate like \"16KiB/s\"");
  if (rate && rate->bytes_per_second == 0)
    reader.error("rate", "rate must be above 0 (remove the fault to stop throttling)");
  if (!reader.ok()) return;
  Primitive primitive;
  primitive.op = Op::kThrottle;
  primitive.rate = rate->bytes_per_second;
  primitive.direction = kinds::direction_from(direction.value_or("downstream"));
  out.primitives.push_back(primitive);
  out.annotation = kinds::annotation("bandwidth", config::format_rate(*rate), context.source);
}

// x-chaos-bandwidth: <rate>, on the response (the kind's default direction).
constexpr HeaderParam kBandwidthHeaders[] = {
    {"rate", "x-chaos-bandwidth", "a rate above 0 like \"16KiB/s\""},
};
constexpr HeaderTrigger kBandwidthTrigger{kBandwidthHeaders};

}  // namespace

extern const FaultKind kBandwidthKind{"bandwidth", true, compile_bandwidth, &kBandwidthTrigger};

}  // namespace faultline::faults
