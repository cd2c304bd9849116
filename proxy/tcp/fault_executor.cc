#include "proxy/tcp/fault_executor.h"

#include <algorithm>
#include <cstdint>
#include <utility>
#include <vector>

namespace faultline::proxy {

bool TcpFaultExecutor::carry_out_at_connect(uint64_t now_ms, uint64_t idle_timeout_ms) {
  if (plan_.terminal == faults::Terminal::kReset &&
      plan_.reset_point == faults::ResetPoint::kConnect) {
    hooks_.fault_reset_at_connect();
    return false;
  }
  if (plan_.terminal == faults::Terminal::kStall) {
    hooks_.fault_stall(plan_.stall_for.count() > 0 ? plan_.stall_for.count() : idle_timeout_ms);
    return false;
  }
  if (plan_.blackhole_close_after.count() > 0)
    hooks_.fault_close_after(static_cast<uint64_t>(plan_.blackhole_close_after.count()));
  random_ = (now_ms + 1) * 0x9E3779B97F4A7C15ull ^ reinterpret_cast<uintptr_t>(this);
  if (plan_.upstream_rate) bucket_[0].reset(plan_.upstream_rate, now_ms);
  if (plan_.downstream_rate) bucket_[1].reset(plan_.downstream_rate, now_ms);
  return true;
}

uint64_t TcpFaultExecutor::next_random() {
  if (random_ == 0) random_ = 0x2545F4914F6CDD1Dull;
  random_ ^= random_ << 13;
  random_ ^= random_ >> 7;
  random_ ^= random_ << 17;
  return random_;
}

TcpFaultExecutor::Chunk TcpFaultExecutor::shape(int dir, Chunk c) {
  const faults::Plan::Slice& slice = dir == 0 ? plan_.upstream_slice : plan_.downstream_slice;
  if (slice.average > 0) {
    // average +/- variation, at least 1 byte; the rest waits `delay` (the session waits at
    // least 1 ms, so that each piece leaves as its own write).
    const uint64_t spread = slice.variation * 2 + 1;
    const uint64_t piece =
        std::max<uint64_t>(1, slice.average - slice.variation + next_random() % spread);
    if (c.send > piece) {
      c.send = static_cast<size_t>(piece);
      c.hold = true;
      c.delay = false;
      c.reset = false;  // the rest comes back here, and resets once it is all out
      c.wait_ms = std::max<uint64_t>(c.wait_ms, static_cast<uint64_t>(slice.delay.count()));
    }
  }
  const uint64_t limit = dir == 0 ? plan_.upstream_limit : plan_.downstream_limit;
  if (limit > 0) {
    const uint64_t left = limit > relayed_[dir] ? limit - relayed_[dir] : 0;
    if (c.send >= left) {
      c.send = static_cast<size_t>(left);
      c.hold = false;
      c.end = true;
    }
  }
  relayed_[dir] += c.send;
  return c;
}

TcpFaultExecutor::Replanned TcpFaultExecutor::replan(faults::Plan&& next, bool active,
                                                     uint64_t now_ms) {
  const faults::Plan before = std::exchange(plan_, std::move(next));
  const bool was_active = std::exchange(active_, active);
  auto in_force = [](const faults::Plan& plan, bool on) { return on ? &plan : nullptr; };
  const faults::Plan* old_plan = in_force(before, was_active);
  const faults::Plan* new_plan = in_force(plan_, active_);
  const int64_t old_close = old_plan ? old_plan->blackhole_close_after.count() : 0;
  const int64_t new_close = new_plan ? new_plan->blackhole_close_after.count() : 0;
  if (new_close != old_close) {
    if (new_close > 0)
      hooks_.fault_close_after(static_cast<uint64_t>(new_close));
    else
      hooks_.fault_cancel_close_after();
  }
  Replanned out;
  for (int dir : {0, 1}) {
    auto rate = [dir](const faults::Plan* p) -> uint64_t {
      return p ? (dir == 0 ? p->upstream_rate : p->downstream_rate) : 0;
    };
    auto limit = [dir](const faults::Plan* p) -> uint64_t {
      return p ? (dir == 0 ? p->upstream_limit : p->downstream_limit) : 0;
    };
    auto holds = [dir](const faults::Plan* p) {
      if (!p) return false;
      const faults::Plan::Slice& slice = dir == 0 ? p->upstream_slice : p->downstream_slice;
      const faults::Duration delay = dir == 0 ? p->upstream_chunk_delay : p->downstream_chunk_delay;
      return delay.count() > 0 || slice.average > 0 ||
             (dir == 0 ? p->upstream_rate : p->downstream_rate) > 0;
    };
    if (rate(new_plan) != rate(old_plan)) {
      if (rate(new_plan) > 0)
        bucket_[dir].reset(rate(new_plan), now_ms);
      else
        bucket_[dir] = TokenBucket();
    }
    if (limit(new_plan) != limit(old_plan)) relayed_[dir] = 0;
    out.release[dir] = !holds(new_plan);
  }
  return out;
}

bool TcpFaultExecutor::delay_close() {
  if (!active_ || plan_.close_delay.count() <= 0 || hooks_.faults_halted()) return false;
  // The data went out at full speed; the FIN to the client waits.
  hooks_.fault_delay_close(plan_.close_delay.count());
  return true;
}

void TcpFaultExecutor::release() {
  // The faults applied so far stay in the connection's log line.
  std::vector<faults::AppliedFault> applied = std::move(plan_.applied);
  plan_ = faults::Plan();
  plan_.applied = std::move(applied);
  active_ = false;
  bucket_[0] = TokenBucket();
  bucket_[1] = TokenBucket();
}

}  // namespace faultline::proxy
