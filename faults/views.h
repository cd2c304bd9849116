#pragma once
// Read-only views for the admin API and metrics: state and summed counters per experiment.
#include <vector>

#include "faults/counters.h"
#include "faults/snapshot.h"
#include "faults/time.h"

namespace faultline::faults {

struct ExperimentView {
  const CompiledExperiment* experiment = nullptr;  // valid while the snapshot is pinned
  ExperimentStatus status = ExperimentStatus::kActive;
  ExperimentTotals counters;  // per kind index: kind_name(i)
  uint32_t active_requests = 0;
};

std::vector<ExperimentView> experiment_views(const Snapshot& snapshot, TimePoint now);
// Header-trigger counters: injected per kind (source "header"), rejected per reason
// (reject_reason_name).
inline HeaderTotals header_totals(const RunState& run) {
  return run.header_counters.sum();
}
// Envoy fault headers: injected per kind (source "envoy-header").
inline HeaderTotals envoy_header_totals(const RunState& run) {
  return run.envoy_counters.sum();
}

}  // namespace faultline::faults
