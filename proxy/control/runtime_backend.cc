#include "proxy/control/runtime_backend.h"

#include "faults/config_check.h"
#include "proxy/admin/time_format.h"
#include "proxy/control/server.h"

namespace faultline::proxy {

bool RuntimeBackend::ready() const {
  return server_.ready();
}
admin::StatusReport RuntimeBackend::status() const {
  return server_.status();
}
std::vector<admin::ExperimentView> RuntimeBackend::experiments() const {
  return server_.experiments();
}
std::optional<admin::ExperimentView> RuntimeBackend::experiment(const std::string& name) const {
  return server_.experiment(name);
}
void RuntimeBackend::check(const config::ExperimentConfig& experiment,
                           config::Diagnostics& diags) const {
  faults::check_experiment(experiment, *server_.config(), diags);
}

admin::ExperimentOutcome RuntimeBackend::create(config::ExperimentConfig experiment,
                                                bool replace_allowed) {
  return server_.create_experiment(std::move(experiment), replace_allowed);
}
admin::Outcome RuntimeBackend::remove(const std::string& name) {
  return server_.remove_experiment(name);
}
admin::ExperimentOutcome RuntimeBackend::pause(const std::string& name, bool paused) {
  // An expired experiment injects nothing whatever its paused flag says; answering "ok" would
  // tell an operator that a resume brought it back (SPEC §7: a conflict).
  if (std::optional<admin::ExperimentView> view = server_.experiment(name);
      view && view->run.state == admin::ExperimentState::kExpired) {
    return admin::Outcome::failure(
        admin::Verdict::kConflict,
        "experiment \"" + name + "\" expired" +
            (view->run.expires_at ? " at " + admin::format_rfc3339_utc(*view->run.expires_at)
                                  : std::string()) +
            "; an expired experiment cannot be " + (paused ? "paused" : "resumed"));
  }
  return server_.pause_experiment(name, paused);
}
admin::HaltOutcome RuntimeBackend::halt(bool halted) {
  return server_.set_halted(halted);
}
admin::Outcome RuntimeBackend::reload() {
  return server_.reload();
}
admin::MetricsSample RuntimeBackend::metrics() const {
  return server_.metrics();
}
std::optional<std::vector<SecondBucket>> RuntimeBackend::timeseries(const std::string& listener,
                                                                    int64_t seconds) const {
  return server_.timeseries(listener, seconds);
}
std::vector<std::string> RuntimeBackend::listener_names() const {
  std::vector<std::string> names;
  for (const auto& l : server_.config()->listeners)
    if (!l.retired) names.push_back(l.name);
  return names;
}

}  // namespace faultline::proxy
