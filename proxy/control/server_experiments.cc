// Server: experiments through the admin API, publishing snapshots, background stress and the
// fault metrics. Mutations are serialised by control_mutex_ and publish a whole new snapshot.
#include <algorithm>
#include <array>

#include "faults/catalog.h"
#include "faults/views.h"
#include "proxy/control/server.h"
#include "proxy/log.h"

namespace faultline::proxy {

namespace {

using admin::Verdict;

admin::Outcome failure(Verdict verdict, std::string error, std::string field = {}) {
  return admin::Outcome::failure(verdict, std::move(error), std::move(field));
}

admin::ExperimentView view_for_admin(const faults::ExperimentView& v) {
  admin::ExperimentView view;
  view.definition = v.experiment->definition;
  admin::ExperimentViewInput& in = view.run;
  in.state = v.status;
  in.source = v.experiment->source;
  // start = "paused" and not resumed yet: the clock has not started.
  if (!v.experiment->run->held()) {
    in.started_at = v.experiment->started_at;
    in.expires_at = v.experiment->expires_at;
  }
  in.counters.matched = v.counters.matched;
  for (size_t k = 0; k < faults::kMaxKinds; ++k) {
    if (v.counters.injected[k] == 0) continue;
    in.counters.injected.emplace_back(std::string(faults::kind_name(k)), v.counters.injected[k]);
  }
  return view;
}

// Bounds the wait for workers to take an experiment change (they answer within a loop
// iteration; a stopped worker never does).
constexpr auto kPublishWait = std::chrono::milliseconds(1000);

}  // namespace

ActiveConfigPtr Server::snapshot() const {
  std::lock_guard lock(mutex_);
  return snapshot_;
}

void Server::publish(ActiveConfigPtr snapshot) {
  {
    std::lock_guard lock(mutex_);
    snapshot_ = snapshot;
  }
  // Once running, an experiment change answers only when every worker has it, so that a
  // connection already open sees it from the client's next byte (as Toxiproxy's toxics).
  if (ready_)
    publish_to_workers(snapshot, std::vector<ListenerChange>(workers_.size()), kPublishWait);
  else
    for (auto& w : workers_) w->publish(snapshot);
  stress_dirty_ = true;
  if (ready_) uv_async_send(&wakeup_);
}

void Server::on_tick(uv_timer_t* timer) {
  auto* self = static_cast<Server*>(timer->data);
  self->update_background_load();
  self->audit_expiries();
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  self->sample_timeseries(now);
  self->check_stop_conditions(now);
}

void Server::update_background_load() {
  ActiveConfigPtr snap = snapshot();
  if (!snap || !snap->faults) return;
  stresses_.update(*snap->faults, faults::Clock::now());
}

admin::ExperimentOutcome Server::create_experiment(config::ExperimentConfig experiment,
                                                   bool replace_allowed) {
  std::lock_guard control(control_mutex_);
  auto cfg = config();
  config::Diagnostics diags;
  if (!faults::validate_api_experiment(*cfg, experiment, diags) || !diags.ok()) {
    const auto& d = diags.items().front();
    return failure(Verdict::kInvalid, d.message, d.path);
  }
  for (const auto& e : cfg->experiments) {
    if (e.name == experiment.name)
      return failure(
          Verdict::kConflict,
          "experiment " + e.name + " comes from the config file: edit the file and reload");
  }
  std::vector<faults::ApiExperiment> next = api_;
  bool replaced = false;
  for (auto& a : next) {
    if (a.experiment.name != experiment.name) continue;
    if (!replace_allowed)
      return failure(Verdict::kConflict, "experiment " + experiment.name + " already exists");
    a.experiment = experiment;
    a.revision = next_revision_++;
    replaced = true;
  }
  if (!replaced) next.push_back({experiment, next_revision_++});
  auto built = build_snapshot(cfg, next);
  if (!built) return failure(Verdict::kInvalid, built.error());
  api_ = std::move(next);
  publish(*built);
  admin::ExperimentOutcome o;
  o.verdict = replaced ? Verdict::kOk : Verdict::kCreated;
  o.experiment = view_of(**built, experiment.name);
  log::main().info("experiment {} {}", experiment.name, replaced ? "replaced" : "created");
  return o;
}

admin::Outcome Server::remove_experiment(const std::string& name) {
  std::lock_guard control(control_mutex_);
  auto cfg = config();
  for (const auto& e : cfg->experiments)
    if (e.name == name)
      return failure(Verdict::kConflict, "experiment " + name + " comes from the config file");
  std::vector<faults::ApiExperiment> next;
  for (const auto& a : api_)
    if (a.experiment.name != name) next.push_back(a);
  if (next.size() == api_.size()) return failure(Verdict::kNotFound, "no experiment named " + name);
  auto built = build_snapshot(cfg, next);
  if (!built) return failure(Verdict::kFailed, built.error());
  api_ = std::move(next);
  publish(*built);
  log::main().info("experiment {} removed", name);
  admin::Outcome o;
  o.verdict = Verdict::kRemoved;
  return o;
}

admin::ExperimentOutcome Server::pause_experiment(const std::string& name, bool paused) {
  std::lock_guard control(control_mutex_);
  ActiveConfigPtr snap = snapshot();
  if (!faults::set_paused(*snap->faults, name, paused))
    return failure(Verdict::kNotFound, "no experiment named " + name);
  if (const faults::CompiledExperiment* e = snap->faults->find(name); !paused && e->run->held()) {
    // First resume of a start = "paused" experiment: a rebuild starts its clock now.
    auto built = build_snapshot(config(), api_);
    if (!built) return failure(Verdict::kFailed, built.error());
    publish(*built);
    e->run->set_held(false);
    snap = *built;
  }
  stress_dirty_ = true;
  uv_async_send(&wakeup_);
  log::main().info("experiment {} {}", name, paused ? "paused" : "resumed");
  admin::ExperimentOutcome o;
  o.experiment = view_of(*snap, name);
  return o;
}

std::optional<admin::ExperimentView> Server::view_of(const ActiveConfig& snap,
                                                     const std::string& name) const {
  for (const auto& v : faults::experiment_views(*snap.faults, faults::Clock::now()))
    if (v.experiment->name == name) return view_for_admin(v);
  return std::nullopt;
}

std::vector<admin::ExperimentView> Server::experiments() const {
  ActiveConfigPtr snap = snapshot();
  std::vector<admin::ExperimentView> out;
  if (!snap || !snap->faults) return out;
  for (const auto& v : faults::experiment_views(*snap->faults, faults::Clock::now()))
    out.push_back(view_for_admin(v));
  return out;
}

std::optional<admin::ExperimentView> Server::experiment(const std::string& name) const {
  ActiveConfigPtr snap = snapshot();
  if (!snap || !snap->faults) return std::nullopt;
  return view_of(*snap, name);
}

admin::StatusReport::ExperimentCounts Server::experiment_counts() const {
  ActiveConfigPtr snap = snapshot();
  admin::StatusReport::ExperimentCounts counts;
  if (snap && snap->faults) {
    for (const auto& v : faults::experiment_views(*snap->faults, faults::Clock::now())) {
      if (v.status == faults::ExperimentStatus::kActive)
        ++counts.active;
      else if (v.status == faults::ExperimentStatus::kPaused)
        ++counts.paused;
      else
        ++counts.expired;
    }
  }
  return counts;
}

void Server::add_fault_metrics(admin::MetricsSample& sample) const {
  ActiveConfigPtr snap = snapshot();
  if (!snap || !snap->faults) return;
  for (const auto& v : faults::experiment_views(*snap->faults, faults::Clock::now())) {
    sample.experiments.push_back(
        {v.experiment->name, v.counters.matched, v.status == faults::ExperimentStatus::kActive});
    // Every per-request fault kind the experiment has is a series from the start, at 0
    // (SPEC §7), so that a fresh dashboard shows 0 rather than "No data".
    std::array<bool, faults::kMaxKinds> configured{};
    for (const auto& fault : v.experiment->faults)
      if (fault.per_request && fault.kind < faults::kMaxKinds) configured[fault.kind] = true;
    for (size_t k = 0; k < faults::kMaxKinds; ++k)
      if (v.counters.injected[k] > 0 || configured[k])
        sample.injected.push_back(
            {v.experiment->name, std::string(faults::kind_name(k)), v.counters.injected[k]});
  }
  if (run_) {
    faults::HeaderTotals header = faults::header_totals(*run_);
    // With header triggers on, each kind a header can inject is a series from the start.
    constexpr std::string_view kHeaderKinds[] = {"latency", "abort", "reset", "stall", "bandwidth"};
    const bool triggers_on = snap->faults->triggers.enabled;
    for (size_t k = 0; k < faults::kMaxKinds; ++k)
      if (header.injected[k] > 0 ||
          (triggers_on && std::find(std::begin(kHeaderKinds), std::end(kHeaderKinds),
                                    faults::kind_name(k)) != std::end(kHeaderKinds)))
        sample.injected.push_back(
            {"header", std::string(faults::kind_name(k)), header.injected[k]});
    // Envoy's fault headers (SPEC §10.1): latency, abort and bandwidth, from the start when on.
    const faults::HeaderTotals envoy = faults::envoy_header_totals(*run_);
    constexpr std::string_view kEnvoyKinds[] = {"latency", "abort", "bandwidth"};
    const bool envoy_on = snap->faults->envoy.enabled;
    for (size_t k = 0; k < faults::kMaxKinds; ++k)
      if (envoy.injected[k] > 0 ||
          (envoy_on && std::find(std::begin(kEnvoyKinds), std::end(kEnvoyKinds),
                                 faults::kind_name(k)) != std::end(kEnvoyKinds)))
        sample.injected.push_back({std::string(faults::kEnvoyHeaderSource),
                                   std::string(faults::kind_name(k)), envoy.injected[k]});
    for (size_t r = 0; r < faults::kRejectReasons; ++r)
      sample.header_triggers_rejected.emplace_back(
          std::string(faults::reject_reason_name(static_cast<faults::RejectReason>(r))),
          header.rejected[r]);
  }
}

}  // namespace faultline::proxy
