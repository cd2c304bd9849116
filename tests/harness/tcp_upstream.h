#pragma once
// A raw TCP upstream for the TCP listener tests: accept thread plus one thread per
// connection running a handler (echo, sink, source of N pattern bytes, ...).
#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/harness/net.h"

namespace faultline::harness {

class TcpUpstream;

// Runs on the connection's thread; the socket is blocking. Return to close it.
using TcpHandler = std::function<void(int fd, TcpUpstream& server)>;

class TcpUpstream {
 public:
  explicit TcpUpstream(TcpHandler handler);
  ~TcpUpstream();
  TcpUpstream(const TcpUpstream&) = delete;
  TcpUpstream& operator=(const TcpUpstream&) = delete;

  Endpoint endpoint() const { return {"127.0.0.1", port_}; }
  std::string address() const { return endpoint().str(); }

  uint64_t connections_accepted() const { return accepted_.load(); }
  uint64_t bytes_received() const { return received_.load(); }
  uint64_t bytes_sent() const { return sent_.load(); }
  void count_received(uint64_t n) { received_ += n; }
  void count_sent(uint64_t n) { sent_ += n; }
  // Everything received by the sink/echo handlers, in arrival order (small tests only).
  std::string received_bytes() const;
  void record(std::string_view bytes);
  bool stopping() const { return stopping_.load(); }
  bool sleep(Millis d);
  void stop();

 private:
  void accept_loop();

  TcpHandler handler_;
  uint16_t port_ = 0;
  Fd listener_;
  int wake_pipe_[2] = {-1, -1};
  std::thread acceptor_;
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> accepted_{0};
  std::atomic<uint64_t> received_{0};
  std::atomic<uint64_t> sent_{0};
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::string recorded_;
  std::vector<int> conn_fds_;
  int live_threads_ = 0;
};

namespace tcp_handlers {
// Echoes every byte; at EOF sends `farewell`, then closes.
TcpHandler echo(std::string farewell = {});
// Reads and counts everything, never writes.
TcpHandler sink();
// Sends `total` pattern bytes, then closes. With `after_first_byte` it first waits for one byte
// from the client, so a client that connects slowly cannot miss what is sent (and reset) before
// its connect() returned.
TcpHandler source(uint64_t total, bool after_first_byte = false);
// Closes at once.
TcpHandler close_immediately();
}  // namespace tcp_handlers

}  // namespace faultline::harness
