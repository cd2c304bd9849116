#include "proxy/io/precise_timers.h"

#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

namespace faultline::proxy {

void PreciseWait::cancel() {
  if (owner_) owner_->remove(*this);
}

int PreciseTimers::start(uv_loop_t* loop) {
  fd_ = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (fd_ < 0) return -errno;
  if (int rc = uv_poll_init(loop, &poll_, fd_); rc != 0) {
    ::close(fd_);
    fd_ = -1;
    return rc;
  }
  poll_.data = this;
  uv_poll_start(&poll_, UV_READABLE, on_readable);
  uv_unref(reinterpret_cast<uv_handle_t*>(&poll_));
  return 0;
}

void PreciseTimers::close() {
  for (PreciseWait* w : heap_) {
    w->owner_ = nullptr;
    w->index_ = PreciseWait::kNotQueued;
  }
  heap_.clear();
  if (fd_ < 0) return;
  uv_close(reinterpret_cast<uv_handle_t*>(&poll_), [](uv_handle_t* h) {
    auto* self = static_cast<PreciseTimers*>(h->data);
    ::close(self->fd_);
    self->fd_ = -1;
  });
}

void PreciseTimers::start(PreciseWait& wait, uint64_t ms) {
  if (wait.owner_) remove(wait);
  wait.deadline_ns_ = uv_hrtime() + ms * 1'000'000;
  wait.owner_ = this;
  heap_.push_back(&wait);
  wait.index_ = heap_.size() - 1;
  sift_up(wait.index_);
  // A later deadline than the one armed is picked up when that one fires.
  if (heap_.front() == &wait) rearm();
}

void PreciseTimers::remove(PreciseWait& wait) {
  const size_t i = wait.index_;
  PreciseWait* last = heap_.back();
  heap_.pop_back();
  if (last != &wait) {
    place(i, last);
    sift_up(i);
    sift_down(last->index_);
  }
  wait.owner_ = nullptr;
  wait.index_ = PreciseWait::kNotQueued;
  // The timerfd may still be armed for it: that wake-up finds nothing due and re-arms.
}

void PreciseTimers::rearm() {
  if (heap_.empty() || fd_ < 0) return;
  const uint64_t due = heap_.front()->deadline_ns_;
  if (armed_ns_ != 0 && armed_ns_ <= due) return;  // that wake-up re-arms for this one
  itimerspec at{};
  at.it_value.tv_sec = static_cast<time_t>(due / 1'000'000'000);
  at.it_value.tv_nsec = static_cast<long>(due % 1'000'000'000);
  // Absolute on CLOCK_MONOTONIC, uv_hrtime's clock; a moment already past fires at once.
  if (::timerfd_settime(fd_, TFD_TIMER_ABSTIME, &at, nullptr) == 0) armed_ns_ = due;
}

void PreciseTimers::on_readable(uv_poll_t* poll, int, int) {
  auto* self = static_cast<PreciseTimers*>(poll->data);
  uint64_t expirations;
  (void)!::read(self->fd_, &expirations, sizeof expirations);
  self->armed_ns_ = 0;
  const uint64_t now = uv_hrtime();
  // A callback may start or cancel waits (its own included): take the earliest each time.
  while (!self->heap_.empty() && self->heap_.front()->deadline_ns_ <= now) {
    PreciseWait& due = *self->heap_.front();
    self->remove(due);
    due.callback_(due);
  }
  self->rearm();
}

void PreciseTimers::place(size_t i, PreciseWait* wait) {
  heap_[i] = wait;
  wait->index_ = i;
}

void PreciseTimers::sift_up(size_t i) {
  PreciseWait* w = heap_[i];
  while (i > 0) {
    const size_t parent = (i - 1) / 2;
    if (heap_[parent]->deadline_ns_ <= w->deadline_ns_) break;
    place(i, heap_[parent]);
    i = parent;
  }
  place(i, w);
}

void PreciseTimers::sift_down(size_t i) {
  PreciseWait* w = heap_[i];
  for (;;) {
    size_t child = 2 * i + 1;
    if (child >= heap_.size()) break;
    if (child + 1 < heap_.size() && heap_[child + 1]->deadline_ns_ < heap_[child]->deadline_ns_)
      ++child;
    if (w->deadline_ns_ <= heap_[child]->deadline_ns_) break;
    place(i, heap_[child]);
    i = child;
  }
  place(i, w);
}

}  // namespace faultline::proxy
