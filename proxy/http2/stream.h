#pragma once
// One HTTP/2 request/response exchange relayed by an Http2Session: its client stream id and the
// id of the upstream stream it is forwarded on, the headers, the body bytes waiting to be sent
// on either side (bounded by the stream's flow-control window), and its fault plan.
#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "proxy/active_config.h"
#include "proxy/http/fault_executor.h"
#include "proxy/http2/h1_exchange.h"
#include "proxy/http2/header_list.h"
#include "proxy/io/precise_timers.h"
#include "proxy/io/spare_blocks.h"

namespace faultline::proxy {

class Http2Session;

// Bytes waiting to go to one side; `off` bytes of `data` are already gone.
struct ByteQueue {
  std::string data;
  size_t off = 0;
  size_t size() const { return data.size() - off; }
  void append(const uint8_t* p, size_t n) {
    if (off > 0 && off == data.size()) {
      data.clear();
      off = 0;
    }
    data.append(reinterpret_cast<const char*>(p), n);
  }
  size_t take(uint8_t* out, size_t n);
  void take(std::string& out, size_t n);  // appends the next n bytes (n <= size()) to `out`
};

// gRPC messages in a DATA byte stream: a 5-byte prefix (flag, 32-bit length) then the message;
// counts complete messages across DATA frames (after_messages).
struct GrpcFramer {
  uint64_t left = 0;  // bytes of the current message (or prefix) still to come
  uint8_t prefix[5] = {};
  uint8_t have = 0;  // prefix bytes seen
  bool in_message = false;
  uint32_t complete = 0;
  // Feeds `n` bytes; returns how many of them belong to at most `limit` complete messages (the
  // bytes up to the end of message number `limit`).
  size_t feed(const uint8_t* p, size_t n, uint32_t limit);
};

struct H2Stream final : private HttpFaultExecutor::Hooks {
  enum class Wait : uint8_t {
    kNone,
    kRequestDelay,
    kStall,
    kResponseDelay,
    kBandwidth,
    kSlowClose,  // the response's end is held (slow_close)
  };

  H2Stream(Http2Session& session, int32_t id) : session(session), id(id) {}
  ~H2Stream();

  // Each worker thread keeps the memory of ended streams for its next ones
  // (proxy/io/spare_blocks.h).
  static constexpr size_t kSpareBlocks = 64;
  using Spare = SpareBlocks<H2Stream, kSpareBlocks>;
  static void* operator new(size_t size);
  static void operator delete(void* block, size_t size);

  Http2Session& session;
  const int32_t id;                // client stream id
  ActiveConfigPtr snapshot;        // the configuration the stream's plan was decided with
  int32_t up_id = -1;              // upstream stream id; -1 = not forwarded (yet) over HTTP/2
  std::unique_ptr<H1Exchange> h1;  // forwarded over HTTP/1.1 instead (upstream_protocol)
  bool client_closed = false;
  bool up_closed = true;  // no upstream stream (or HTTP/1.1 exchange) is open for it

  // Request.
  HeaderList req_headers;  // pseudo-headers first, as received
  HeaderList req_trailers;
  size_t header_bytes = 0;  // RFC 9113 §6.5.2 size of the header list
  bool header_overflow = false;
  bool grpc = false;
  bool req_end = false;
  bool req_trailers_sent = false;
  ByteQueue req_body;
  std::string method, path, authority;

  // Response.
  HeaderList resp_headers;
  HeaderList resp_trailers;
  int status = 0;
  bool resp_head_in = false;    // the upstream's final response head arrived
  bool resp_submitted = false;  // a response head was submitted to the client
  bool resp_end = false;        // no more response bytes will be added
  bool local = false;           // the response is ours (abort, error), not the upstream's
  ByteQueue resp_body;
  uint64_t resp_bytes = 0;  // response DATA bytes sent to the client
  int grpc_status = -1;     // as seen by the client (access log, metrics); -1 = none

  // Faults.
  HttpFaultExecutor executor{*this};
  Wait wait = Wait::kNone;
  uv_timer_t* timer = nullptr;  // allocated on first use, closed with the stream
  PreciseWait latency_wait{on_latency_done, this};  // latency faults, on time (not `timer`)
  static void on_latency_done(PreciseWait& wait);
  uv_timer_t* upload_timer = nullptr;  // bandwidth on the request body; as `timer`
  bool upload_waiting = false;
  bool reset_pending = false;  // a reset after response bytes is due
  uint32_t reset_code = 0;
  uint32_t cut_after = 0;  // after_messages: end the stream after this many messages
  GrpcFramer framer;
  bool messages_cut = false;  // after_messages reached: the rest is dropped

  // Access log.
  uint64_t request_id = 0;
  uint64_t start_us = 0;
  uint64_t fault_us = 0;
  uint64_t fault_since_us = 0;
  bool logged = false;
  bool injected = false;  // the outcome came from a fault

 private:
  void fault_delay_request(uint64_t ms) override;
  void fault_stall(uint64_t ms) override;
  void fault_delay_response(uint64_t ms) override;
  void fault_delay_close(uint64_t ms) override;
  void fault_respond(int status, std::string_view body, std::string_view headers,
                     std::string_view content_type) override;
  bool request_is_grpc() const override { return grpc; }
  void fault_refuse(std::string_view why) override;
  void fault_reset() override;
  void fault_forward() override;
  bool faults_halted() const override;
};

}  // namespace faultline::proxy
