#pragma once
// Faults that run while their experiment is active rather than per request (cpu today): the
// payload a kind compiles into, and the demand the active experiments add up to per stress.
// The proxy's BackgroundStress named by `stress` turns a Demand into load
// (proxy/stress/background_stress.h); neither side knows which stresses exist.
#include <string_view>

#include "config/value.h"
#include "faults/time.h"

namespace faultline::faults {

struct Snapshot;

// One background fault, as its kind compiled it.
struct BackgroundLoad {
  std::string_view stress;   // the stress that runs it ("cpu"): a string literal of the kind
  double amount = 0;         // how much of the resource, in the stress's unit (cpu: cores)
  double intensity = 100;    // percent of `amount` used (cpu: load)
  double cap = 0;            // safety cap on the summed amount (cpu: safety.max_cpu_cores)
  config::Duration ramp{0};  // how long the stress takes to reach `amount` (memory: ramp)
};

// What one stress should do now.
struct Demand {
  double amount = 0;         // summed over active experiments, <= the cap
  double intensity = 0;      // the summed work (amount x intensity) spread over `amount`, percent
  config::Duration ramp{0};  // the longest ramp of the loads summed
  bool idle() const { return amount <= 0 || intensity <= 0; }
  friend bool operator==(const Demand&, const Demand&) = default;
};

// Sums the `stress` loads of experiments that are active (not paused, not expired, not
// dry_run) unless halted. Several experiments add their work (amount x intensity); the amount
// is capped and the intensity is the work spread over the capped amount. The runtime
// recomputes this when a snapshot is published, on pause/resume/halt and periodically (expiry).
Demand background_demand(const Snapshot& snapshot, std::string_view stress, TimePoint now);

}  // namespace faultline::faults
