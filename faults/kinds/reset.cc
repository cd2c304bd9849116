// reset: TCP RST to the client at accept (phase = connect), instead of forwarding
// (phase = request, HTTP only), after `after_bytes` of the response (phase = response), or
// `delay` after the first bytes of `direction` arrive, those bytes dropped (phase = data, TCP
// only: Toxiproxy's reset_peer). On an HTTP/2 stream: RST_STREAM with `code` instead.
#include "faults/kinds/common.h"

namespace faultline::faults {
namespace {

void compile_reset(ParamReader& reader, const KindContext& context, CompiledFault& out) {
  const auto phase = reader.choice("phase", {"connect", "request", "response", "data"});
  const auto after_bytes = reader.integer("after_bytes");
  const auto delay = reader.duration("delay");
  const auto direction = reader.choice("direction", {"upstream", "downstream", "both"});
  // HTTP/2 streams are reset with RST_STREAM(code) instead of a TCP RST (SPEC §8).
  const auto code = reader.choice("code", FAULTLINE_H2_CODE_NAMES);
  if (after_bytes && *after_bytes < 0)
    reader.error("after_bytes", "expected a byte count >= 0, got " + std::to_string(*after_bytes));
  // Without a phase: after_bytes implies the response; otherwise the earliest point the
  // listener's protocol knows (the request on HTTP, the accept on TCP).
  std::string effective =
      phase.value_or(after_bytes ? "response" : (context.on_tcp ? "connect" : "request"));
  if (effective == "request" && context.on_tcp)
    reader.error("phase",
                 "phase \"request\" applies to http listeners; on tcp use \"connect\" "
                 "or \"response\"" +
                     (context.tcp_remedy.empty() ? std::string()
                                                 : " (" + std::string(context.tcp_remedy) + ")"));
  if (after_bytes && effective != "response")
    reader.error("after_bytes", "after_bytes applies to phase = \"response\" only");
  if (effective == "data" && context.on_http)
    reader.error("phase",
                 "phase \"data\" applies to tcp listeners only; this experiment runs on an http "
                 "listener (set listeners = [...] to tcp listeners)");
  for (const char* key : {"delay", "direction"})
    if (reader.has(key) && effective != "data")
      reader.error(key, std::string(key) + " applies to phase = \"data\" only");
  if (delay) kinds::check_max_delay(reader, {"delay"}, *delay, context, "delay");
  if (!reader.ok()) return;

  Primitive primitive;
  primitive.op = Op::kReset;
  primitive.code = kinds::h2_code_from(code.value_or("internal_error"));
  if (effective == "connect") {
    primitive.reset_point = ResetPoint::kConnect;
    out.at_connect = true;
  } else if (effective == "data") {
    primitive.reset_point = ResetPoint::kData;
    primitive.amount = delay.value_or(config::Duration{0});
    primitive.direction = kinds::direction_from(direction.value_or("both"));
  } else if (effective == "response") {
    primitive.reset_point = ResetPoint::kResponse;
    primitive.after_bytes = static_cast<uint64_t>(after_bytes.value_or(0));
  } else {
    primitive.reset_point = ResetPoint::kRequest;
  }
  out.primitives.push_back(primitive);
  out.terminal = true;
  out.annotation = kinds::annotation("reset", effective, context.source);
}

// x-chaos-reset: request | response (a request exists by then, so not "connect").
constexpr std::string_view kResetHeaderPhases[] = {"request", "response"};
constexpr HeaderParam kResetHeaders[] = {
    {"phase", "x-chaos-reset", "\"request\" or \"response\"", {}, kResetHeaderPhases},
};
constexpr HeaderTrigger kResetTrigger{kResetHeaders, /*terminal=*/true};

}  // namespace

extern const FaultKind kResetKind{"reset", true, compile_reset, &kResetTrigger};

}  // namespace faultline::faults
