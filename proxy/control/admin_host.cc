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
  uv_loop_init(&loop_);
  loop_ready_ = true;
  uv_async_init(&loop_, &wake_, on_wake);
  wake_.data = this;
  http_ = std::make_unique<admin::AdminServer>(&loop_, backend_, server_.audit(), config_.token);
  http_->set_allowed_hosts(config_.hosts);
  if (auto st = http_->listen(config_.listen); !st) return Status::failure(st.error());
  std::string host = config_.listen.host;
  if (host.empty() || host == "0.0.0.0") host = "127.0.0.1";
  if (host == "::" || host == "[::]")
    host = "[::1]";
  else if (host.find(':') != std::string::npos && host.front() != '[')
    host = "[" + host + "]";
  address_ = host + ":" + std::to_string(http_->port());
  return Ok{};
}

Status AdminHost::start() {
  uv_thread_options_t options;
  options.flags = UV_THREAD_HAS_STACK_SIZE;
  options.stack_size = 512 * 1024;
  if (uv_thread_create_ex(&thread_, &options, thread_main, this) != 0)
    return Status::failure("cannot start admin thread");
  thread_started_ = true;
  return Ok{};
}

void AdminHost::thread_main(void* arg) {
  auto* self = static_cast<AdminHost*>(arg);
  uv_run(&self->loop_, UV_RUN_DEFAULT);
}

void AdminHost::on_wake(uv_async_t* async) {
  auto* self = static_cast<AdminHost*>(async->data);
  uv_close(reinterpret_cast<uv_handle_t*>(&self->wake_), nullptr);
  if (self->http_) self->http_->close([] {});
}

void AdminHost::stop() {
  if (!loop_ready_) return;
  if (thread_started_) {
    uv_async_send(&wake_);
    uv_thread_join(&thread_);
    thread_started_ = false;
  } else {
    // Never started: close from this thread.
    on_wake(&wake_);
    uv_run(&loop_, UV_RUN_DEFAULT);
  }
  http_.reset();
  uv_loop_close(&loop_);
  loop_ready_ = false;
}

void AdminHost::set_token(std::string token) {
  if (http_) http_->set_token(std::move(token));
}

void AdminHost::set_allowed_hosts(std::vector<std::string> names) {
  if (http_) http_->set_allowed_hosts(std::move(names));
}

}  // namespace faultline::proxy
