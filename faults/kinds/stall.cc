// stall: hold the request (HTTP) or stop relaying (TCP), send nothing, then close.
// duration = 0 means "until the client gives up", still bounded by safety.max_delay so a
// forgotten experiment cannot pin connections forever.
#include "faults/kinds/common.h"

namespace faultline::faults {
namespace {

void compile_stall(ParamReader& reader, const KindContext& context, CompiledFault& out) {
  const auto duration = reader.duration("duration");
  if (duration && !kinds::check_max_delay(reader, {"duration"}, *duration, context, "stall"))
    return;
  if (!reader.ok()) return;
  const config::Duration held =
      duration.value_or(config::Duration{0}).count() == 0 ? context.safety.max_delay : *duration;
  Primitive primitive;
  primitive.op = Op::kStall;
  primitive.amount = held;
  out.primitives.push_back(primitive);
  out.terminal = true;
  out.annotation = kinds::annotation("stall", config::format_duration(held), context.source);
}

constexpr HeaderParam kStallHeaders[] = {
    {"duration", "x-chaos-stall", "a duration like \"5s\" or milliseconds"},
};
constexpr HeaderTrigger kStallTrigger{kStallHeaders, /*terminal=*/true};

}  // namespace

extern const FaultKind kStallKind{"stall", true, compile_stall, &kStallTrigger};

}  // namespace faultline::faults
