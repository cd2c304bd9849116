#pragma once
// Arms a one-shot libuv timer that must not fire before `ms` of real time: fault delays
// (stall, slow_close) promise "at least this long", and so does a connect timeout. Latency
// faults also want to be on time: precise_timers.h.
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

}  // namespace faultline::proxy
