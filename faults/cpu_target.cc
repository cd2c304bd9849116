#include "faults/cpu_target.h"

#include <algorithm>

namespace faultline::faults {

CpuTarget cpu_target(const Snapshot& snapshot, TimePoint now) {
  CpuTarget target;
  if (!snapshot.any_cpu || snapshot.run->halted()) return target;
  double cores = 0, work = 0;  // work in core-equivalents
  for (const CompiledExperiment& experiment : snapshot.experiments) {
    if (!experiment.has_cpu || experiment.dry_run) continue;
    if (experiment.status(now) != ExperimentStatus::kActive) continue;
    for (const CompiledFault& fault : experiment.faults) {
      if (fault.per_request) continue;
      cores += fault.cpu_cores;
      work += fault.cpu_cores * fault.cpu_load / 100.0;
    }
  }
  if (cores <= 0) return target;
  const double max = snapshot.config->safety.max_cpu_cores;
  target.cores = std::min(cores, max);
  work = std::min(work, target.cores);
  target.load_percent = work / target.cores * 100.0;
  return target;
}

}  // namespace faultline::faults
