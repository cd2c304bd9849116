#pragma once
// A TCP listener on one worker: a TcpSession (byte relay) per accepted connection.
#include "proxy/tcp/session.h"
#include "proxy/worker.h"

namespace faultline::proxy {

class TcpListener final : public ListenerProtocol {
 public:
  TcpListener(Worker& worker, WorkerListener& listener) : worker_(worker), listener_(listener) {}

  void accepted(int client_fd, const sockaddr_storage& peer) override {
    (new TcpSession(worker_, listener_))->start(client_fd, peer);
  }

 private:
  Worker& worker_;
  WorkerListener& listener_;
};

}  // namespace faultline::proxy
