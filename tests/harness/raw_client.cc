#include "tests/harness/raw_client.h"

#include <sys/socket.h>

#include <ostream>

namespace faultline::harness {

std::ostream& operator<<(std::ostream& os, const HttpResponse& r) {
  os << "{io=" << to_string(r.io);
  if (r.err) os << " errno=" << r.err;
  os << " status=" << r.head.status << " body_bytes=" << r.body_bytes
     << " elapsed_ms=" << r.elapsed.count();
  if (r.body.size() <= 200) os << " body=\"" << r.body << "\"";
  return os << "}";
}

std::string make_request(std::string_view method, std::string_view target,
                         const std::vector<Header>& headers, std::string_view body,
                         bool with_length) {
  std::string out;
  out.append(method).append(" ").append(target).append(" HTTP/1.1\r\n");
  bool has_host = false;
  for (const auto& h : headers) has_host |= iequals(h.name, "host");
  // localhost: the admin API answers 421 to names that are not this machine's (SPEC §7).
  if (!has_host) out.append("Host: localhost\r\n");
  for (const auto& h : headers) out.append(h.name).append(": ").append(h.value).append("\r\n");
  if (with_length && (!body.empty() || method == "POST" || method == "PUT"))
    out.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
  out.append("\r\n").append(body);
  return out;
}

RawClient::RawClient(const Endpoint& to, const ConnectOptions& options)
    : fd_(connect_tcp(to, options, &connect_errno_)), stream_(fd_.get()) {}

IoStatus RawClient::send(std::string_view bytes, Millis timeout) {
  return send_all(fd_.get(), bytes, Clock::now() + timeout);
}

void RawClient::shutdown_write() {
  ::shutdown(fd_.get(), SHUT_WR);
}

void RawClient::reset() {
  linger l{1, 0};
  ::setsockopt(fd_.get(), SOL_SOCKET, SO_LINGER, &l, sizeof l);
  fd_.reset();
}

HttpResponse RawClient::read_response(std::string_view request_method, Millis timeout,
                                      const BodySink& sink, size_t keep_limit) {
  HttpResponse r;
  auto start = Clock::now();
  auto deadline = start + timeout;
  r.io = stream_.read_head(&r.head, false, deadline);
  if (r.io == IoStatus::kOk) {
    auto framing = response_framing(r.head, request_method);
    r.chunked = framing.kind == Framing::kChunked;
    r.io = stream_.read_body(
        framing,
        [&](std::string_view piece) {
          r.body_bytes += piece.size();
          if (r.body.size() < keep_limit)
            r.body.append(piece.substr(0, std::min(piece.size(), keep_limit - r.body.size())));
          if (sink) sink(piece);
        },
        deadline);
  }
  r.err = stream_.last_errno();
  r.elapsed = std::chrono::duration_cast<Millis>(Clock::now() - start);
  return r;
}

HttpResponse RawClient::request(std::string_view raw, Millis timeout) {
  auto start = Clock::now();
  auto method = raw.substr(0, raw.find(' '));
  HttpResponse r;
  r.io = send(raw, timeout);
  if (r.io != IoStatus::kOk) return r;
  do {
    r = read_response(method, timeout - std::chrono::duration_cast<Millis>(Clock::now() - start));
  } while (r.io == IoStatus::kOk && r.head.status >= 100 && r.head.status < 200 &&
           r.head.status != 101);
  r.elapsed = std::chrono::duration_cast<Millis>(Clock::now() - start);
  return r;
}

RawClient::Drained RawClient::read_until_close(Millis timeout) {
  Drained d;
  auto start = Clock::now();
  d.io = stream_.read_until_close([&](std::string_view piece) { d.bytes.append(piece); },
                                  start + timeout);
  d.err = stream_.last_errno();
  d.elapsed = std::chrono::duration_cast<Millis>(Clock::now() - start);
  return d;
}

IoStatus RawClient::wait_for_activity(Millis timeout) {
  if (!stream_.buffer().empty()) return IoStatus::kOk;
  return stream_.fill(Clock::now() + timeout);
}

}  // namespace faultline::harness
