#pragma once
// One client connection of an HTTP listener: parses requests with llhttp (strict), decides a
// fault plan per request, forwards the rewritten head and streams bodies both ways through
// an upstream connection from the per-worker pool, answers pipelined requests in order (one
// exchange at a time: the next request's bytes wait unparsed), and turns into a byte tunnel
// after a 101.
//
// Memory per connection is bounded: the head arena (max_header_bytes), at most one held slab
// per direction (64 KiB each), and the write queues, whose readers pause once a queue pins
// more than Outbox::kHighWater (96 KiB) of slabs, so at most three 64 KiB slabs per queue.
// A client that reads slowly costs less than 256 KiB (tests/integration/http_session_memory).
//
// Timers: the client timer (idle, header, linger), the fault timer, and the upstream
// connection's timer (connect_timeout, then response_timeout until the first response byte,
// then upstream_idle_timeout between response bytes while the proxy is reading them).
//
// Who does what: HttpCodec (proxy/http/codec.h) parses each direction and returns what it saw;
// HttpFaultExecutor (proxy/http/fault_executor.h) carries out the request's fault plan and
// calls back through the hooks below; this class is the exchange's state machine (Req, Resp,
// Wait) and the relay plumbing between the two sockets. Neither helper knows this class.
#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>

#include "faults/plan.h"
#include "proxy/active_config.h"
#include "proxy/http/codec.h"
#include "proxy/http/fault_executor.h"
#include "proxy/http/head.h"
#include "proxy/http/upstream.h"
#include "proxy/io/connection.h"
#include "proxy/io/lazy_timer.h"
#include "proxy/io/outbox.h"
#include "proxy/io/precise_timers.h"
#include "proxy/io/slab_pool.h"
#include "proxy/io/spare_blocks.h"
#include "proxy/io/token_bucket.h"
#include "proxy/io/transport.h"
#include "proxy/request_record.h"

namespace faultline::proxy {

class Worker;
struct WorkerListener;
class PrefaceHandoff;
class UpstreamConn;
class UpstreamPool;
struct Slab;

class HttpSession final : public Connection,
                          public UpstreamUser,
                          private HttpCodec::BodySink,
                          private HttpFaultExecutor::Hooks {
 public:
  HttpSession(Worker& worker, WorkerListener& listener, UpstreamPool& pool);
  ~HttpSession() override;

  // A session is about 12 KiB: each worker thread keeps the memory of a few ended ones for
  // the next connections (proxy/io/spare_blocks.h).
  static constexpr size_t kSpareBlocks = 16;
  using Spare = SpareBlocks<HttpSession, kSpareBlocks>;
  static void* operator new(size_t size) { return Spare::take(size); }
  static void operator delete(void* block, size_t size) { Spare::give(block, size); }

  // Takes over an accepted client socket (from `peer`) whose connection slot the worker already
  // reserved, and starts reading; on failure the session closes itself.
  void start(int fd, const sockaddr_storage& peer);

  void drain() override;
  void abort() override;
  void release_faults() override;

  // Upstream events (called by UpstreamConn's callbacks).
  void on_upstream_connected(int status) override;
  void on_upstream_data(Slab* slab, const char* p, size_t n) override;
  void on_upstream_eof(int status) override;
  void on_upstream_timer() override;
  void on_upstream_written() override;

 private:
  enum class Req : uint8_t { kIdle, kHead, kWaiting, kBody, kDone, kDiscard, kTunnel };
  enum class Resp : uint8_t { kNone, kHead, kBody, kDone, kLocal };
  enum class Wait : uint8_t {
    kNone,
    kRequestDelay,
    kStall,
    kResponseDelay,
    kBandwidthUp,
    kBandwidthDown,
    kSlowClose,
    kLinger
  };
  // What happens once the client's write queue is empty: a reset wins over a close.
  enum class AfterFlush : uint8_t { kNothing, kClose, kReset };
  // Sending the request again after a stale pooled connection: at most once per exchange.
  enum class Resend : uint8_t { kNone, kConnecting, kDone };
  enum Side : uint8_t { kClient = 0, kUpstream = 1 };
  struct Held {
    Slab* slab = nullptr;
    const char* p = nullptr;
    size_t n = 0;
  };

  // libuv callbacks.
  static void on_alloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf);
  static void on_client_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf);
  static void on_client_written(uv_write_t* req, int status);
  static void on_client_timer(uv_timer_t* t);
  static void on_fault_timer(uv_timer_t* t);
  static void on_latency_done(PreciseWait& wait);
  static void on_shutdown(uv_shutdown_t* req, int status);
  static void on_shutdown_close(uv_shutdown_t* req, int status);  // no linger after it
  static void on_close(uv_handle_t* h);

  // The de-chunked response body (HTTP/1.0 client, chunked response).
  void on_body(const char* at, size_t n) override;

  // The fault executor's hooks (proxy/http/fault_executor.h).
  void fault_delay_request(uint64_t ms) override;
  void fault_stall(uint64_t ms) override;
  void fault_delay_response(uint64_t ms) override;
  void fault_delay_close(uint64_t ms) override;
  void fault_respond(int status, std::string_view body, std::string_view headers,
                     std::string_view content_type) override;
  bool request_is_grpc() const override;
  void fault_refuse(std::string_view why) override;
  void fault_reset() override;
  void fault_forward() override;
  bool faults_halted() const override;

  // Request side.
  void process_client(Slab* slab, const char* p, size_t n);
  void begin_request();
  void on_request_head();
  void hand_off_h2(const char* rest, size_t n);
  void hand_off_alpn_h2(const char* p, size_t n);
  PrefaceHandoff* preface_handoff() const;
  void carry_out_plan();
  void connect_upstream();
  void upstream_ready();
  void request_complete();
  void reject(int status, std::string_view body);
  void respond_locally(int status, std::string_view body, std::string_view headers, bool close,
                       std::string_view content_type = "text/plain");
  // Response side.
  void process_upstream(Slab* slab, const char* p, size_t n);
  bool on_response_head();
  void emit_response_head();
  void response_head_released();
  void upstream_failed(int status, bool timeout);
  void arm_upstream_idle_timer();
  uint64_t upstream_idle_ms() const;
  bool can_resend() const;
  void resend_on_fresh_connection();
  void resend_head();
  void forget_sent_head();
  void start_tunnel();
  void maybe_finish_exchange();
  void finish_exchange();
  // Plumbing.
  void emit(Side side, Slab* slab, const char* p, size_t n);
  void flush(Side side);
  void hold(Side side, Slab* slab, const char* p, size_t n);
  void resume_held(Side side);
  void pause(Side side, uint8_t reason);
  void unpause(Side side, uint8_t reason);
  void update_reading(Side side);
  void wait_for(Wait wait, uint64_t ms);
  void end_wait();
  void close_when_flushed();
  // Access log and faultline_requests_total: once per exchange (SPEC §7).
  void record_exchange(Ending ending);
  void linger();
  void close(bool reset = false);
  void detach_upstream(bool reusable);
  Transport& transport(Side side);
  Outbox& outbox(Side side);

  static constexpr uint8_t kPauseHeld = 1;
  static constexpr uint8_t kPauseBackpressure = 2;
  static constexpr uint8_t kPauseWait = 4;

  Worker& worker_;
  WorkerListener& listener_;
  UpstreamPool& pool_;  // idle upstream connections of this listener on this worker
  ActiveConfigPtr snapshot_;
  // On the heap so that a TLS connection that agreed on h2 can move to the HTTP/2 session
  // (hand_off_alpn_h2); client_ is never used once it moved (the session closes then).
  std::unique_ptr<Transport> client_home_ = std::make_unique<Transport>();
  Transport& client_ = *client_home_;
  LazyTimer client_timer_;                           // idle, header and reset-at-connect timeouts
  uv_timer_t fault_timer_{};                         // stalls, bandwidth waits, slow close
  PreciseWait latency_wait_{on_latency_done, this};  // latency faults, on time
  uv_shutdown_t shutdown_req_{};
  UpstreamConn* upstream_ = nullptr;
  HttpCodec req_codec_{HttpCodec::Kind::kRequest};
  HttpCodec resp_codec_{HttpCodec::Kind::kResponse};
  Outbox client_out_;
  Held held_[2];
  uint8_t paused_[2] = {0, 0};
  bool reading_client_ = false;
  Req req_ = Req::kIdle;
  Resp resp_ = Resp::kNone;
  Wait wait_ = Wait::kNone;
  int pending_closes_ = 0;
  bool closing_ = false;
  bool close_after_ = false;  // no keep-alive after this exchange
  AfterFlush after_flush_ = AfterFlush::kNothing;
  bool client_eof_ = false;
  bool reset_on_input_ = false;  // reset at connect: RST on the first read or a short timer
  bool resp_eof_body_ = false;   // body ends at upstream EOF
  bool dechunk_ = false;         // HTTP/1.0 client and a chunked response
  bool upgrade_requested_ = false;
  bool resp_upgrade_ = false;
  bool h2c_refused_ = false;  // Upgrade: h2c, neither honoured nor forwarded (SPEC §8)
  bool served_ = false;       // a request head was seen: an HTTP/2 preface now is an error
  bool handed_off_ = false;   // the socket went to the HTTP/2 session, with its connection slot
  bool client_http10_ = false;
  bool client_keep_alive_ = true;
  bool is_head_ = false;
  uint8_t method_ = 0;
  int status_ = 0;
  // Response parsing: the slab holding the bytes handed to the codec (de-chunked body spans
  // point into it and must hold a reference to it, not to a slab guessed from a pointer).
  Slab* resp_parse_slab_ = nullptr;
  ReadSlot client_read_slot_;
  char client_addr_[64] = {};
  sockaddr_storage peer_{};
  uint64_t request_start_us_ = 0;
  uint64_t upstream_start_us_ = 0;
  uint64_t upstream_done_us_ = 0;
  uint64_t upstream_quiet_since_ms_ = 0;  // loop time of the last upstream read (or resume)
  uint64_t resp_bytes_ = 0;               // bytes sent to the client for this response
  Slab* sent_head_slab_ = nullptr;        // the forwarded head, until the response starts
  size_t sent_head_len_ = 0;
  bool resp_started_ = false;
  bool req_body_sent_ = false;
  Resend resend_ = Resend::kNone;
  HttpFaultExecutor executor_{*this};
  // x-chaos-injected of a response: this request's faults, plus on the connection's first
  // response those of its transport (a delayed TLS handshake), kept in first_injected_.
  std::string_view injected_value();
  bool first_response_ = true;
  std::string first_injected_;
  // The exchange's log facts (proxy/request_record.h).
  bool exchange_open_ = false;                   // a request began and has not been logged yet
  bool method_known_ = false;                    // its head was parsed
  bool outcome_injected_ = false;                // the response status came from an abort fault
  bool stalled_out_ = false;                     // an injected stall ran out
  Ending close_ending_ = Ending::kClientClosed;  // what an unexpected close() means
  uint64_t request_id_ = 0;
  uint64_t fault_us_ = 0;              // held by our fault waits in this exchange
  uint64_t fault_since_us_ = 0;        // start of the current fault wait (0 = none)
  uint64_t fault_us_at_upstream_ = 0;  // fault_us_ when the upstream exchange began
};

}  // namespace faultline::proxy
