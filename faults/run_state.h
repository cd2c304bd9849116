#pragma once
// Mutable run state shared by every snapshot: the kill switch and header-trigger counters
// (RunState), and per-experiment pause flag, active-request count and counters
// (ExperimentRun), which the snapshot builder carries over by experiment name so reloads and
// API edits neither reset counters nor un-pause experiments.
#include <atomic>
#include <cstdint>

#include "faults/counters.h"

namespace faultline::faults {

class ExperimentRun {
 public:
  explicit ExperimentRun(unsigned workers) : counters(workers) {}
  ExperimentRun(const ExperimentRun&) = delete;
  ExperimentRun& operator=(const ExperimentRun&) = delete;

  bool paused() const { return paused_.load(std::memory_order_relaxed); }
  void set_paused(bool paused) { paused_.store(paused, std::memory_order_relaxed); }
  // start = "paused": created paused with its clock not started; the first resume starts it
  // (the snapshot is rebuilt then, see build_snapshot).
  bool held() const { return held_.load(std::memory_order_relaxed); }
  void set_held(bool held) { held_.store(held, std::memory_order_relaxed); }

  // max_active: takes a slot when fewer than `max` requests are being faulted.
  bool try_acquire(uint32_t max) {
    uint32_t current = active_.load(std::memory_order_relaxed);
    while (current < max) {
      if (active_.compare_exchange_weak(current, current + 1, std::memory_order_relaxed))
        return true;
    }
    return false;
  }
  void release() { active_.fetch_sub(1, std::memory_order_relaxed); }
  uint32_t active() const { return active_.load(std::memory_order_relaxed); }

  ExperimentCounters counters;

 private:
  std::atomic<bool> paused_{false};
  std::atomic<bool> held_{false};
  std::atomic<uint32_t> active_{0};
};

class RunState {
 public:
  // `workers`: number of worker threads (resolved, > 0); sizes every counter array.
  explicit RunState(unsigned workers)
      : workers_(workers ? workers : 1), header_counters(workers_), envoy_counters(workers_) {}
  RunState(const RunState&) = delete;
  RunState& operator=(const RunState&) = delete;

  unsigned workers() const { return workers_; }
  // Kill switch: decide() and decide_connect() return empty plans, header triggers are
  // ignored, background_demand() is idle. The proxy also releases delayed/stalled requests.
  bool halted() const { return halted_.load(std::memory_order_acquire); }
  void set_halted(bool halted) { halted_.store(halted, std::memory_order_release); }

 private:
  unsigned workers_;
  std::atomic<bool> halted_{false};

 public:
  HeaderCounters header_counters;
  HeaderCounters envoy_counters;  // Envoy fault headers: injected only (rejections count above)
};

}  // namespace faultline::faults
