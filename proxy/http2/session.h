#pragma once
// One HTTP/2 client connection (h2c prior knowledge, or TLS with ALPN h2; handed over by the
// HTTP/1 session that saw the preface or the agreed protocol) and the one upstream HTTP/2
// connection its streams are forwarded on.
//
// Why one upstream connection per client connection rather than a per-worker pool: a client
// connection's streams then share the upstream connection's windows with nobody else, so a slow
// client (whose stream windows we only release once its bytes went out) can never stall another
// client's streams on a shared upstream connection; a goaway or reset fault, and the client
// leaving, end exactly one upstream connection; and memory is bounded per client connection.
// gRPC clients multiplex many calls over few connections, so the extra connections are few.
//
// Flow control: both nghttp2 sessions run without automatic WINDOW_UPDATEs. A DATA frame's
// bytes are given back to the connection window at once, and to the stream's window only once
// they were handed to the other side, so one delayed or throttled stream holds at most its own
// window (h2_initial_window) and never stalls the others. Past kHighWater queued bytes on a
// socket we stop producing frames for it, which stops releasing windows to the other side.
// Worst case per client connection: h2_max_concurrent_streams x h2_initial_window in each
// direction, plus two write queues of about kHighWater plus one frame.
#include <nghttp2/nghttp2.h>
#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "proxy/active_config.h"
#include "proxy/http/upstream.h"
#include "proxy/http2/h2_socket.h"
#include "proxy/http2/stream.h"
#include "proxy/io/connection.h"
#include "proxy/io/lazy_timer.h"

namespace faultline::proxy {

class Worker;
struct WorkerListener;

class Http2Session final : public Connection, private H2Socket::Owner {
 public:
  Http2Session(Worker& worker, WorkerListener& listener, UpstreamPool& http1_pool);
  ~Http2Session() override;

  // Takes over the client socket and the bytes read so far (starting with the preface).
  void start(int fd, std::string_view bytes, uint32_t listener_slot);
  // Takes over a TLS connection that agreed on h2 (ALPN), and its first plaintext bytes.
  void start(std::unique_ptr<Transport> transport, std::string_view bytes, uint32_t listener_slot);

  void drain() override;
  void abort() override;
  void release_faults() override;

  // For H2Stream's fault hooks.
  Worker& worker() { return worker_; }
  const ActiveConfig& snapshot() const { return *snapshot_; }
  void stream_wait(H2Stream& s, H2Stream::Wait wait, uint64_t ms);
  void forward(H2Stream& s);
  void respond_local(H2Stream& s, int status, std::string_view body, bool injected);
  void reset_stream(H2Stream& s, uint32_t code);

  // For H1Exchange (a stream relayed over HTTP/1.1; h1_exchange.h).
  void upstream_response_head(H2Stream& s);  // resp_headers, status and resp_end are set
  void upstream_response_data(H2Stream& s);  // resp_body grew, or resp_end / resp_trailers came
  void upstream_stream_failed(H2Stream& s, bool timeout);
  void request_body_forwarded(H2Stream& s, size_t n);  // gives the client's window back
  // bandwidth on the request body (direction "upstream"): how many of `want` bytes may go to
  // the upstream now; 0 arms the stream's upload timer, which forwards the rest later.
  size_t upload_allowance(H2Stream& s, size_t want);
  // Sends what both nghttp2 sessions have to send; closes when all is done. May free streams.
  void pump();

  static constexpr size_t kHighWater = 64 * 1024;

 private:
  // nghttp2 callbacks (both sessions; `user_data` is this), made once per process.
  static nghttp2_session_callbacks* make_callbacks();
  static int on_begin_headers(nghttp2_session* ng, const nghttp2_frame* frame, void* user);
  static int on_header(nghttp2_session* ng, const nghttp2_frame* frame, const uint8_t* name,
                       size_t namelen, const uint8_t* value, size_t valuelen, uint8_t flags,
                       void* user);
  static int on_frame_recv(nghttp2_session* ng, const nghttp2_frame* frame, void* user);
  static int on_frame_send(nghttp2_session* ng, const nghttp2_frame* frame, void* user);
  static int on_data_chunk(nghttp2_session* ng, uint8_t flags, int32_t stream_id,
                           const uint8_t* data, size_t len, void* user);
  static int on_stream_close(nghttp2_session* ng, int32_t stream_id, uint32_t error_code,
                             void* user);
  static ssize_t read_request_body(nghttp2_session* ng, int32_t stream_id, uint8_t* buf,
                                   size_t length, uint32_t* flags, nghttp2_data_source* source,
                                   void* user);
  static ssize_t read_response_body(nghttp2_session* ng, int32_t stream_id, uint8_t* buf,
                                    size_t length, uint32_t* flags, nghttp2_data_source* source,
                                    void* user);
  static int send_response_data(nghttp2_session* ng, nghttp2_frame* frame, const uint8_t* framehd,
                                size_t length, nghttp2_data_source* source, void* user);
  static void on_stream_timer(uv_timer_t* t);
  static void stream_wait_over(H2Stream* s);  // a stream's fault wait ran out
  friend struct H2Stream;                     // its latency wait ends in stream_wait_over
  static void on_upload_timer(uv_timer_t* t);
  static void on_conn_timer(uv_timer_t* t);
  static void on_up_timer(uv_timer_t* t);

  // H2Socket::Owner.
  void socket_connected(H2Socket& socket, int status) override;
  void socket_read(H2Socket& socket, const char* p, size_t n) override;
  void socket_ended(H2Socket& socket, int status) override;
  void socket_written(H2Socket& socket) override;
  void socket_closed(H2Socket& socket) override;

  void begin(uint32_t listener_slot);  // timers, worker, counts
  void serve(std::string_view bytes);  // the nghttp2 sessions, then the first bytes
  bool is_client(nghttp2_session* ng) const { return ng == server_; }
  H2Stream* stream_of(nghttp2_session* ng, int32_t id) const;
  void request_head(H2Stream& s);
  void response_head(H2Stream& s);
  void submit_response_head(H2Stream& s);
  void request_ended(H2Stream& s);
  void connect_upstream();
  void upstream_failed(bool timeout);
  void fail_stream(H2Stream& s, bool timeout);
  void grpc_trailers_only(H2Stream& s, int grpc_status, std::string_view message);
  void goaway_fault(const faults::Plan& plan);
  void maybe_free(H2Stream& s);
  void finish_record(H2Stream& s);
  bool over_http1(const H2Stream& s) const;
  void forward_http1(H2Stream& s);
  // The stream's upstream side, whichever version it is on.
  bool forwarded(const H2Stream& s) const;
  void cancel_upstream(H2Stream& s);
  void upstream_request_more(H2Stream& s);
  void upstream_response_taken(H2Stream& s, size_t n);
  void arm_idle_timer();  // idle_timeout, or sooner the header_timeout of a header block
  void header_block_done();
  void close(bool reset = false);
  void closed_one();

  Worker& worker_;
  WorkerListener& listener_;
  UpstreamPool& http1_pool_;  // the listener's HTTP/1.1 upstream connections (H1Exchange)
  ActiveConfigPtr snapshot_;
  H2Socket client_;
  H2Socket upstream_;
  LazyTimer conn_timer_;               // idle timeout (no open stream), header timeout
  uv_timer_t up_timer_{};              // upstream connect timeout
  nghttp2_session* server_ = nullptr;  // towards the client
  nghttp2_session* up_ = nullptr;      // towards the upstream
  std::unordered_map<int32_t, std::unique_ptr<H2Stream>> streams_;
  sockaddr_storage peer_{};
  char client_addr_[64] = {};
  bool closing_ = false;
  bool draining_ = false;
  bool up_connected_ = false;
  bool up_failed_ = false;
  bool in_pump_ = false;
  bool data_blocked_ = false;         // send_response_data found the batch full (not nghttp2 dry)
  uint32_t max_streams_ = 0;          // h2_max_concurrent_streams, as the client sees it
  uint32_t open_client_streams_ = 0;  // streams the client has open (not refused)
  bool settings_patched_ = false;
  uint64_t header_since_ms_ = 0;    // loop time the current request header block began; 0: none
  int32_t header_stream_ = 0;       // the stream of that header block
  bool goaway_sent_ = false;        // graceful GOAWAY out: close with the last stream
  bool goaway_fault_done_ = false;  // the goaway fault applies once per connection
  std::vector<int32_t> pending_resets_;  // client stream ids whose reset after bytes is due
  int pending_closes_ = 0;
};

}  // namespace faultline::proxy
