#pragma once
// Carries out the faults::Plan of one TCP connection (decided at accept by proxy/executor.h)
// through hooks the session provides: reset at connect, stall, delay the FIN to the client
// (slow_close), close after a time (blackhole); and, per relayed chunk, what may go now (chunk
// delay, bandwidth, reset after N bytes to the client, dropped bytes of a blackhole, pieces of
// a slice, the end of a limit_data) as plain arithmetic the session acts on.
//
// It knows nothing of libuv or sockets: the session owns the timers, the held chunks and the
// sockets. Without a plan a chunk costs inline checks only; hooks are called on fault paths.
#include <cstddef>
#include <cstdint>

#include "faults/plan.h"
#include "proxy/io/token_bucket.h"

namespace faultline::proxy {

class TcpFaultExecutor final {
 public:
  // What the session does on the plan's behalf.
  class Hooks {
   public:
    // Resets the client on its first bytes or after a moment (reset at connect).
    virtual void fault_reset_at_connect() = 0;
    // Accepts, relays nothing, and closes after `ms`.
    virtual void fault_stall(uint64_t ms) = 0;
    // Holds the FIN to the client for at least `ms` (slow_close).
    virtual void fault_delay_close(uint64_t ms) = 0;
    // Closes the connection after at least `ms` (blackhole's close_after).
    virtual void fault_close_after(uint64_t ms) = 0;
    // The kill switch is on: delays that have not started yet do not start.
    virtual bool faults_halted() const = 0;
    // A new plan has no close_after any more (blackhole removed from an open connection).
    virtual void fault_cancel_close_after() = 0;

   protected:
    ~Hooks() = default;
  };

  // What to do with a chunk read on direction `dir` (0: client -> upstream, 1: back).
  struct Chunk {
    size_t send;       // bytes to relay now
    bool hold;         // hold the rest (n - send) and wait `wait_ms`
    bool delay;        // the wait is a latency (at least wait_ms of real time), not bandwidth
    bool reset;        // reset the client once `send` bytes went out
    uint64_t wait_ms;  // how long the held rest waits (the session waits at least 1 ms)
    bool end = false;  // limit_data: close cleanly (FIN both ways) once `send` bytes went out;
                       // the rest is dropped. With send == n and no hold, the rest of a
                       // blackholed chunk (n - send) is dropped too.
    bool reset_later = false;  // reset phase=data: drop the chunk, read no more on `dir`, and
                               // reset the client `wait_ms` from now (0: at once)
  };

  explicit TcpFaultExecutor(Hooks& hooks) : hooks_(hooks) {}
  TcpFaultExecutor(const TcpFaultExecutor&) = delete;
  TcpFaultExecutor& operator=(const TcpFaultExecutor&) = delete;

  // The plan for decide_connect() to fill, and whether it holds anything.
  faults::Plan& plan() { return plan_; }
  const faults::Plan& plan() const { return plan_; }
  void set_active(bool active) { active_ = active; }
  bool active() const { return active_; }

  // At accept (an active plan only): true when the connection relays (bandwidth limits armed),
  // false when a hook took over (reset at connect, stall). A stall without duration lasts
  // `idle_timeout_ms`.
  bool carry_out_at_connect(uint64_t now_ms, uint64_t idle_timeout_ms);

  // A chunk of `n` bytes read on `dir`. `resumed`: it waited already (a delayed chunk goes out
  // whole once its delay passed). `sent_down`: bytes relayed to the client so far. `now_ms`
  // is called only under a bandwidth limit.
  template <typename NowMs>
  Chunk on_chunk(int dir, size_t n, bool resumed, uint64_t sent_down, NowMs now_ms) {
    Chunk c{n, false, false, false, 0};
    if (active_ && resets_on_data(dir)) {
      c = {0, false, false, false, static_cast<uint64_t>(plan_.reset_delay.count())};
      c.reset_later = true;
      return c;
    }
    if (active_ && !resumed) {
      const faults::Duration delay =
          dir == 0 ? plan_.upstream_chunk_delay : plan_.downstream_chunk_delay;
      if (delay.count() > 0) {
        c = {0, true, true, false, static_cast<uint64_t>(delay.count())};
        return reset_cap(dir, c, sent_down);
      }
    }
    if (active_ && (dir == 0 ? plan_.upstream_blackhole : plan_.downstream_blackhole)) {
      c.send = 0;  // read and dropped
      return c;
    }
    if (bucket_[dir].limited()) {
      uint64_t avail = bucket_[dir].available(now_ms());
      c.send = n < avail ? n : static_cast<size_t>(avail);
      bucket_[dir].consume(c.send);
      if (c.send < n) {
        c.hold = true;
        c.wait_ms = bucket_[dir].wait_ms(n - c.send);
      }
    }
    c = reset_cap(dir, c, sent_down);
    return active_ ? shape(dir, c) : c;
  }

  // The experiments changed while the connection is open: `next` (decided afresh; `active`
  // when it holds anything) replaces the plan. What is per connection restarts as Toxiproxy's
  // toxics do when added: a new close_after counts from now, a new bandwidth or limit_data
  // from here; connect-time faults (reset at connect, stall) do not apply. Returns, per
  // direction, whether a chunk held by the old plan may go now (nothing holds it any more).
  struct Replanned {
    bool release[2] = {false, false};
  };
  Replanned replan(faults::Plan&& next, bool active, uint64_t now_ms);

  // The upstream ended its stream (EOF): true when slow_close holds the client's FIN (the hook
  // was called).
  bool delay_close();

  // Kill switch: gives nothing more; the faults applied so far stay for the log line.
  void release();

 private:
  // slice and limit_data on a chunk about to be relayed.
  Chunk shape(int dir, Chunk c);
  uint64_t next_random();

  bool resets_on_data(int dir) const {
    return plan_.terminal == faults::Terminal::kReset &&
           plan_.reset_point == faults::ResetPoint::kData &&
           (dir == 0 ? plan_.upstream_reset_on_data : plan_.downstream_reset_on_data);
  }

  Chunk reset_cap(int dir, Chunk c, uint64_t sent_down) const {
    if (dir == 1 && active_ && plan_.terminal == faults::Terminal::kReset &&
        plan_.reset_point == faults::ResetPoint::kResponse) {
      uint64_t left = plan_.reset_after_bytes > sent_down ? plan_.reset_after_bytes - sent_down : 0;
      if (c.send >= left) {
        c.send = static_cast<size_t>(left);
        c.hold = false;
        c.reset = true;
      }
    }
    return c;
  }

  Hooks& hooks_;
  faults::Plan plan_;
  bool active_ = false;
  TokenBucket bucket_[2];
  uint64_t relayed_[2] = {0, 0};  // per direction, for limit_data
  uint64_t random_ = 0;           // slice sizes (xorshift64; seeded at connect)
};

}  // namespace faultline::proxy
