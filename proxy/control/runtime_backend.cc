#include "proxy/control/runtime_backend.h"

#include "faults/config_check.h"
#include "proxy/control/server.h"

namespace faultline::proxy {

bool RuntimeBackend::ready() const {
  return server_.ready();
}
nlohmann::json RuntimeBackend::status() const {
  return server_.status();
}
nlohmann::json RuntimeBackend::experiments() const {
  return server_.experiments_json();
}
std::optional<nlohmann::json> RuntimeBackend::experiment(const std::string& name) const {
  return server_.experiment_json(name);
}
void RuntimeBackend::check(const config::ExperimentConfig& experiment,
                           config::Diagnostics& diags) const {
  faults::check_experiment(experiment, *server_.config(), diags);
}

admin::Outcome RuntimeBackend::create(config::ExperimentConfig experiment, bool replace_allowed) {
  return server_.create_experiment(std::move(experiment), replace_allowed);
}
admin::Outcome RuntimeBackend::remove(const std::string& name) {
  return server_.remove_experiment(name);
}
admin::Outcome RuntimeBackend::pause(const std::string& name, bool paused) {
  // An expired experiment injects nothing whatever its paused flag says; answering "ok" would
  // tell an operator that a resume brought it back (SPEC §7: 409).
  if (std::optional<nlohmann::json> view = server_.experiment_json(name);
      view && view->value("state", "") == "expired") {
    admin::Outcome expired;
    expired.status = 409;
    expired.error = "experiment \"" + name + "\" expired" +
                    (view->contains("expires_at") && (*view)["expires_at"].is_string()
                         ? " at " + (*view)["expires_at"].get<std::string>()
                         : std::string()) +
                    "; an expired experiment cannot be " + (paused ? "paused" : "resumed");
    return expired;
  }
  return server_.pause_experiment(name, paused);
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
