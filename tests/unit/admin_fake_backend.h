#pragma once
// A Backend with real state (experiments, paused, halted, readiness, reload results) for
// the admin tests: tests assert on what the server answers and on this state, not on calls.
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>

#include "proxy/admin/backend.h"
#include "proxy/admin/experiment_view.h"

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
  nlohmann::json status() const override {
    std::lock_guard lock(mutex_);
    if (throw_on_status_) {
      throw_on_status_ = false;
      throw std::runtime_error("status snapshot unavailable");
    }
    return {{"version", "0.1.0-test"},
            {"uptime_seconds", 42},
            {"halted", halted_},
            {"listeners", nlohmann::json::array({{{"name", "inbound"},
                                                  {"listen", "127.0.0.1:15001"},
                                                  {"connections_active", 3},
                                                  {"requests", 120}}})},
            {"experiments", {{"active", entries_.size()}, {"paused", 0}, {"expired", 0}}},
            {"last_reload", {{"result", reloads_error_ ? "error" : "ok"}}}};
  }
  nlohmann::json experiments() const override {
    std::lock_guard lock(mutex_);
    nlohmann::json out = nlohmann::json::array();
    for (const auto& [name, e] : entries_) out.push_back(view(e));
    return out;
  }
  std::optional<nlohmann::json> experiment(const std::string& name) const override {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(name);
    if (it == entries_.end()) return std::nullopt;
    return view(it->second);
  }
  // Experiment rules live in faults/ (tested there and end to end); the fake accepts all.
  void check(const config::ExperimentConfig&, config::Diagnostics&) const override {}
  Outcome create(config::ExperimentConfig experiment, bool replace_allowed) override {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(experiment.name);
    if (it != entries_.end() && it->second.source == ExperimentSource::kConfig)
      return error(409, "experiment \"" + experiment.name + "\" comes from the config file");
    if (it != entries_.end() && !replace_allowed)
      return error(409, "experiment \"" + experiment.name + "\" already exists", "name");
    const bool created = it == entries_.end();
    Entry& e = entries_[experiment.name];
    e.experiment = std::move(experiment);
    e.paused = false;
    Outcome o;
    o.status = created ? 201 : 200;
    o.body = view(e);
    return o;
  }
  Outcome remove(const std::string& name) override {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(name);
    if (it == entries_.end()) return error(404, "experiment \"" + name + "\" not found");
    if (it->second.source == ExperimentSource::kConfig)
      return error(409, "experiment \"" + name + "\" comes from the config file");
    entries_.erase(it);
    Outcome o;
    o.status = 204;
    return o;
  }
  Outcome pause(const std::string& name, bool paused) override {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(name);
    if (it == entries_.end()) return error(404, "experiment \"" + name + "\" not found");
    it->second.paused = paused;
    Outcome o;
    o.body = view(it->second);
    return o;
  }
  Outcome halt(bool halted) override {
    std::lock_guard lock(mutex_);
    halted_ = halted;
    Outcome o;
    o.body = {{"halted", halted}};
    return o;
  }
  Outcome reload() override {
    std::lock_guard lock(mutex_);
    if (!reload_error_.empty()) {
      ++reloads_error_;
      Outcome o = error(400, reload_error_);
      reload_error_.clear();
      return o;
    }
    ++reloads_ok_;
    Outcome o;
    o.body = {{"result", "ok"}};
    return o;
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

 private:
  static Outcome error(int status, std::string message, std::string field = {}) {
    Outcome o;
    o.status = status;
    o.error = std::move(message);
    o.field = std::move(field);
    return o;
  }
  static nlohmann::json view(const Entry& e) {
    ExperimentViewInput in;
    in.state = e.paused ? ExperimentState::kPaused : ExperimentState::kActive;
    in.source = e.source;
    in.started_at = std::chrono::system_clock::time_point(std::chrono::seconds(1'800'000'000));
    in.expires_at = in.started_at + std::chrono::minutes(15);
    in.counters.matched = e.matched;
    in.counters.injected = {{"latency", 7}};
    return experiment_view(e.experiment, in);
  }

  mutable std::mutex mutex_;
  std::map<std::string, Entry> entries_;
  bool ready_ = true;
  mutable bool throw_on_status_ = false;
  bool halted_ = false;
  std::string reload_error_;
  int reloads_ok_ = 0;
  int reloads_error_ = 0;
};

}  // namespace faultline::proxy::admin::testing
