#pragma once
// An HTTP listener on one worker: makes an HttpSession per accepted connection and keeps the
// listener's idle upstream connections for them to reuse.
#include "proxy/http/session.h"
#include "proxy/http/upstream.h"
#include "proxy/worker.h"

namespace faultline::proxy {

class HttpListener final : public ListenerProtocol {
 public:
  HttpListener(Worker& worker, WorkerListener& listener) : worker_(worker), listener_(listener) {}
  ~HttpListener() override { pool_.close_all(); }

  void accepted(int client_fd) override {
    (new HttpSession(worker_, listener_, pool_))->start(client_fd);
  }
  void close_idle() override { pool_.close_all(); }

 private:
  Worker& worker_;
  WorkerListener& listener_;
  UpstreamPool pool_;
};

}  // namespace faultline::proxy
