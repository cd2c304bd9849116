// memory: hold `size` bytes, allocated and touched off the event loop over `ramp`, while the
// experiment is active (SPEC §12; proxy/stress/memory_stress.h). Not a per-request fault.
#include "faults/kinds/common.h"

namespace faultline::faults {
namespace {

void compile_memory(ParamReader& reader, const KindContext& context, CompiledFault& out) {
  const auto size_text = reader.string("size");
  const auto ramp = reader.duration("ramp");
  const config::ByteSize max = context.safety.max_memory;
  std::optional<config::ByteSize> size;
  if (!size_text && !reader.has("size")) {
    reader.error("size", "missing key: memory needs a size like \"256MiB\"");
  } else if (size_text) {
    auto parsed = config::parse_size(*size_text);
    if (!parsed)
      reader.error("size", "expected a size like \"256MiB\" (" + parsed.error() + ")");
    else if (parsed->bytes == 0)
      reader.error("size", "expected a size above 0");
    else if (parsed->bytes > max.bytes)
      reader.error("size", "size " + config::format_size(*parsed) + " exceeds safety.max_memory (" +
                               config::format_size(max) + ")");
    else
      size = *parsed;
  }
  if (!reader.ok() || !size) return;
  BackgroundLoad& background = out.background.emplace();
  background.stress = "memory";
  background.amount = static_cast<double>(size->bytes);
  background.intensity = 100;
  background.cap = static_cast<double>(max.bytes);
  background.ramp = ramp.value_or(config::Duration{0});
  out.annotation = kinds::annotation("memory", config::format_size(*size), context.source);
}

}  // namespace

extern const FaultKind kMemoryKind{"memory", false, compile_memory};

}  // namespace faultline::faults
