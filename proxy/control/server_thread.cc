#include "proxy/control/server_thread.h"

#include <cassert>

namespace faultline::proxy {

ServerThread::~ServerThread() {
  assert(!loop_ready_ && "ServerThread destroyed before stop()");
}

uv_loop_t* ServerThread::open(std::function<void()> close_servers) {
  assert(!loop_ready_);
  close_servers_ = std::move(close_servers);
  uv_loop_init(&loop_);
  loop_ready_ = true;
  uv_async_init(&loop_, &wake_, on_wake);
  wake_.data = this;
  return &loop_;
}

Status ServerThread::start(const std::string& what) {
  uv_thread_options_t options;
  options.flags = UV_THREAD_HAS_STACK_SIZE;
  options.stack_size = 512 * 1024;
  if (uv_thread_create_ex(&thread_, &options, thread_main, this) != 0)
    return Status::failure("cannot start the " + what + " thread");
  thread_started_ = true;
  return Ok{};
}

void ServerThread::thread_main(void* arg) {
  uv_run(&static_cast<ServerThread*>(arg)->loop_, UV_RUN_DEFAULT);
}

void ServerThread::on_wake(uv_async_t* async) {
  auto* self = static_cast<ServerThread*>(async->data);
  uv_close(reinterpret_cast<uv_handle_t*>(&self->wake_), nullptr);
  if (self->close_servers_) self->close_servers_();
}

void ServerThread::stop(const std::function<void()>& destroy) {
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
  if (destroy) destroy();
  uv_loop_close(&loop_);
  loop_ready_ = false;
}

std::string dialable_address(const config::HostPort& listen, uint16_t port) {
  std::string host = listen.host;
  if (host.empty() || host == "0.0.0.0") host = "127.0.0.1";
  if (host == "::" || host == "[::]")
    host = "[::1]";
  else if (host.find(':') != std::string::npos && host.front() != '[')
    host = "[" + host + "]";
  return host + ":" + std::to_string(port);
}

}  // namespace faultline::proxy
