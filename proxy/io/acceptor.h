#pragma once
// Accepts connections from one listening socket on one event loop, and stops asking the kernel
// for more when the process cannot take them instead of accepting and closing:
// - at the owner's connection limit: the socket is no longer polled until a connection closes
//   (resume()) or a short recheck timer fires (the limit may be shared with other loops);
// - when descriptors run out (EMFILE, ENFILE) or memory does: the same pause, retried after a
//   backoff, so a full descriptor table never turns into a busy loop on a failing accept4().
// Meanwhile new clients wait in the kernel's listen backlog. (uv_listen cannot pause: libuv
// accepts in a loop until EAGAIN and, on EMFILE, calls back forever with the error.)
// With keep_spare_descriptor() (the admin listener) one descriptor is held back and given up
// to accept one connection when the table is full, so /healthz and the kill switch still get
// through one at a time; the spare is taken again when that connection closes.
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <uv.h>

#include <cstdint>
#include <functional>
#include <string>

#include "proxy/io/log_limiter.h"

namespace faultline::proxy {

class Acceptor {
 public:
  class Owner {
   public:
    // Takes a slot for one more connection; false when at the limit.
    virtual bool reserve_slot() = 0;
    // Gives back a slot reserve_slot() took when accept4() then failed.
    virtual void release_slot() = 0;
    // A new connection (non-blocking, close-on-exec) from `peer`; the owner owns `fd` from now
    // on. accept4() returns the peer's address, which spares each session a getpeername().
    virtual void accepted(int fd, const sockaddr_storage& peer) = 0;
    // accept4() found the descriptor table full: a chance to close idle descriptors.
    virtual void out_of_descriptors() {}
    // How many connections one readiness callback may accept (1..kBatch). A listener that
    // terminates TLS takes one: every connection accepted brings a handshake to the next
    // iteration (its ClientHello is usually there already; a resumed TLS 1.3 handshake with its
    // key exchange is about 0.4 ms of CPU), so a batch of 16 puts 16 handshakes in front of
    // every request and upstream response already in the loop. Left in the backlog, new
    // clients wait before their handshake instead of requests after theirs (nginx accepts one
    // per event too: multi_accept off).
    virtual int accepts_per_turn() const { return kBatch; }

   protected:
    ~Owner() = default;
  };

  // Connections accepted per readiness callback (at most; Owner::accepts_per_turn): the rest
  // wait for the next loop iteration, so that timers, signals, the connections already open
  // and other loops' acceptors on the same socket get their turn.
  static constexpr int kBatch = 16;
  static constexpr uint64_t kLimitRecheckMs = 250;
  static constexpr uint64_t kFirstBackoffMs = 25;
  static constexpr uint64_t kMaxBackoffMs = 1000;

  // `log` returns the logger to write to (loggers are replaced when logging is configured).
  Acceptor(Owner& owner, spdlog::logger& (*log)(), std::string name);
  ~Acceptor();
  Acceptor(const Acceptor&) = delete;
  Acceptor& operator=(const Acceptor&) = delete;

  // Before start(): hold one descriptor back for accepting when the table is full.
  void keep_spare_descriptor() { keep_spare_ = true; }
  // Starts accepting from `listen_fd` (already listening), which the acceptor owns from now on:
  // close() closes it. On error the fd is still the caller's.
  int start(uv_loop_t* loop, int listen_fd);
  // A connection closed: accept again at once if paused (at the limit or out of descriptors).
  void resume();
  // Stops accepting and closes the socket once libuv let go of it, then calls `done`.
  // Idempotent.
  void close(std::function<void()> done = {});

  bool is_open() const { return open_; }
  int fd() const { return fd_; }
  bool paused() const { return open_ && !polling_; }

 private:
  static void on_readable(uv_poll_t* poll, int status, int events);
  static void on_retry(uv_timer_t* timer);
  static void on_closed(uv_handle_t* handle);
  void accept_batch();
  bool accept_with_spare();
  void take_spare();
  void pause(uint64_t retry_ms);
  void poll();

  Owner& owner_;
  spdlog::logger& (*log_)();
  std::string name_;
  uv_poll_t poll_{};
  uv_timer_t retry_{};
  int fd_ = -1;
  bool open_ = false;
  bool polling_ = false;
  int pending_closes_ = 0;
  uint64_t backoff_ms_ = kFirstBackoffMs;
  bool keep_spare_ = false;
  int spare_fd_ = -1;
  std::function<void()> on_closed_;
  LogLimiter exhausted_log_;
};

}  // namespace faultline::proxy
