// cpu: burn `cores` at `load` percent on threads off the event loop while the experiment is
// active (see faults/background.h and proxy/stress/cpu_stress.h). Not a per-request fault.
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
  BackgroundLoad& background = out.background.emplace();
  background.stress = "cpu";
  background.amount = cores.value_or(std::min(1.0, max));
  background.intensity = load.value_or(100);
  background.cap = max;
  out.annotation = kinds::annotation(
      "cpu", format_number(background.amount) + "x" + format_number(background.intensity) + "%",
      context.source);
}

}  // namespace

extern const FaultKind kCpuKind{"cpu", false, compile_cpu};

}  // namespace faultline::faults
