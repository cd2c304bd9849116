#pragma once
// A Backend with real state (experiments, paused, halted, readiness, reload results) for
// the admin tests: tests assert on what the server answers and on this state, not on calls.
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>

#include "proxy/admin/backend.h"

namespace faultline::proxy::admin::testing {

class FakeBackend : public Backend {
 public:
  struct Entry {
    config::ExperimentConfig experiment;
    bool paused = false;
    ExperimentSource source = ExperimentSource::kApi;
    uint64_t matched = 0;
  };

  // Adds an experiment as if it came from the config file.
  void add_config_experiment(const std::string& name) {
    std::lock_guard lock(mutex_);
    Entry e;
    e.experiment.name = name;
    e.source = ExperimentSource::kConfig;
    entries_[name] = std::move(e);
  }
  void set_ready(bool ready) {
    std::lock_guard lock(mutex_);
    ready_ = ready;
  }
  void fail_next_reload(std::string error) {
    std::lock_guard lock(mutex_);
    reload_error_ = std::move(error);
  }
  // The next halt takes effect but reports `warning` (as a runtime whose state_dir broke).
  void warn_on_next_halt(std::string warning) {
    std::lock_guard lock(mutex_);
    halt_warning_ = std::move(warning);
  }
  bool halted() const {
    std::lock_guard lock(mutex_);
    return halted_;
  }
  bool has(const std::string& name) const {
    std::lock_guard lock(mutex_);
    return entries_.count(name) != 0;
  }
  bool paused(const std::string& name) const {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(name);
    return it != entries_.end() && it->second.paused;
  }
  int reloads() const {
    std::lock_guard lock(mutex_);
    return reloads_ok_ + reloads_error_;
  }

  // The next status() throws, as a broken runtime call would.
  void throw_on_next_status() {
    std::lock_guard lock(mutex_);
    throw_on_status_ = true;
  }

  bool ready() const override {
    std::lock_guard lock(mutex_);
    return ready_;
  }
  StatusReport status() const override {
    std::lock_guard lock(mutex_);
    if (throw_on_status_) {
      throw_on_status_ = false;
      throw std::runtime_error("status snapshot unavailable");
    }
    StatusReport report;
    report.version = "0.1.0-test";
    report.uptime = std::chrono::seconds(42);
    report.halted = halted_;
    StatusReport::Listener inbound;
    inbound.name = "inbound";
    inbound.listen = {"127.0.0.1", 15001};
    inbound.connections_active = 3;
    inbound.requests = 120;
    report.listeners.push_back(inbound);
    report.experiments.active = entries_.size();
    report.last_reload.result =
        reloads_error_ ? StatusReport::ReloadResult::kError : StatusReport::ReloadResult::kOk;
    return report;
  }
  std::vector<ExperimentView> experiments() const override {
    std::lock_guard lock(mutex_);
    std::vector<ExperimentView> out;
    for (const auto& [name, e] : entries_) out.push_back(view(e));
    return out;
  }
  std::optional<ExperimentView> experiment(const std::string& name) const override {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(name);
    if (it == entries_.end()) return std::nullopt;
    return view(it->second);
  }
  // Experiment rules live in faults/ (tested there and end to end); the fake accepts all.
  void check(const config::ExperimentConfig&, config::Diagnostics&) const override {}
  ExperimentOutcome create(config::ExperimentConfig experiment, bool replace_allowed) override {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(experiment.name);
    if (it != entries_.end() && it->second.source == ExperimentSource::kConfig)
      return error(Verdict::kConflict,
                   "experiment \"" + experiment.name + "\" comes from the config file");
    if (it != entries_.end() && !replace_allowed)
      return error(Verdict::kConflict, "experiment \"" + experiment.name + "\" already exists",
                   "name");
    const bool created = it == entries_.end();
    Entry& e = entries_[experiment.name];
    e.experiment = std::move(experiment);
    e.paused = false;
    ExperimentOutcome o;
    o.verdict = created ? Verdict::kCreated : Verdict::kOk;
    o.experiment = view(e);
    return o;
  }
  Outcome remove(const std::string& name) override {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(name);
    if (it == entries_.end())
      return error(Verdict::kNotFound, "experiment \"" + name + "\" not found");
    if (it->second.source == ExperimentSource::kConfig)
      return error(Verdict::kConflict, "experiment \"" + name + "\" comes from the config file");
    entries_.erase(it);
    Outcome o;
    o.verdict = Verdict::kRemoved;
    return o;
  }
  ExperimentOutcome pause(const std::string& name, bool paused) override {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(name);
    if (it == entries_.end())
      return error(Verdict::kNotFound, "experiment \"" + name + "\" not found");
    it->second.paused = paused;
    ExperimentOutcome o;
    o.experiment = view(it->second);
    return o;
  }
  HaltOutcome halt(bool halted) override {
    std::lock_guard lock(mutex_);
    halted_ = halted;
    HaltOutcome o;
    o.halted = halted;
    o.warning = std::exchange(halt_warning_, {});
    return o;
  }
  Outcome reload() override {
    std::lock_guard lock(mutex_);
    if (!reload_error_.empty()) {
      ++reloads_error_;
      Outcome o = error(Verdict::kInvalid, reload_error_);
      reload_error_.clear();
      return o;
    }
    ++reloads_ok_;
    return Outcome{};
  }
  MetricsSample metrics() const override {
    std::lock_guard lock(mutex_);
    MetricsSample s;
    s.halted = halted_;
    s.reloads_ok = static_cast<uint64_t>(reloads_ok_);
    s.reloads_error = static_cast<uint64_t>(reloads_error_);
    for (const auto& [name, e] : entries_)
      s.experiments.push_back({name, e.matched, !e.paused && !halted_});
    return s;
  }
  // The time series: what set_series() stored, the last `seconds` entries of it.
  void set_series(const std::string& listener, std::vector<SecondBucket> seconds) {
    std::lock_guard lock(mutex_);
    series_[listener] = std::move(seconds);
  }
  std::optional<std::vector<SecondBucket>> timeseries(const std::string& listener,
                                                      int64_t seconds) const override {
    std::lock_guard lock(mutex_);
    auto it = series_.find(listener);
    if (it == series_.end()) return std::nullopt;
    last_series_window_ = seconds;
    std::vector<SecondBucket> out = it->second;
    if (out.size() > static_cast<size_t>(seconds)) out.erase(out.begin(), out.end() - seconds);
    return out;
  }
  std::vector<std::string> listener_names() const override {
    std::lock_guard lock(mutex_);
    std::vector<std::string> names;
    for (const auto& [name, s] : series_) names.push_back(name);
    return names;
  }
  int64_t last_series_window() const {
    std::lock_guard lock(mutex_);
    return last_series_window_;
  }

 private:
  static Outcome error(Verdict verdict, std::string message, std::string field = {}) {
    return Outcome::failure(verdict, std::move(message), std::move(field));
  }
  static ExperimentView view(const Entry& e) {
    ExperimentView view;
    view.definition = e.experiment;
    ExperimentViewInput& in = view.run;
    in.state = e.paused ? ExperimentState::kPaused : ExperimentState::kActive;
    in.source = e.source;
    const auto started = std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000));
    in.started_at = started;
    in.expires_at = started + std::chrono::minutes(15);
    in.counters.matched = e.matched;
    in.counters.injected = {{"latency", 7}};
    return view;
  }

  mutable std::mutex mutex_;
  std::map<std::string, Entry> entries_;
  std::map<std::string, std::vector<SecondBucket>> series_;
  mutable int64_t last_series_window_ = 0;
  bool ready_ = true;
  mutable bool throw_on_status_ = false;
  bool halted_ = false;
  std::string reload_error_;
  std::string halt_warning_;
  int reloads_ok_ = 0;
  int reloads_error_ = 0;
};

}  // namespace faultline::proxy::admin::testing
