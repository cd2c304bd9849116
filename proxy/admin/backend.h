#pragma once
// The admin server's view of the running proxy. The admin server (proxy/admin/) owns HTTP,
// routing, auth, JSON and the Prometheus text format; the runtime (proxy/server.cc)
// implements Backend. Every call is made on the admin loop's thread; implementations read
// immutable snapshots and summed per-worker counters and never touch live connections.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/diagnostics.h"
#include "config/schema.h"

namespace faultline::proxy::admin {

// Outcome of a mutating call. `status` is the HTTP status to answer with.
struct Outcome {
  int status = 200;
  std::string error;    // empty on success
  std::string field;    // "faults[0].delay" for validation errors
  nlohmann::json body;  // success body (e.g. the experiment view), may be null
};

// Per-worker counters summed at scrape time (SPEC §5). Label values are interned strings.
struct MetricsSample {
  // Upper bounds in seconds of faultline_request_duration_seconds buckets (+Inf implied).
  static constexpr double kDurationBuckets[] = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                0.25,  0.5,   1,    2.5,   5,    10};
  struct Requests {
    int code = 0;           // HTTP status; 0 = no response reached the client ("000")
    bool injected = false;  // the outcome came from a fault (abort status, reset, stall)
    uint64_t count = 0;
  };
  struct Listener {
    std::string name;
    bool http = true;                // HTTP listeners count requests; TCP ones connections only
    std::vector<Requests> requests;  // any order, duplicates summed
    uint64_t duration_buckets[std::size(kDurationBuckets)] = {};  // non-cumulative counts
    uint64_t duration_count = 0;
    double duration_sum_seconds = 0;
    int64_t connections_active = 0;
    uint64_t upstream_errors_connect = 0;
    uint64_t upstream_errors_timeout = 0;
    uint64_t upstream_errors_reset = 0;
  };
  struct Injected {
    std::string source;  // experiment name or "header"
    std::string fault;   // "latency", "abort", ...
    uint64_t count = 0;
  };
  struct Experiment {
    std::string name;
    uint64_t matched = 0;
    bool active = false;
  };
  std::vector<Listener> listeners;
  std::vector<Injected> injected;
  std::vector<Experiment> experiments;
  std::vector<std::pair<std::string, uint64_t>> header_triggers_rejected;  // reason -> count
  bool halted = false;
  int cpu_stress_workers = 0;
  uint64_t reloads_ok = 0;
  uint64_t reloads_error = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;

  virtual bool ready() const = 0;  // false while draining or before listeners accept
  // GET /v1/status body: version, uptime_seconds, halted, listeners (with live counters),
  // experiments (counts by state), last_reload {result, time, error}.
  virtual nlohmann::json status() const = 0;
  virtual nlohmann::json experiments() const = 0;  // array of experiment views
  virtual std::optional<nlohmann::json> experiment(const std::string& name) const = 0;

  // The rules of `faultline check --experiment` against the running config (listeners,
  // duration, faults), appended to `diags`. The API calls it on every decoded body, decode
  // errors or not, so that one answer names every error.
  virtual void check(const config::ExperimentConfig& experiment,
                     config::Diagnostics& diags) const = 0;
  // `experiment` already decoded and config-validated; the backend compiles it (fault
  // validation), applies safety.default_duration / max_duration, and publishes.
  virtual Outcome create(config::ExperimentConfig experiment, bool replace_allowed) = 0;
  virtual Outcome remove(const std::string& name) = 0;
  virtual Outcome pause(const std::string& name, bool paused) = 0;
  virtual Outcome halt(bool halted) = 0;
  virtual Outcome reload() = 0;

  virtual MetricsSample metrics() const = 0;
};

}  // namespace faultline::proxy::admin
