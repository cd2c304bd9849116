#pragma once
// Buffered, deadline-bound reading and writing on a socket, with HTTP message framing on
// top. Used by the test client and by the test upstream alike. Every outcome that tests
// care about (timeout, orderly EOF, ECONNRESET) is reported distinctly, never merged.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "tests/harness/http_message.h"
#include "tests/harness/net.h"

namespace faultline::harness {

enum class IoStatus { kOk, kTimeout, kEof, kReset, kError, kMalformed, kTooLarge };
const char* to_string(IoStatus status);

using BodySink = std::function<void(std::string_view)>;

// Sends everything or reports why not (kReset for ECONNRESET/EPIPE).
IoStatus send_all(int fd, std::string_view bytes, Clock::time_point deadline, int* err = nullptr);

class SocketStream {
 public:
  explicit SocketStream(int fd) : fd_(fd) {}

  // Throttles reads (slow-reader tests): at most `bytes` per recv, sleeping `pause` before
  // each recv.
  void throttle(size_t bytes, Millis pause) {
    recv_limit_ = bytes;
    pause_ = pause;
  }

  // Receives more bytes into the buffer (at least one, unless an error or EOF).
  IoStatus fill(Clock::time_point deadline);

  IoStatus read_head(HttpHead* head, bool is_request, Clock::time_point deadline,
                     size_t max_bytes = 1 << 20);
  // Reads a body framed as `framing`, handing each piece to `sink`. Chunked trailers are
  // consumed and dropped.
  IoStatus read_body(const Framing& framing, const BodySink& sink, Clock::time_point deadline);
  IoStatus read_until_close(const BodySink& sink, Clock::time_point deadline);
  // Takes exactly n bytes (from the buffer first).
  IoStatus read_exact(uint64_t n, const BodySink& sink, Clock::time_point deadline);

  std::string& buffer() { return buf_; }
  int last_errno() const { return errno_; }
  uint64_t bytes_received() const { return received_; }
  int fd() const { return fd_; }

 private:
  IoStatus read_line(std::string* line, Clock::time_point deadline);
  IoStatus read_chunked(const BodySink& sink, Clock::time_point deadline);

  int fd_;
  std::string buf_;
  size_t recv_limit_ = 0;
  Millis pause_{0};
  int errno_ = 0;
  uint64_t received_ = 0;
};

}  // namespace faultline::harness
