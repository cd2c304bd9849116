#include "proxy/http2/handoff.h"

#include "proxy/http2/session.h"

namespace faultline::proxy {

void Http2Handoff::take(int fd, std::string_view bytes, uint32_t listener_slot) {
  (new Http2Session(worker_, listener_, pool_))->start(fd, bytes, listener_slot);
}

void Http2Handoff::take(std::unique_ptr<Transport> transport, std::string_view bytes,
                        uint32_t listener_slot) {
  (new Http2Session(worker_, listener_, pool_))->start(std::move(transport), bytes, listener_slot);
}

}  // namespace faultline::proxy
