#include "faults/counters.h"

#include <algorithm>

namespace faultline::faults {

uint64_t ExperimentTotals::injected_total() const {
  uint64_t total = 0;
  for (uint64_t count : injected) total += count;
  return total;
}

ExperimentCounters::ExperimentCounters(unsigned workers)
    : workers_(std::max(1u, workers)), slots_(new ExperimentCounterSlot[workers_]) {}

ExperimentTotals ExperimentCounters::sum() const {
  ExperimentTotals totals;
  for (unsigned w = 0; w < workers_; ++w) {
    const ExperimentCounterSlot& slot = slots_[w];
    totals.matched += slot.matched.load(std::memory_order_relaxed);
    for (size_t k = 0; k < kMaxKinds; ++k) {
      totals.injected[k] += slot.injected[k].load(std::memory_order_relaxed);
      totals.dry_run[k] += slot.dry_run[k].load(std::memory_order_relaxed);
    }
  }
  return totals;
}

std::string_view reject_reason_name(RejectReason reason) {
  switch (reason) {
    case RejectReason::kToken:
      return "token";
    case RejectReason::kSource:
      return "source";
    case RejectReason::kInvalid:
      return "invalid";
    case RejectReason::kUnknownExperiment:
      return "unknown_experiment";
    case RejectReason::kEnvoyInvalid:
      return "envoy_invalid";
  }
  return "unknown";
}

HeaderCounters::HeaderCounters(unsigned workers)
    : workers_(std::max(1u, workers)), slots_(new HeaderCounterSlot[workers_]) {}

HeaderTotals HeaderCounters::sum() const {
  HeaderTotals totals;
  for (unsigned w = 0; w < workers_; ++w) {
    for (size_t k = 0; k < kMaxKinds; ++k)
      totals.injected[k] += slots_[w].injected[k].load(std::memory_order_relaxed);
    for (size_t r = 0; r < kRejectReasons; ++r)
      totals.rejected[r] += slots_[w].rejected[r].load(std::memory_order_relaxed);
  }
  return totals;
}

}  // namespace faultline::faults
