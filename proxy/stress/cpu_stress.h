#pragma once
// CPU stress for `cpu` faults: burner threads off the event loops. Each period (10 ms) a
// burner spins for its duty share and sleeps the rest, so `cores` x `load_percent` of CPU is
// consumed. The runtime applies the "cpu" Demand (amount = cores, intensity = load percent)
// whenever the set of active cpu experiments may have changed (publish, pause/resume, halt,
// expiry); stopping takes effect within one period (well under the 100 ms halt budget).
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "proxy/stress/background_stress.h"

namespace faultline::proxy {

class CpuStress final : public BackgroundStress {
 public:
  CpuStress() = default;
  ~CpuStress() override;  // stops and joins every burner
  CpuStress(const CpuStress&) = delete;
  CpuStress& operator=(const CpuStress&) = delete;

  // cores <= 0 or load_percent <= 0 stops everything. Fractional cores spread the work over
  // ceil(cores) threads. Not thread-safe against itself: call from one thread (the runtime).
  void set_target(double cores, double load_percent);
  // Burner threads running now (metric faultline_cpu_stress_workers); any thread may call.
  int workers() const override { return workers_.load(std::memory_order_relaxed); }

  std::string_view name() const override { return "cpu"; }
  void apply(const faults::Demand& demand) override { set_target(demand.amount, demand.intensity); }
  void stop() override { set_target(0, 0); }

 private:
  void stop_all();
  void burn(double duty);

  std::vector<std::thread> threads_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> workers_{0};
  double cores_ = 0;
  double load_ = 0;
};

}  // namespace faultline::proxy
