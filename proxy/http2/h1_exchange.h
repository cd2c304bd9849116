#pragma once
// One HTTP/2 stream relayed as an HTTP/1.1 request (upstream_protocol = "http1") on a connection
// from the listener's HTTP/1.1 upstream pool, the same pool HttpSession uses.
//
// Conversion (RFC 9113 §8.2.2, §8.3.1): the pseudo-headers become the request line and Host;
// connection-specific fields (Connection and the fields it names, Keep-Alive, Proxy-Connection,
// Transfer-Encoding, Upgrade, TE other than "trailers") are dropped both ways; split cookie
// fields are joined again. A request body without content-length goes chunked (its trailers in
// the last chunk); a response's chunked trailers become HTTP/2 trailers.
//
// Back-pressure both ways: request body bytes leave the stream's ByteQueue (and its window goes
// back to the client) only while the upstream's write queue is under kHighWater; the upstream
// is not read while the stream holds a window's worth of response bytes not yet sent on.
#include <cstdint>
#include <string>

#include "proxy/http/codec.h"
#include "proxy/http/upstream.h"

namespace faultline::proxy {

class Http2Session;
struct H2Stream;

class H1Exchange final : public UpstreamUser, private HttpCodec::BodySink {
 public:
  H1Exchange(Http2Session& session, H2Stream& stream, UpstreamPool& pool, uint32_t listener);
  ~H1Exchange();
  H1Exchange(const H1Exchange&) = delete;
  H1Exchange& operator=(const H1Exchange&) = delete;

  // Takes a pooled connection (or connects) and sends the request head.
  void start();
  // More request body (or its end) is in the stream's queue.
  void request_more();
  // Response bytes left the stream's queue: read on once it has room.
  void response_taken();
  // The stream ended on our side (reset, local answer, client gone): the connection is closed,
  // never pooled, since the upstream may still be busy with the request.
  void cancel();

  static constexpr size_t kHighWater = 64 * 1024;

 private:
  void on_upstream_connected(int status) override;
  void on_upstream_data(Slab* slab, const char* p, size_t n) override;
  void on_upstream_eof(int status) override;
  void on_upstream_timer() override;
  void on_upstream_written() override;
  void on_body(const char* at, size_t n) override;

  void connect();
  void connected(int status);
  void send_head();
  void send_body();
  void send(std::string_view bytes);
  bool flush();  // false: the write failed and the exchange ended
  // Handles `n` response bytes; false when the exchange ended (complete, failed or cut).
  bool parse(const char* p, size_t n);
  bool response_head();
  void response_complete(bool reusable);
  void lost(int status);    // the connection broke: counted as an upstream reset
  void fail(bool timeout);  // 502/504 (gRPC: UNAVAILABLE) or, mid-response, a stream reset
  void release(bool reusable);
  bool resend_allowed() const;
  void update_reading();
  bool wants_pause() const;

  Http2Session& session_;
  H2Stream& stream_;
  UpstreamPool& pool_;
  const uint32_t listener_;
  UpstreamConn* conn_ = nullptr;
  HttpCodec codec_{HttpCodec::Kind::kResponse};
  std::string head_;        // the request head, kept to resend it after a stale pooled connection
  size_t head_fields_ = 0;  // fields of the response head; trailer fields follow them
  bool chunked_ = false;    // the request body goes chunked
  bool request_done_ = false;
  bool response_started_ = false;
  bool response_done_ = false;
  bool body_sent_ = false;
  bool resent_ = false;
};

}  // namespace faultline::proxy
