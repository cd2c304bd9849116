#include "faults/background.h"

#include <algorithm>

#include "faults/snapshot.h"

namespace faultline::faults {

Demand background_demand(const Snapshot& snapshot, std::string_view stress, TimePoint now) {
  Demand demand;
  if (!snapshot.any_background || snapshot.run->halted()) return demand;
  double amount = 0, work = 0, cap = 0;  // work in units of amount
  bool capped = false;
  for (const CompiledExperiment& experiment : snapshot.experiments) {
    if (!experiment.has_background || experiment.dry_run) continue;
    if (experiment.status(now) != ExperimentStatus::kActive) continue;
    for (const CompiledFault& fault : experiment.faults) {
      if (!fault.background || fault.background->stress != stress) continue;
      const BackgroundLoad& load = *fault.background;
      amount += load.amount;
      demand.ramp = std::max(demand.ramp, load.ramp);
      work += load.amount * load.intensity / 100.0;
      // Every fault of a snapshot compiled against the same safety table: one cap.
      cap = capped ? std::min(cap, load.cap) : load.cap;
      capped = true;
    }
  }
  if (amount <= 0) return Demand{};
  demand.amount = std::min(amount, cap);
  work = std::min(work, demand.amount);
  demand.intensity = work / demand.amount * 100.0;
  return demand;
}

}  // namespace faultline::faults
