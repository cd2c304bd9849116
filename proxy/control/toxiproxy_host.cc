#include "proxy/control/toxiproxy_host.h"

#include "proxy/control/server.h"
#include "proxy/http/server_engine.h"
#include "proxy/io/listen_socket.h"
#include "proxy/log.h"
#include "proxy/compat/api.h"

namespace faultline::proxy {

struct ToxiproxyHost::Served {
  Served(uv_loop_t* loop, toxiproxy::Backend& backend)
      : api(backend), http(loop, api, HttpServerEngine::Limits{}, &log::admin, "toxiproxy") {}
  toxiproxy::ToxiproxyApi api;
  HttpServerEngine http;
};

ToxiproxyHost::ToxiproxyHost(Server& server, const config::ToxiproxyConfig& config)
    : server_(server), config_(config), toxic_ttl_ms_(config.toxic_ttl.count()) {}

ToxiproxyHost::~ToxiproxyHost() {
  stop();
}

Status ToxiproxyHost::listen() {
  uv_loop_init(&loop_);
  loop_ready_ = true;
  uv_async_init(&loop_, &wake_, on_wake);
  wake_.data = this;
  served_ = std::make_unique<Served>(&loop_, static_cast<toxiproxy::Backend&>(*this));
  if (auto st = served_->http.listen(config_.listen); !st)
    return Status::failure("compat.toxiproxy.listen: " + st.error());
  std::string host = config_.listen.host;
  if (host.empty() || host == "0.0.0.0") host = "127.0.0.1";
  address_ = host + ":" + std::to_string(served_->http.port());
  return Ok{};
}

Status ToxiproxyHost::start() {
  uv_thread_options_t options;
  options.flags = UV_THREAD_HAS_STACK_SIZE;
  options.stack_size = 512 * 1024;
  if (uv_thread_create_ex(&thread_, &options, thread_main, this) != 0)
    return Status::failure("cannot start the Toxiproxy API thread");
  thread_started_ = true;
  return Ok{};
}

void ToxiproxyHost::thread_main(void* arg) {
  auto* self = static_cast<ToxiproxyHost*>(arg);
  uv_run(&self->loop_, UV_RUN_DEFAULT);
}

void ToxiproxyHost::on_wake(uv_async_t* async) {
  auto* self = static_cast<ToxiproxyHost*>(async->data);
  uv_close(reinterpret_cast<uv_handle_t*>(&self->wake_), nullptr);
  if (self->served_) self->served_->http.close([] {});
}

void ToxiproxyHost::stop() {
  if (!loop_ready_) return;
  if (thread_started_) {
    uv_async_send(&wake_);
    uv_thread_join(&thread_);
    thread_started_ = false;
  } else {
    on_wake(&wake_);
    uv_run(&loop_, UV_RUN_DEFAULT);
  }
  served_.reset();
  uv_loop_close(&loop_);
  loop_ready_ = false;
}

void ToxiproxyHost::set_toxic_ttl(config::Duration ttl) {
  toxic_ttl_ms_ = ttl.count();
}

config::Duration ToxiproxyHost::toxic_ttl() const {
  return config::Duration(toxic_ttl_ms_.load());
}

std::string ToxiproxyHost::set_listeners(std::vector<config::ListenerConfig> desired) {
  admin::Outcome outcome = server_.set_api_listeners(std::move(desired));
  return outcome.ok() ? std::string() : outcome.error;
}

std::string ToxiproxyHost::listener_address(const std::string& name) const {
  return server_.listener_address(name);
}

std::string ToxiproxyHost::put_experiment(config::ExperimentConfig experiment) {
  experiment.origin = "toxiproxy";
  admin::ExperimentOutcome outcome = server_.create_experiment(std::move(experiment), true);
  return outcome.ok() ? std::string() : outcome.error;
}

void ToxiproxyHost::remove_experiment(const std::string& name) {
  server_.remove_experiment(name);
}

void ToxiproxyHost::audit(const std::string& action, const std::string& target,
                          const std::string& result) {
  server_.audit().record("toxiproxy", action, target, result);
}

}  // namespace faultline::proxy
