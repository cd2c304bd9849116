// cpu: burn `cores` at `load` percent on threads off the event loop while the experiment is
// active (see faults/cpu_target.h and proxy/cpu_stress.h). Not a per-request fault.
#include <cmath>

#include "faults/kinds/common.h"

namespace faultline::faults {
namespace {

std::string format_number(double value) {
  std::string text = std::to_string(value);
  while (!text.empty() && text.back() == '0') text.pop_back();
  if (!text.empty() && text.back() == '.') text.pop_back();
  return text;
}

void compile_cpu(ParamReader& reader, const KindContext& context, CompiledFault& out) {
  const auto cores = reader.number("cores");
  const auto load = reader.number("load");
  const double max = context.safety.max_cpu_cores;
  if (cores && !(*cores > 0))
    reader.error("cores", "expected a number of cores above 0, got " + format_number(*cores));
  else if (cores && *cores > max)
    reader.error("cores", "cores " + format_number(*cores) + " exceeds safety.max_cpu_cores (" +
                              format_number(max) + ")");
  if (load && !(*load >= 1 && *load <= 100))
    reader.error("load", "expected a load of 1..100 (percent), got " + format_number(*load));
  if (!reader.ok()) return;
  out.per_request = false;
  out.cpu_cores = cores.value_or(std::min(1.0, max));
  out.cpu_load = load.value_or(100);
  out.annotation = kinds::annotation(
      "cpu", format_number(out.cpu_cores) + "x" + format_number(out.cpu_load) + "%",
      context.source);
}

}  // namespace

extern const FaultKind kCpuKind{"cpu", false, compile_cpu};

}  // namespace faultline::faults
