// slice (TCP): relay a direction's bytes in pieces of `average_size` +/- `size_variation`
// bytes, `delay` apart (at least 1 ms, so that each piece is its own segment).
#include "faults/kinds/common.h"

namespace faultline::faults {
namespace {

void compile_slice(ParamReader& reader, const KindContext& context, CompiledFault& out) {
  const auto average = kinds::byte_count(reader, "average_size", 1);
  const auto variation = kinds::byte_count(reader, "size_variation", 0);
  const auto delay = reader.duration("delay");
  const auto direction = reader.choice("direction", {"upstream", "downstream", "both"});
  if (!average && !reader.has("average_size"))
    reader.error("average_size", "missing key: slice needs average_size (bytes >= 1)");
  if (average && variation && *variation >= *average)
    reader.error("size_variation",
                 "size_variation must be below average_size (" + std::to_string(*average) + ")");
  kinds::require_tcp(reader, context, "slice");
  if (delay) kinds::check_max_delay(reader, {"delay"}, *delay, context, "delay");
  if (!reader.ok()) return;
  Primitive primitive;
  primitive.op = Op::kSlice;
  primitive.after_bytes = *average;
  primitive.size_variation = variation.value_or(0);
  primitive.amount = delay.value_or(config::Duration{0});
  primitive.direction = kinds::direction_from(direction.value_or("downstream"));
  out.primitives.push_back(primitive);
  out.annotation = kinds::annotation("slice", std::to_string(*average), context.source);
}

}  // namespace

extern const FaultKind kSliceKind{"slice", true, compile_slice};

}  // namespace faultline::faults
