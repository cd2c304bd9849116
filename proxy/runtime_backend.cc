#include "proxy/runtime_backend.h"

#include "proxy/server.h"

namespace faultline::proxy {

namespace {
admin::Outcome not_yet() {
  admin::Outcome o;
  o.status = 501;
  o.error = "experiments are not available in this build";
  return o;
}
}  // namespace

bool RuntimeBackend::ready() const {
  return server_.ready();
}
nlohmann::json RuntimeBackend::status() const {
  return server_.status();
}
nlohmann::json RuntimeBackend::experiments() const {
  return nlohmann::json::array();
}
std::optional<nlohmann::json> RuntimeBackend::experiment(const std::string&) const {
  return std::nullopt;
}
admin::Outcome RuntimeBackend::create(config::ExperimentConfig, bool) {
  return not_yet();
}
admin::Outcome RuntimeBackend::remove(const std::string&) {
  return not_yet();
}
admin::Outcome RuntimeBackend::pause(const std::string&, bool) {
  return not_yet();
}
admin::Outcome RuntimeBackend::halt(bool halted) {
  return server_.set_halted(halted);
}
admin::Outcome RuntimeBackend::reload() {
  return server_.reload();
}
admin::MetricsSample RuntimeBackend::metrics() const {
  return server_.metrics();
}

}  // namespace faultline::proxy
