#pragma once
// A one-shot timeout that a session re-arms on every request (header, response and idle
// timeouts) without touching libuv's timer heap each time. start() only records the new due
// time when the libuv timer is already armed to fire earlier; when it fires early, it re-arms
// for what is left. On the keep-alive path that turns five heap updates per request into
// roughly one per timeout period. stop() forgets the due time; the libuv timer may still fire
// once, into nothing.
//
// The callback gets the libuv handle with `data` as set by the owner, like a plain uv_timer_t,
// and runs no earlier than `ms` after start() by the loop clock (start_at_least: by the real
// clock, see timer_at_least.h).
#include <uv.h>

#include <cstdint>
#include <limits>
#include <type_traits>

namespace faultline::proxy {

class LazyTimer {
 public:
  void init(uv_loop_t* loop, void* data, uv_timer_cb callback) {
    uv_timer_init(loop, &timer_);
    timer_.data = data;
    callback_ = callback;
  }

  void start(uint64_t ms) {
    due_ = uv_now(timer_.loop) + ms;
    if (armed_ <= due_ && uv_is_active(handle())) return;  // fires first, then re-arms
    arm(ms);
  }

  // As start(), but never before `ms` of real time (fault delays, connect timeouts).
  void start_at_least(uint64_t ms) {
    uv_update_time(timer_.loop);
    start(ms + 1);
  }

  void stop() { due_ = kNever; }
  bool pending() const { return due_ != kNever; }

  // For uv_close: the owner closes the handle with its own close callback.
  uv_handle_t* handle() { return reinterpret_cast<uv_handle_t*>(&timer_); }

 private:
  static constexpr uint64_t kNever = std::numeric_limits<uint64_t>::max();

  void arm(uint64_t ms) {
    armed_ = due_;
    uv_timer_start(&timer_, on_fire, ms, 0);
  }

  static void on_fire(uv_timer_t* t) {
    // timer_ is the first member: the handle's address is the LazyTimer's.
    auto* self = reinterpret_cast<LazyTimer*>(t);
    self->armed_ = kNever;
    if (self->due_ == kNever) return;
    const uint64_t now = uv_now(t->loop);
    if (now < self->due_) {
      self->arm(self->due_ - now);
      return;
    }
    self->due_ = kNever;
    self->callback_(t);
  }

  uv_timer_t timer_{};  // first member (on_fire relies on it)
  uv_timer_cb callback_ = nullptr;
  uint64_t due_ = kNever;    // loop time at which the callback is due; kNever when stopped
  uint64_t armed_ = kNever;  // loop time the libuv timer is armed for
};

}  // namespace faultline::proxy

static_assert(std::is_standard_layout_v<faultline::proxy::LazyTimer>,
              "LazyTimer::on_fire casts the handle back to the LazyTimer");
