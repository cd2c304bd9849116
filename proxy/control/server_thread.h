#pragma once
// A libuv loop on a thread of its own, for a server that must answer while the workers are
// busy (the admin API, the Toxiproxy API). The owner builds its server on loop() between
// open() and start(), on the main thread, so that a bind error is reported before anything
// runs; stop() closes it on its own thread and waits for that thread to end.
#include <uv.h>

#include <functional>
#include <string>

#include "config/result.h"
#include "config/value.h"

namespace faultline::proxy {

class ServerThread {
 public:
  ServerThread() = default;
  ~ServerThread();
  ServerThread(const ServerThread&) = delete;
  ServerThread& operator=(const ServerThread&) = delete;

  // Main thread: makes the loop. `close_servers` runs on the loop's thread when stop() is
  // called and must close every handle the owner put on the loop.
  uv_loop_t* open(std::function<void()> close_servers);
  // Runs the loop on a new thread; `what` names it in the error.
  Status start(const std::string& what);
  // Thread-safe and idempotent: closes the servers, waits for the loop to end, then calls
  // `destroy` (where the owner deletes its servers) and closes the loop.
  void stop(const std::function<void()>& destroy);

 private:
  static void on_wake(uv_async_t* async);
  static void thread_main(void* arg);

  std::function<void()> close_servers_;
  uv_loop_t loop_{};
  uv_async_t wake_{};
  uv_thread_t thread_{};
  bool thread_started_ = false;
  bool loop_ready_ = false;
};

// The address a client dials for a server listening on `listen` with bound `port`: wildcard
// hosts become loopback, IPv6 hosts get brackets.
std::string dialable_address(const config::HostPort& listen, uint16_t port);

}  // namespace faultline::proxy
