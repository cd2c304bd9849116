#pragma once
// Carries out the faults::Plan of one HTTP request (decided by proxy/executor.h) through hooks
// the session provides: delay the request, the response head or the close, stall, answer with
// an injected response, reset, or forward; and the per-chunk limits (bandwidth, reset after N
// response bytes) as plain arithmetic the session asks about while it relays.
//
// It knows nothing of libuv, sockets or llhttp: the session owns the timers, the held bytes and
// the connection; this class owns what the plan says and how far it got. A request without a
// plan costs the pass-through path inline checks of `active()` and `throttled()` only; hooks are
// virtual calls made on fault paths.
#include <cstdint>
#include <string_view>

#include "faults/plan.h"
#include "proxy/io/token_bucket.h"

namespace faultline::proxy {

class HttpFaultExecutor final {
 public:
  // What the session does on the plan's behalf.
  class Hooks {
   public:
    // Waits at least `ms`, then calls carry_out() again (the rest of the plan).
    virtual void fault_delay_request(uint64_t ms) = 0;
    // Holds the request and sends nothing; after `ms` the connection closes.
    virtual void fault_stall(uint64_t ms) = 0;
    // Holds the response head (and what follows) for at least `ms`.
    virtual void fault_delay_response(uint64_t ms) = 0;
    // Waits at least `ms` before closing the client connection.
    virtual void fault_delay_close(uint64_t ms) = 0;
    // Answers with an injected response instead of forwarding; the connection stays usable.
    // `headers` are CRLF-terminated lines.
    virtual void fault_respond(int status, std::string_view body, std::string_view headers,
                               std::string_view content_type) = 0;
    // SPEC §8: the request's content-type starts with application/grpc.
    virtual bool request_is_grpc() const = 0;
    // A header trigger was malformed: 400 with `why`, then close.
    virtual void fault_refuse(std::string_view why) = 0;
    // Resets the client connection now.
    virtual void fault_reset() = 0;
    // Nothing (more) before forwarding: go upstream.
    virtual void fault_forward() = 0;
    // The kill switch is on: delays that have not started yet do not start.
    virtual bool faults_halted() const = 0;

   protected:
    ~Hooks() = default;
  };

  // Bandwidth directions: the request body (client -> upstream) and the response body.
  enum Direction : uint8_t { kUp = 0, kDown = 1 };

  explicit HttpFaultExecutor(Hooks& hooks) : hooks_(hooks) {}
  HttpFaultExecutor(const HttpFaultExecutor&) = delete;
  HttpFaultExecutor& operator=(const HttpFaultExecutor&) = delete;

  // A new request head: no plan until set_active(true).
  void begin_request() {
    active_ = false;
    request_delay_done_ = false;
  }
  // The plan for decide() to fill: cleared, or reused as it is when nothing was ever put in it.
  // As a Plan() is (decide_into fills it in place): reset when the last request left anything
  // in it, ignored triggers included.
  faults::Plan& fresh_plan() {
    if (!plan_.empty() || !plan_.held_slots.empty() || !plan_.injected.empty() ||
        !plan_.applied.empty() || plan_.trigger_rejected != faults::kNoRejection ||
        !plan_.unknown_experiment.empty())
      plan_ = faults::Plan();
    return plan_;
  }
  void set_active(bool active) { active_ = active; }
  // A connection's plan (reset at connect), kept for the access log.
  void adopt(faults::Plan&& plan);
  bool active() const { return active_; }
  faults::Plan& plan() { return plan_; }
  const faults::Plan& plan() const { return plan_; }

  // At the request head, and again after the request delay (an active plan only): refuse,
  // delay, answer, reset, stall, or forward with the limits armed. `now_ms` is the loop time;
  // a stall without duration lasts `idle_timeout_ms`.
  void carry_out(uint64_t now_ms, uint64_t idle_timeout_ms);

  // The response head arrived: delays its relay when the plan says so.
  void at_response_head() {
    if (active_) delay_response_head();
  }
  // The x-chaos-injected value for what goes to the client; empty without a plan.
  std::string_view injected() const {
    return active_ ? std::string_view(plan_.injected) : std::string_view();
  }
  // The response head went out and the response has now sent `bytes_out`: a reset planned
  // right after the head becomes due at this count.
  void response_head_sent(uint64_t bytes_out) {
    if (reset_ == Reset::kAfterHead) {
      reset_ = Reset::kAfterBytes;
      reset_after_ = bytes_out;
    }
  }
  // Reset after response bytes: whether it is armed, how many more bytes may go, whether due.
  bool resets_response() const { return reset_ == Reset::kAfterBytes; }
  uint64_t bytes_before_reset(uint64_t bytes_out) const {
    return reset_after_ > bytes_out ? reset_after_ - bytes_out : 0;
  }
  bool reset_due(uint64_t bytes_out) const {
    return reset_ == Reset::kAfterBytes && bytes_out >= reset_after_;
  }

  // Bandwidth: whether a direction is limited; how many of `n` bytes may go now (taken from
  // the bucket; 0 = none); how long until `n` (up to a burst) may.
  bool throttled(Direction d) const { return bucket_[d].limited(); }
  uint64_t admit(Direction d, uint64_t n, uint64_t now_ms) {
    uint64_t avail = bucket_[d].available(now_ms);
    if (avail == 0) return 0;
    uint64_t take = n < avail ? n : avail;
    bucket_[d].consume(take);
    return take;
  }
  uint64_t wait_ms(Direction d, uint64_t n) const { return bucket_[d].wait_ms(n); }

  // The connection is about to close: true when a slow_close delays it (once; it outlives the
  // exchange that planned it).
  bool delay_close() {
    if (close_delay_ms_ == 0) return false;
    return start_close_delay();
  }

  // Kill switch: lift the limits and the response reset.
  void release();
  // The exchange ended and its plan was given back.
  void end();

 private:
  enum class Reset : uint8_t { kNever, kAfterHead, kAfterBytes };

  void delay_response_head();
  bool start_close_delay();

  Hooks& hooks_;
  faults::Plan plan_;
  bool active_ = false;
  bool request_delay_done_ = false;
  Reset reset_ = Reset::kNever;
  uint64_t reset_after_ = 0;     // kAfterBytes: reset once the response sent this many bytes
  uint64_t close_delay_ms_ = 0;  // slow_close of the last faulted exchange
  TokenBucket bucket_[2];
};

}  // namespace faultline::proxy
