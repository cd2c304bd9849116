// blackhole (TCP): read a direction's bytes and drop them; close the connection
// `close_after` after accept (0 = never: until a side closes or the idle timeout).
// Toxiproxy's `timeout` toxic is this.
#include "faults/kinds/common.h"

namespace faultline::faults {
namespace {

void compile_blackhole(ParamReader& reader, const KindContext& context, CompiledFault& out) {
  const auto close_after = reader.duration("close_after");
  const auto direction = reader.choice("direction", {"upstream", "downstream", "both"});
  kinds::require_tcp(reader, context, "blackhole");
  if (close_after)
    kinds::check_max_delay(reader, {"close_after"}, *close_after, context, "close_after");
  if (!reader.ok()) return;
  Primitive primitive;
  primitive.op = Op::kBlackhole;
  primitive.amount = close_after.value_or(config::Duration{0});
  primitive.direction = kinds::direction_from(direction.value_or("both"));
  out.primitives.push_back(primitive);
  out.annotation = kinds::annotation("blackhole", direction.value_or("both"), context.source);
}

}  // namespace

extern const FaultKind kBlackholeKind{"blackhole", true, compile_blackhole};

}  // namespace faultline::faults
