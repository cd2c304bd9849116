#include "proxy/control/admin_host.h"

#include "proxy/admin/server.h"
#include "proxy/control/server.h"

namespace faultline::proxy {

AdminHost::AdminHost(Server& server, const config::AdminConfig& config)
    : server_(server), config_(config), backend_(server) {}

AdminHost::~AdminHost() {
  stop();
}

Status AdminHost::listen() {
  uv_loop_t* loop = thread_.open([this] {
    if (http_) http_->close([] {});
  });
  http_ = std::make_unique<admin::AdminServer>(loop, backend_, server_.audit(), config_.token);
  http_->set_allowed_hosts(config_.hosts);
  if (auto st = http_->listen(config_.listen); !st) return Status::failure(st.error());
  address_ = dialable_address(config_.listen, http_->port());
  return Ok{};
}

Status AdminHost::start() {
  return thread_.start("admin");
}

void AdminHost::stop() {
  thread_.stop([this] { http_.reset(); });
}

void AdminHost::set_token(std::string token) {
  if (http_) http_->set_token(std::move(token));
}

void AdminHost::set_allowed_hosts(std::vector<std::string> names) {
  if (http_) http_->set_allowed_hosts(std::move(names));
}

}  // namespace faultline::proxy
