#pragma once
// Waits that end on time to the tens of microseconds, for latency faults. libuv's timers count
// whole milliseconds of a clock read once per loop iteration: a busy loop finds a 10 ms timer
// due up to 1 ms early, and one armed never to be early (ms + 1, or re-armed for the rest) ends
// up to 1 ms late, +0.6 ms at p50 under 2,000 requests/s (tests/bench, BENCH_LATENCY=1). Here one
// timerfd per loop (CLOCK_MONOTONIC, uv_hrtime's clock, absolute time) is armed for the earliest
// deadline of a binary heap of waits, and the loop polls it like a socket.
#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace faultline::proxy {

class PreciseTimers;

// One wait, embedded in whatever waits (a session); it leaves its queue when destroyed.
class PreciseWait {
 public:
  using Callback = void (*)(PreciseWait& wait);
  PreciseWait(Callback callback, void* data) : data(data), callback_(callback) {}
  ~PreciseWait() { cancel(); }
  PreciseWait(const PreciseWait&) = delete;
  PreciseWait& operator=(const PreciseWait&) = delete;

  bool pending() const { return owner_ != nullptr; }
  void cancel();

  void* const data;  // for the callback

 private:
  friend class PreciseTimers;
  static constexpr size_t kNotQueued = SIZE_MAX;
  Callback callback_;
  uint64_t deadline_ns_ = 0;
  size_t index_ = kNotQueued;  // position in the owner's heap
  PreciseTimers* owner_ = nullptr;
};

class PreciseTimers {
 public:
  PreciseTimers() = default;
  PreciseTimers(const PreciseTimers&) = delete;
  PreciseTimers& operator=(const PreciseTimers&) = delete;

  // On the loop's thread. The handle does not keep the loop alive.
  int start(uv_loop_t* loop);
  // Closes the timerfd's handle (uv_close); waits still queued never fire.
  void close();

  // `wait` ends `ms` milliseconds from now (re-queued if it was pending): its callback runs
  // on the loop, not before that moment, and as soon after it as the loop gets to it.
  void start(PreciseWait& wait, uint64_t ms);
  size_t queued() const { return heap_.size(); }

 private:
  friend class PreciseWait;
  static void on_readable(uv_poll_t* poll, int status, int events);
  void remove(PreciseWait& wait);
  void rearm();
  void sift_up(size_t i);
  void sift_down(size_t i);
  void place(size_t i, PreciseWait* wait);

  std::vector<PreciseWait*> heap_;  // earliest deadline first
  int fd_ = -1;
  uv_poll_t poll_{};
  uint64_t armed_ns_ = 0;  // what the timerfd is set to (0: disarmed)
};

}  // namespace faultline::proxy
