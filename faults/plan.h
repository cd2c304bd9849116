#pragma once
// A Plan is what one request (HTTP) or one connection (TCP) must suffer: a closed set of
// primitives that the proxy's executor knows how to carry out. Produced by decide()
// (faults/decide.h), pure data, no libuv. An empty plan costs nothing to carry out.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/value.h"

namespace faultline::faults {

using config::Duration;

enum class Terminal : uint8_t {
  kNone,
  kRespond,  // answer with `respond`, do not forward
  kReset,    // TCP RST to the client at `reset_point`
  kStall,    // hold, send nothing, then close after `stall_for` (0 = until the client leaves)
};

enum class ResetPoint : uint8_t {
  kConnect,   // at accept
  kRequest,   // instead of forwarding
  kResponse,  // after `reset_after_bytes` bytes of the response went to the client
  kData,      // TCP: `reset_delay` after the first bytes of a `reset_on_data` direction
};

struct Response {
  int status = 503;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // SPEC §8, gRPC requests: -1 = answer with `status`; else a trailers-only response with this
  // grpc-status and grpc_message, after `after_messages` response messages went through.
  int grpc_status = -1;
  std::string grpc_message;
  uint32_t after_messages = 0;
};

// HTTP/2 error codes a reset or goaway may carry (RFC 9113 §7).
enum class H2Code : uint32_t {
  kNoError = 0x0,
  kInternalError = 0x2,
  kRefusedStream = 0x7,
  kCancel = 0x8,
  kEnhanceYourCalm = 0xb,
};

// One fault applied to a request or connection, for the access log (SPEC §7): its kind, its
// source and the value actually applied (after jitter and caps). Views point into the snapshot
// that produced the plan (or at string literals), which the request pins.
struct AppliedFault {
  std::string_view kind;        // catalogue name: "latency", "abort", ...
  std::string_view experiment;  // empty: from x-chaos-* headers; kEnvoyHeaderSource: Envoy's
  std::string_view where;       // latency/reset phase, or direction of a TCP delay/bandwidth
  int64_t ms = -1;              // latency delay, stall duration, slow_close delay; -1 = n/a
  int status = 0;               // abort
  uint64_t rate = 0;            // bandwidth, bytes per second
  uint64_t after_bytes = 0;     // reset
};

// The source of faults asked for by Envoy's fault headers (SPEC §10.1), in x-chaos-injected,
// the access log and metrics; no experiment may take this name.
inline constexpr std::string_view kEnvoyHeaderSource = "envoy-header";

// Why a request's x-chaos-* headers were ignored (values of faults::RejectReason), for the
// proxy's debug log; kNoRejection when they were not.
inline constexpr int8_t kNoRejection = -1;

struct Plan {
  // Latency: HTTP waits `request_delay` before forwarding and `response_delay` before
  // relaying the response head. TCP delays each chunk by the per-direction value.
  Duration request_delay{0};
  Duration response_delay{0};
  Duration upstream_chunk_delay{0};    // TCP: client -> upstream chunks
  Duration downstream_chunk_delay{0};  // TCP: upstream -> client chunks

  Terminal terminal = Terminal::kNone;
  ResetPoint reset_point = ResetPoint::kRequest;
  uint64_t reset_after_bytes = 0;
  // kData (Toxiproxy's reset_peer): the first bytes read on a marked direction are dropped,
  // that direction relays nothing more, and the client is reset `reset_delay` later.
  bool upstream_reset_on_data = false;
  bool downstream_reset_on_data = false;
  Duration reset_delay{0};
  H2Code reset_code = H2Code::kInternalError;  // HTTP/2: the RST_STREAM code
  Duration stall_for{0};
  Response respond;

  // Bandwidth in bytes per second; 0 = unlimited.
  uint64_t upstream_rate = 0;    // request body / client -> upstream stream
  uint64_t downstream_rate = 0;  // response body / upstream -> client stream

  Duration close_delay{0};  // slow_close: wait before closing the client connection

  // TCP only. blackhole: a direction's bytes are read and dropped, and the connection closes
  // `blackhole_close_after` after accept (0 = never). limit_data: the connection closes
  // cleanly once that many bytes went through a direction (0 = no limit). slice: a
  // direction's bytes go out in pieces of `average` +/- `variation` bytes, `delay` apart.
  struct Slice {
    uint64_t average = 0;  // 0 = not sliced
    uint64_t variation = 0;
    Duration delay{0};
  };
  bool upstream_blackhole = false;
  bool downstream_blackhole = false;
  Duration blackhole_close_after{0};
  uint64_t upstream_limit = 0;
  uint64_t downstream_limit = 0;
  Slice upstream_slice;
  Slice downstream_slice;
  // goaway (HTTP/2 connections only): send GOAWAY with `goaway_code`; graceful = the last
  // processed stream id, else 0 and close.
  bool goaway = false;
  bool goaway_graceful = true;
  H2Code goaway_code = H2Code::kNoError;

  // TLS listeners, decided in the client's ClientHello: hold the handshake this long, then
  // (with handshake_abort) fail it with fatal alert `handshake_alert`, or a TCP reset when 0.
  Duration handshake_delay{0};
  bool handshake_abort = false;
  uint8_t handshake_alert = 0;

  // Value for x-chaos-injected ("latency=500ms@header, abort=503@checkout-errors");
  // empty when nothing was injected or annotation is off.
  std::string injected;

  // A header trigger was malformed: answer 400 with this message, do not forward.
  std::string bad_request;

  // Every fault applied, in order (the access log's "faults").
  std::vector<AppliedFault> applied;

  // x-chaos-* headers ignored (a RejectReason), and the first unknown experiment name of
  // x-chaos-experiment (a view into the request head, valid while it is).
  int8_t trigger_rejected = kNoRejection;
  std::string_view unknown_experiment;

  // Experiments holding a max_active slot for this request; give them back with release().
  std::vector<uint32_t> held_slots;

  bool empty() const {
    return request_delay.count() == 0 && response_delay.count() == 0 &&
           upstream_chunk_delay.count() == 0 && downstream_chunk_delay.count() == 0 &&
           terminal == Terminal::kNone && upstream_rate == 0 && downstream_rate == 0 &&
           close_delay.count() == 0 && bad_request.empty() && !upstream_blackhole &&
           !downstream_blackhole && upstream_limit == 0 && downstream_limit == 0 &&
           upstream_slice.average == 0 && downstream_slice.average == 0 && !goaway &&
           handshake_delay.count() == 0 && !handshake_abort;
  }
};

}  // namespace faultline::faults
