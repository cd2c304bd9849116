#include "proxy/http2/handoff.h"

#include "proxy/http2/session.h"

namespace faultline::proxy {

void Http2Handoff::take(int fd, std::string_view bytes) {
  (new Http2Session(worker_, listener_))->start(fd, bytes);
}

}  // namespace faultline::proxy
