#pragma once
// Arms a one-shot libuv timer that must not fire before `ms` of real time: fault delays
// (latency, stall, slow_close) promise "at least this long", and so does a connect timeout.
// libuv measures timers against a loop clock cached at the start of the iteration and truncated
// to whole milliseconds, so a 300 ms timer armed late in a busy iteration can fire after 299.x ms.
// Refreshing the clock and adding the truncated millisecond keeps the promise. The clock read is
// paid on fault paths and per upstream connect only, not per pass-through request.
#include <uv.h>

#include <cstdint>

namespace faultline::proxy {

inline void start_timer_at_least(uv_timer_t* timer, uv_timer_cb callback, uint64_t ms) {
  uv_update_time(timer->loop);
  uv_timer_start(timer, callback, ms + 1, 0);
}

// A latency fault also wants to be on time: with ms + 1, libuv's poll timeout (counted from the
// truncated clock) made a 10 ms delay take 11.1 ms at p50 (tests/bench, BENCH_LATENCY=1). Armed
// with `ms`, the timer is on time when the loop next polls within the same millisecond, and up
// to 1 ms early when a busy loop checks its timers after a millisecond boundary; so its
// callback first calls still_early() with the deadline this returns (uv_hrtime microseconds),
// which waits out the rest.
inline uint64_t start_timer_on_time(uv_timer_t* timer, uv_timer_cb callback, uint64_t ms) {
  uv_update_time(timer->loop);
  uv_timer_start(timer, callback, ms, 0);
  return uv_hrtime() / 1000 + ms * 1000;
}

// True, with the timer re-armed for what is left, while `deadline_us` is still ahead.
inline bool still_early(uv_timer_t* timer, uv_timer_cb callback, uint64_t deadline_us) {
  const uint64_t now_us = uv_hrtime() / 1000;
  if (now_us >= deadline_us) return false;
  start_timer_at_least(timer, callback, (deadline_us - now_us - 1) / 1000);
  return true;
}

}  // namespace faultline::proxy
