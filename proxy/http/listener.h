#pragma once
// An HTTP listener on one worker: makes an HttpSession per accepted connection and keeps the
// listener's idle upstream connections for them to reuse. Connections that open with the
// HTTP/2 preface are handed on (preface_handoff.h).
#include <memory>

#include "proxy/http/preface_handoff.h"
#include "proxy/http/session.h"
#include "proxy/http/upstream.h"
#include "proxy/worker.h"

namespace faultline::proxy {

class HttpListener final : public ListenerProtocol {
 public:
  HttpListener(Worker& worker, WorkerListener& listener) : worker_(worker), listener_(listener) {}
  ~HttpListener() override { pool_.close_all(); }

  void accepted(int client_fd, const sockaddr_storage& peer) override {
    (new HttpSession(worker_, listener_, pool_))->start(client_fd, peer);
  }
  void close_idle() override {
    pool_.close_all();
    if (h2_) h2_->close_idle();
  }

  // Where connections opening with the HTTP/2 preface go; null: they get a 400.
  void set_preface_handoff(std::unique_ptr<PrefaceHandoff> h2) { h2_ = std::move(h2); }
  PrefaceHandoff* preface_handoff() const { return h2_.get(); }
  // Idle upstream connections of this listener on this worker (HTTP/2 streams relayed over
  // HTTP/1.1 use them too).
  UpstreamPool& pool() { return pool_; }

 private:
  Worker& worker_;
  WorkerListener& listener_;
  UpstreamPool pool_;
  std::unique_ptr<PrefaceHandoff> h2_;
};

}  // namespace faultline::proxy
