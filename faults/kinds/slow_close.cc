// slow_close: wait before closing the client connection after the response / stream end.
#include "faults/kinds/common.h"

namespace faultline::faults {
namespace {

void compile_slow_close(ParamReader& reader, const KindContext& context, CompiledFault& out) {
  const auto delay = reader.duration("delay");
  if (!delay && !reader.has("delay"))
    reader.error("delay", "missing key: slow_close needs a delay");
  if (delay) kinds::check_max_delay(reader, {"delay"}, *delay, context, "delay");
  if (!reader.ok()) return;
  Primitive primitive;
  primitive.op = Op::kDelayClose;
  primitive.amount = *delay;
  out.primitives.push_back(primitive);
  out.annotation = kinds::annotation("slow_close", config::format_duration(*delay), context.source);
}

}  // namespace

extern const FaultKind kSlowCloseKind{"slow_close", true, compile_slow_close};

}  // namespace faultline::faults
