#pragma once
// The admin server's view of the running proxy. The admin server (proxy/admin/) owns HTTP,
// routing, auth, JSON and the Prometheus text format; the control layer
// (proxy/control/runtime_backend.cc) implements Backend. Every call is made on the admin loop's
// thread; implementations read immutable snapshots and summed per-worker counters and never touch
// live connections.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/diagnostics.h"
#include "config/schema.h"
#include "proxy/metrics_sample.h"

namespace faultline::proxy::admin {

// Outcome of a mutating call. `status` is the HTTP status to answer with.
struct Outcome {
  int status = 200;
  std::string error;    // empty on success
  std::string field;    // "faults[0].delay" for validation errors
  nlohmann::json body;  // success body (e.g. the experiment view), may be null
};

// The metrics sample is plain data owned by the runtime (proxy/metrics_sample.h).
using MetricsSample = proxy::MetricsSample;

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
