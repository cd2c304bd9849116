#include "faults/views.h"

namespace faultline::faults {

std::vector<ExperimentView> experiment_views(const Snapshot& snapshot, TimePoint now) {
  std::vector<ExperimentView> views;
  views.reserve(snapshot.experiments.size());
  for (const CompiledExperiment& experiment : snapshot.experiments) {
    views.push_back({&experiment, experiment.status(now), experiment.run->counters.sum(),
                     experiment.run->active()});
  }
  return views;
}

}  // namespace faultline::faults
