#include "proxy/admin_host.h"

#include "proxy/listen_socket.h"
#include "proxy/server.h"
#include "proxy/simple_http_server.h"

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
  // TODO(admin): serve the full admin API through proxy/admin's AdminServer once it lands;
  // until then /healthz, /readyz and /metrics-less status only.
  http_ = std::make_unique<SimpleHttpServer>(&loop_, [this](const SimpleRequest& req) {
    SimpleResponse r;
    std::string path = req.target.substr(0, req.target.find('?'));
    if (path == "/healthz" || path == "/livez") {
      r.body = "ok\n";
    } else if (path == "/readyz") {
      bool ready = backend_.ready();
      r.status = ready ? 200 : 503;
      r.body = ready ? "ready\n" : "draining\n";
    } else if (path == "/v1/status") {
      r.content_type = "application/json";
      r.body = backend_.status().dump();
    } else if (path == "/v1/halt" && (req.method == "POST" || req.method == "DELETE")) {
      auto o = backend_.halt(req.method == "POST");
      r.status = o.status;
      r.content_type = "application/json";
      r.body = R"({"halted":)" + std::string(req.method == "POST" ? "true" : "false") + "}";
    } else if (path == "/v1/reload" && req.method == "POST") {
      auto o = backend_.reload();
      r.status = o.status;
      r.content_type = "application/json";
      r.body = o.error.empty() ? "{}" : nlohmann::json{{"error", o.error}}.dump();
    } else {
      r.status = 404;
      r.body = "not found\n";
    }
    return r;
  });
  config::HostPort hp = config_.listen;
  auto addr = resolve(hp, true);
  if (!addr) return Status::failure("admin: " + addr.error());
  char host[64] = {};
  if (addr->ss_family == AF_INET)
    uv_ip4_name(reinterpret_cast<const sockaddr_in*>(&*addr), host, sizeof host);
  else
    uv_ip6_name(reinterpret_cast<const sockaddr_in6*>(&*addr), host, sizeof host);
  if (auto st = http_->listen(host, hp.port); !st)
    return Status::failure("cannot bind admin " + hp.to_string() + ": " + st.error());
  hp.port = http_->port();
  std::string h = host;
  if (h == "0.0.0.0") h = "127.0.0.1";
  if (h == "::")
    h = "[::1]";
  else if (h.find(':') != std::string::npos)
    h = "[" + h + "]";
  address_ = h + ":" + std::to_string(hp.port);
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

void AdminHost::set_token(std::string) {}

}  // namespace faultline::proxy
