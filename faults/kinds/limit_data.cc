// limit_data (TCP): close the connection cleanly (FIN both ways) once `bytes` went through a
// direction; the bytes up to the limit are relayed.
#include "faults/kinds/common.h"

namespace faultline::faults {
namespace {

void compile_limit_data(ParamReader& reader, const KindContext& context, CompiledFault& out) {
  const auto bytes = kinds::byte_count(reader, "bytes", 1);
  const auto direction = reader.choice("direction", {"upstream", "downstream", "both"});
  if (!bytes && !reader.has("bytes"))
    reader.error("bytes", "missing key: limit_data needs bytes (a count >= 1)");
  kinds::require_tcp(reader, context, "limit_data");
  if (!reader.ok()) return;
  Primitive primitive;
  primitive.op = Op::kLimitData;
  primitive.after_bytes = *bytes;
  primitive.direction = kinds::direction_from(direction.value_or("downstream"));
  out.primitives.push_back(primitive);
  out.annotation = kinds::annotation("limit_data", std::to_string(*bytes), context.source);
}

}  // namespace

extern const FaultKind kLimitDataKind{"limit_data", true, compile_limit_data};

}  // namespace faultline::faults
