#include "proxy/admin/server.h"

#include <spdlog/spdlog.h>

#include <exception>
#include <string_view>
#include <utility>

#include "config/ascii.h"
#include "proxy/http/status_reason.h"
#include "proxy/log.h"

namespace faultline::proxy::admin {

using config::ascii_iequals;

namespace {

// `http10_keep_alive`: an HTTP/1.0 client that asked for keep-alive must be told it got it.
std::string serialize(const AdminResponse& r, bool close, bool http10_keep_alive) {
  std::string out;
  out.reserve(256 + r.body.size());
  out += "HTTP/1.1 ";
  out += std::to_string(r.status);
  out += ' ';
  out += reason_phrase(r.status);
  out += "\r\n";
  if (r.status != 204) {
    out += "Content-Type: ";
    out += r.content_type;
    out += "\r\nContent-Length: ";
    out += std::to_string(r.body.size());
    out += "\r\n";
  }
  for (const auto& [name, value] : r.headers) {
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
  out += "Cache-Control: no-store\r\n";
  if (close) {
    out += "Connection: close\r\n";
  } else if (http10_keep_alive) {
    out += "Connection: keep-alive\r\n";
  }
  out += "\r\n";
  if (r.status != 204) out += r.body;
  return out;
}

// The request as AdminApi reads it. A repeated header is joined, so a duplicated token can
// never match and a duplicated Host or Origin can never pass their checks.
AdminRequest admin_request(const ServerRequest& in) {
  AdminRequest request;
  request.method = in.method;
  request.target = in.target;
  request.body = in.body;
  request.client = in.client;
  for (const auto& header : in.headers) {
    const auto& name = header.first;
    const auto& value = header.second;  // a named copy: clang 14 cannot capture a binding
    auto keep = [&](std::string& slot) {
      if (!slot.empty()) slot += ", ";
      slot += value;
    };
    if (ascii_iequals(name, "authorization")) keep(request.authorization);
    if (ascii_iequals(name, "x-faultline-token")) keep(request.faultline_token);
    if (ascii_iequals(name, "content-type")) keep(request.content_type);
    if (ascii_iequals(name, "host")) keep(request.host);
    if (ascii_iequals(name, "origin")) keep(request.origin);
    if (ascii_iequals(name, "sec-fetch-site")) keep(request.sec_fetch_site);
  }
  return request;
}

}  // namespace

AdminServer::AdminServer(uv_loop_t* loop, Backend& backend, AuditLog& audit, std::string token)
    : AdminServer(loop, backend, audit, std::move(token), Limits{}) {}

AdminServer::AdminServer(uv_loop_t* loop, Backend& backend, AuditLog& audit, std::string token,
                         Limits limits)
    : api_(backend, audit, std::move(token)), engine_(loop, *this, limits, &log::admin, "admin") {
  engine_.keep_spare_descriptor();
}

Status AdminServer::listen(const config::HostPort& addr) {
  Status status = engine_.listen(addr);
  if (!status.ok()) return Status::failure("admin: " + status.error());
  return status;
}

void AdminServer::set_token(std::string token) {
  api_.set_token(std::move(token));
}

void AdminServer::set_allowed_hosts(std::vector<std::string> names) {
  api_.set_allowed_hosts(std::move(names));
}

// An exception must not unwind through libuv: a failing Backend call becomes a 500.
ServerAnswer AdminServer::answer(const ServerRequest& request, bool keep_alive) {
  AdminResponse response;
  try {
    response = api_.handle(admin_request(request));
  } catch (const std::exception& e) {
    spdlog::error("admin: {} {} failed: {}", request.method, request.target, e.what());
    response = error_response(500, std::string("internal error: ") + e.what());
  }
  return {serialize(response, !keep_alive, request.http10), !keep_alive};
}

std::string AdminServer::refusal(int status, const std::string& message) {
  return serialize(error_response(status, message), /*close=*/true, /*http10_keep_alive=*/false);
}

}  // namespace faultline::proxy::admin
