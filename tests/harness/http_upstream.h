#pragma once
// A real HTTP/1.1 origin server for integration tests: listens on 127.0.0.1:0, runs an
// accept thread plus one thread per connection (so handlers can block, sleep and stream
// like a real slow service), records every request it sees, and counts connections so
// tests can prove upstream keep-alive reuse.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/harness/http_message.h"
#include "tests/harness/net.h"
#include "tests/harness/socket_stream.h"

namespace faultline::harness {

struct UpstreamRequest {
  HttpHead head;
  std::string body;         // the first bytes (up to the keep limit of read_body)
  uint64_t body_bytes = 0;  // every body byte read
  bool body_intact = true;  // false if the body was not readable to its end
  bool sent_continue = false;
  bool complete = false;             // the handler has finished with it
  uint64_t connection_id = 0;        // 1-based, in accept order
  uint64_t index_on_connection = 0;  // 0-based
  Clock::time_point received_at;
};

class HttpUpstream;

// One request/response exchange, handed to a handler on the connection's thread.
class Exchange {
 public:
  Exchange(HttpUpstream& server, SocketStream& stream, UpstreamRequest& request)
      : server_(server), stream_(stream), request_(request) {}

  const UpstreamRequest& request() const { return request_; }
  const HttpHead& head() const { return request_.head; }

  // Reads the request body (once), sending "100 Continue" first if the client asked for it.
  // Keeps up to `keep` bytes; `sink` sees every byte.
  IoStatus read_body(size_t keep = 1u << 20, const BodySink& sink = {});
  // Writes raw bytes; false once the peer is gone (or the server stops).
  bool send(std::string_view bytes);
  // A complete Content-Length response (no body bytes for HEAD/204/304).
  bool respond(int status, std::string_view body, const std::vector<Header>& headers = {});
  // Sleeps, waking early when the server stops. Returns false if it stopped.
  bool sleep(Millis duration);
  // Do not keep the connection alive after this exchange (close it gracefully).
  void close_after() { close_after_ = true; }
  // Close at once with SO_LINGER 0 (the proxy sees a reset).
  void abort_connection();
  // Adds to the server-wide count of streamed body bytes (back-pressure checks).
  void count_body_sent(uint64_t n);

  bool closing() const { return close_after_; }
  bool body_read() const { return body_read_; }
  bool head_only() const { return request_.head.method == "HEAD"; }
  int fd() const { return stream_.fd(); }
  SocketStream& stream() { return stream_; }

 private:
  HttpUpstream& server_;
  SocketStream& stream_;
  UpstreamRequest& request_;
  bool close_after_ = false;
  bool body_read_ = false;
};

using Handler = std::function<void(Exchange&)>;

class HttpUpstream {
 public:
  HttpUpstream();
  ~HttpUpstream();
  HttpUpstream(const HttpUpstream&) = delete;
  HttpUpstream& operator=(const HttpUpstream&) = delete;

  Endpoint endpoint() const { return {"127.0.0.1", port_}; }
  std::string address() const { return endpoint().str(); }

  // Routes by exact path (the target without its query). Unrouted paths get the default
  // handler: read the body, answer 200 "ok".
  void route(const std::string& path, Handler handler);
  void set_default(Handler handler);

  uint64_t connections_accepted() const { return accepted_.load(); }
  int connections_open() const { return open_.load(); }
  uint64_t requests_seen() const { return requests_.load(); }
  // Body bytes written by the streaming handlers so far (back-pressure checks).
  uint64_t body_bytes_sent() const { return body_sent_.load(); }
  void add_body_bytes_sent(uint64_t n) { body_sent_ += n; }

  std::vector<UpstreamRequest> recorded() const;
  // The most recent request whose path is `path`, once its handler has finished (waits up
  // to `timeout`). With `head_only`, a request still being handled counts too (for
  // handlers that never finish, such as an upgraded tunnel).
  std::optional<UpstreamRequest> wait_for_request(const std::string& path,
                                                  Millis timeout = Millis(5000),
                                                  bool head_only = false) const;

  bool stopping() const { return stopping_.load(); }
  // Sleeps until `d` passes or the server stops.
  bool sleep(Millis d);
  void stop();

 private:
  void accept_loop();
  void serve(int fd, uint64_t id);
  Handler handler_for(const std::string& target);

  uint16_t port_ = 0;
  Fd listener_;
  int wake_pipe_[2] = {-1, -1};
  std::thread acceptor_;
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> accepted_{0};
  std::atomic<int> open_{0};
  std::atomic<uint64_t> requests_{0};
  std::atomic<uint64_t> body_sent_{0};

  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::map<std::string, Handler> routes_;
  Handler default_;
  std::vector<UpstreamRequest> recorded_;
  int live_threads_ = 0;  // connection threads are detached; stop() waits for this to be 0
  std::vector<int> conn_fds_;
};

// Ready-made handlers.
namespace handlers {
// A fixed Content-Length response.
Handler fixed(int status, std::string body, std::vector<Header> headers = {});
// Echoes the request body back with status 200 (Content-Length).
Handler echo_body();
// `total` pattern bytes (byte_pattern.h) generated on the fly, Content-Length or chunked.
Handler stream(uint64_t total, bool chunked = false, size_t piece = 64 * 1024);
// A chunked response of exactly these chunks.
Handler chunked(std::vector<std::string> chunks);
// Reads the body and checks it against the byte pattern; answers "bytes=N intact=0|1".
Handler verify_pattern_body();
// Waits `delay` before running `inner` (before the response head).
Handler delayed(Millis delay, Handler inner);
// Announces `announced` bytes, sends `sent` pattern bytes, then closes (or resets).
Handler die_mid_response(uint64_t announced, uint64_t sent, bool reset = false);
// Answers 101 Switching Protocols and then echoes bytes until EOF.
Handler upgrade_echo();
}  // namespace handlers

}  // namespace faultline::harness
