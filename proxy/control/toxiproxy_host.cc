#include "proxy/control/toxiproxy_host.h"

#include "proxy/compat/api.h"
#include "proxy/control/server.h"
#include "proxy/http/server_engine.h"
#include "proxy/io/listen_socket.h"
#include "proxy/log.h"

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
  uv_loop_t* loop = thread_.open([this] {
    if (served_) served_->http.close([] {});
  });
  served_ = std::make_unique<Served>(loop, static_cast<toxiproxy::Backend&>(*this));
  if (auto st = served_->http.listen(config_.listen); !st)
    return Status::failure("compat.toxiproxy.listen: " + st.error());
  address_ = dialable_address(config_.listen, served_->http.port());
  return Ok{};
}

Status ToxiproxyHost::start() {
  return thread_.start("Toxiproxy API");
}

void ToxiproxyHost::stop() {
  thread_.stop([this] { served_.reset(); });
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
