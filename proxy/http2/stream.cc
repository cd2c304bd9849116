#include "proxy/http2/stream.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "proxy/http2/session.h"
#include "proxy/worker.h"

namespace faultline::proxy {

size_t ByteQueue::take(uint8_t* out, size_t n) {
  n = std::min(n, size());
  std::memcpy(out, data.data() + off, n);
  off += n;
  if (off == data.size()) {
    data.clear();
    off = 0;
  }
  return n;
}

void ByteQueue::take(std::string& out, size_t n) {
  out.append(data, off, n);
  off += n;
  if (off == data.size()) {
    data.clear();
    off = 0;
  }
}

size_t GrpcFramer::feed(const uint8_t* p, size_t n, uint32_t limit) {
  size_t used = 0;
  while (used < n && complete < limit) {
    if (!in_message) {
      prefix[have++] = p[used++];
      if (have == 5) {
        left = (uint64_t{prefix[1]} << 24) | (uint64_t{prefix[2]} << 16) |
               (uint64_t{prefix[3]} << 8) | prefix[4];
        have = 0;
        in_message = true;
        if (left == 0) {
          in_message = false;
          ++complete;
        }
      }
      continue;
    }
    size_t take = static_cast<size_t>(std::min<uint64_t>(left, n - used));
    used += take;
    left -= take;
    if (left == 0) {
      in_message = false;
      ++complete;
    }
  }
  return used;
}

void* H2Stream::operator new(size_t size) {
  return Spare::take(size);
}
void H2Stream::operator delete(void* block, size_t size) {
  Spare::give(block, size);
}

H2Stream::~H2Stream() {
  for (uv_timer_t* t : {timer, upload_timer}) {
    if (t == nullptr) continue;
    uv_close(reinterpret_cast<uv_handle_t*>(t),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
  }
}

void H2Stream::fault_delay_request(uint64_t ms) {
  session.stream_wait(*this, Wait::kRequestDelay, ms);
}
void H2Stream::fault_stall(uint64_t ms) {
  session.stream_wait(*this, Wait::kStall, ms);
}
void H2Stream::fault_delay_response(uint64_t ms) {
  session.stream_wait(*this, Wait::kResponseDelay, ms);
}
// slow_close on a stream: its end (END_STREAM) is held; read_response_body asks for it.
void H2Stream::fault_delay_close(uint64_t ms) {
  session.stream_wait(*this, Wait::kSlowClose, ms);
}
void H2Stream::fault_respond(int status, std::string_view body, std::string_view,
                             std::string_view) {
  // Headers, and the gRPC trailers-only shape, are taken from the plan: HTTP/2 fields are
  // name/value pairs, not lines.
  injected = true;
  session.respond_local(*this, status, body, true);
}
void H2Stream::fault_refuse(std::string_view why) {
  session.respond_local(*this, 400, why, false);
}
void H2Stream::fault_reset() {
  injected = true;
  session.reset_stream(*this, static_cast<uint32_t>(executor.plan().reset_code));
}
void H2Stream::fault_forward() {
  session.forward(*this);
}
bool H2Stream::faults_halted() const {
  return session.worker().shared().halted.load(std::memory_order_relaxed);
}

}  // namespace faultline::proxy
