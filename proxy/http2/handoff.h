#pragma once
// The HTTP/1 listener's PrefaceHandoff on one worker: a connection that opened with the HTTP/2
// preface (h2c), or a TLS connection that agreed on h2 through ALPN, becomes an Http2Session
// (with the listener's pool of HTTP/1.1 upstream connections, for streams relayed over HTTP/1.1).
#include <memory>

#include "proxy/http/preface_handoff.h"
#include "proxy/http/upstream.h"
#include "proxy/worker.h"

namespace faultline::proxy {

class Http2Handoff final : public PrefaceHandoff {
 public:
  Http2Handoff(Worker& worker, WorkerListener& listener, UpstreamPool& pool)
      : worker_(worker), listener_(listener), pool_(pool) {}
  void take(int fd, std::string_view bytes, uint32_t listener_slot) override;
  void take(std::unique_ptr<Transport> transport, std::string_view bytes,
            uint32_t listener_slot) override;

 private:
  Worker& worker_;
  WorkerListener& listener_;
  UpstreamPool& pool_;
};

inline std::unique_ptr<PrefaceHandoff> make_http2_handoff(Worker& worker, WorkerListener& listener,
                                                          UpstreamPool& pool) {
  return std::make_unique<Http2Handoff>(worker, listener, pool);
}

}  // namespace faultline::proxy
