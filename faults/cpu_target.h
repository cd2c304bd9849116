#pragma once
// How much CPU stress the active experiments ask for. The runtime recomputes this when a
// snapshot is published, on pause/resume/halt and periodically (expiry), and hands the result
// to proxy::CpuStress::set_target.
#include "faults/snapshot.h"
#include "faults/time.h"

namespace faultline::faults {

struct CpuTarget {
  double cores = 0;         // threads' worth of CPU, <= safety.max_cpu_cores
  double load_percent = 0;  // duty cycle of each of those cores
  bool idle() const { return cores <= 0 || load_percent <= 0; }
  friend bool operator==(const CpuTarget&, const CpuTarget&) = default;
};

// Sums cpu faults of experiments that are active (not paused, not expired, not dry_run) unless
// halted. Several experiments add their work (cores x load); the cores are capped at
// safety.max_cpu_cores and the load is the work spread over those cores.
CpuTarget cpu_target(const Snapshot& snapshot, TimePoint now);

}  // namespace faultline::faults
