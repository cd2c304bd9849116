#pragma once
// The HTTP/1 listener's PrefaceHandoff on one worker: a connection that opened with the HTTP/2
// preface (h2c), or a TLS connection that agreed on h2 through ALPN, becomes an Http2Session.
#include <memory>

#include "proxy/http/preface_handoff.h"
#include "proxy/worker.h"

namespace faultline::proxy {

class Http2Handoff final : public PrefaceHandoff {
 public:
  Http2Handoff(Worker& worker, WorkerListener& listener) : worker_(worker), listener_(listener) {}
  void take(int fd, std::string_view bytes, uint32_t listener_slot) override;
  void take(std::unique_ptr<Transport> transport, std::string_view bytes,
            uint32_t listener_slot) override;

 private:
  Worker& worker_;
  WorkerListener& listener_;
};

inline std::unique_ptr<PrefaceHandoff> make_http2_handoff(Worker& worker,
                                                          WorkerListener& listener) {
  return std::make_unique<Http2Handoff>(worker, listener);
}

}  // namespace faultline::proxy
