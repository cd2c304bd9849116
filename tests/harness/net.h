#pragma once
// Socket helpers shared by the test client and the test upstreams: every socket lives on
// 127.0.0.1, every listener binds port 0, and every blocking wait has a deadline.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace faultline::harness {

using Clock = std::chrono::steady_clock;
using Millis = std::chrono::milliseconds;

struct Endpoint {
  std::string host = "127.0.0.1";
  uint16_t port = 0;

  std::string str() const { return host + ":" + std::to_string(port); }
  // Parses "HOST:PORT"; nullopt on anything else.
  static std::optional<Endpoint> parse(std::string_view text);
};

// An owned file descriptor: closed exactly once.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(other.release()) {}
  Fd& operator=(Fd&& other) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release();
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

// Binds 127.0.0.1:0 (or `port`), listens, and reports the bound port. Aborts the test
// process with a clear message on failure: a harness that cannot listen is broken.
Fd listen_tcp(uint16_t port, int backlog, uint16_t* bound_port);

struct ConnectOptions {
  Millis timeout{5000};
  int rcvbuf = 0;  // >0: SO_RCVBUF set before connect (disables autotuning), for slow readers
  int sndbuf = 0;
};
// Connects a blocking socket; returns an invalid Fd and sets *err (errno) on failure.
Fd connect_tcp(const Endpoint& to, const ConnectOptions& options, int* err = nullptr);

// Waits until `fd` is readable/writable or the deadline passes. Returns false on timeout.
bool wait_readable(int fd, Clock::time_point deadline);
bool wait_writable(int fd, Clock::time_point deadline);

void set_nonblocking(int fd, bool on);
void set_nodelay(int fd);

}  // namespace faultline::harness
