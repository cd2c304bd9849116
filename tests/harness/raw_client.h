#pragma once
// The tests' HTTP/TCP client: one blocking socket, every wait bounded, outcomes reported
// exactly as the client's kernel saw them (ECONNRESET is distinct from EOF and timeout).
#include <string>
#include <string_view>
#include <vector>

#include "tests/harness/http_message.h"
#include "tests/harness/net.h"
#include "tests/harness/socket_stream.h"

namespace faultline::harness {

struct HttpResponse {
  IoStatus io = IoStatus::kOk;  // how reading ended; kOk = a complete response
  int err = 0;                  // errno behind kReset/kError
  HttpHead head;
  std::string body;         // up to the keep limit
  uint64_t body_bytes = 0;  // all body bytes, kept or not
  bool chunked = false;
  Millis elapsed{0};  // from the start of the read (or of the request) to its end

  int status() const { return head.status; }
  bool complete() const { return io == IoStatus::kOk; }
};

std::ostream& operator<<(std::ostream& os, const HttpResponse& r);

// Builds a request with Host and, when a body is given, Content-Length.
std::string make_request(std::string_view method, std::string_view target,
                         const std::vector<Header>& headers = {}, std::string_view body = {},
                         bool with_length = true);
inline std::string get_request(std::string_view target, const std::vector<Header>& headers = {}) {
  return make_request("GET", target, headers);
}

class RawClient {
 public:
  explicit RawClient(const Endpoint& to, const ConnectOptions& options = {});

  bool connected() const { return fd_.valid(); }
  int connect_errno() const { return connect_errno_; }
  int fd() const { return fd_.get(); }
  SocketStream& stream() { return stream_; }

  IoStatus send(std::string_view bytes, Millis timeout = Millis(10000));
  void shutdown_write();
  // Closes with SO_LINGER 0 so the peer sees a reset.
  void reset();
  void close() { fd_.reset(); }

  // Reads the next response, 1xx included. `sink` sees every body byte; the body is also
  // kept in the response up to `keep_limit` bytes.
  HttpResponse read_response(std::string_view request_method = "GET",
                             Millis timeout = Millis(10000), const BodySink& sink = {},
                             size_t keep_limit = 16u << 20);
  // Sends `raw` and reads the final response (interim 1xx skipped); elapsed covers both.
  HttpResponse request(std::string_view raw, Millis timeout = Millis(10000));

  struct Drained {
    IoStatus io;  // kOk = orderly EOF
    std::string bytes;
    int err = 0;
    Millis elapsed{0};
  };
  // Reads until EOF, reset or timeout, collecting what arrives.
  Drained read_until_close(Millis timeout);
  // Waits up to `timeout` for data or EOF; kTimeout if the socket stays silent and open.
  IoStatus wait_for_activity(Millis timeout);

 private:
  int connect_errno_ = 0;  // before fd_: the connect in fd_ initializer sets it
  Fd fd_;
  SocketStream stream_{-1};
};

}  // namespace faultline::harness
