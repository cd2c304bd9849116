#include "proxy/cli/simple_http_server.h"

#include <cstdint>

#include "config/ascii.h"
#include "proxy/http/status_reason.h"
#include "proxy/log.h"

namespace faultline::proxy {

namespace {

HttpServerEngine::Limits demo_limits() {
  HttpServerEngine::Limits limits;
  limits.max_body_bytes = SimpleHttpServer::kMaxBody;
  limits.max_buffered_body_bytes = SIZE_MAX;  // each request's body is bounded; no shared budget
  limits.max_header_bytes = SimpleHttpServer::kMaxHead;
  limits.request_timeout_ms = 0;  // an upstream for tests: the proxy's timeouts are under test
  limits.idle_timeout_ms = 0;
  limits.write_timeout_ms = 0;
  limits.linger_ms = 0;
  limits.max_connections = 0;
  limits.tcp_nodelay = true;
  return limits;
}

}  // namespace

std::string SimpleRequest::header(std::string_view lower_name) const {
  for (const auto& [k, v] : headers)
    if (k == lower_name) return v;
  return {};
}

SimpleHttpServer::SimpleHttpServer(uv_loop_t* loop, Handler handler)
    : handler_(std::move(handler)),
      engine_(loop, *this, demo_limits(), &log::main, "demo-upstream") {}

Status SimpleHttpServer::listen(const std::string& host, uint16_t port) {
  return engine_.listen(config::HostPort{host, port});
}

ServerAnswer SimpleHttpServer::answer(const ServerRequest& in, bool keep_alive) {
  SimpleRequest request{in.method, in.target, {}, in.body};
  request.headers.reserve(in.headers.size());
  for (const auto& [name, value] : in.headers) {
    std::string lower(name);
    for (char& c : lower) c = config::ascii_lower(c);
    request.headers.emplace_back(std::move(lower), value);
  }
  const SimpleResponse r = handler_(request);
  std::string out = "HTTP/1.1 " + std::to_string(r.status) + " " + reason_phrase(r.status) + "\r\n";
  const bool no_body = r.status == 204 || r.status == 304 || (r.status >= 100 && r.status < 200);
  if (!no_body) {
    out += "content-type: " + r.content_type + "\r\n";
    out += "content-length: " + std::to_string(r.body.size()) + "\r\n";
  }
  for (const auto& [k, v] : r.headers) out += k + ": " + v + "\r\n";
  if (!keep_alive) out += "connection: close\r\n";
  out += "\r\n";
  if (request.method != "HEAD" && !no_body) out += r.body;
  return {std::move(out), !keep_alive};
}

// Refusals carry no body; every malformed request, an oversized body included, is a 400.
std::string SimpleHttpServer::refusal(int status, const std::string&) {
  return status == 431 ? "HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: "
                         "0\r\nconnection: close\r\n\r\n"
                       : "HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: "
                         "close\r\n\r\n";
}

}  // namespace faultline::proxy
