#pragma once
// The admin server's view of the running proxy, as plain data. The admin server (proxy/admin/)
// owns HTTP, routing, auth, status codes, JSON (experiment_view.h, status_view.h) and the
// Prometheus text format; the control layer (proxy/control/runtime_backend.cc) implements
// Backend and answers in the types below, never in JSON or HTTP terms. Every call is made on
// the admin loop's thread; implementations read immutable snapshots and summed per-worker
// counters and never touch live connections.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config/diagnostics.h"
#include "config/schema.h"
#include "config/value.h"
#include "faults/experiment_state.h"
#include "proxy/metrics_sample.h"
#include "proxy/timeseries.h"

namespace faultline::proxy::admin {

// The fault engine's own states, not a copy of them.
using ExperimentState = faults::ExperimentStatus;
using ExperimentSource = faults::Source;

struct ExperimentCounters {
  uint64_t matched = 0;
  std::vector<std::pair<std::string, uint64_t>> injected;  // fault type -> count
};

// What the runtime tracks about one experiment besides its definition.
struct ExperimentViewInput {
  ExperimentState state = ExperimentState::kActive;
  ExperimentSource source = ExperimentSource::kApi;
  // None while the clock has not started: start = "paused" and never resumed.
  std::optional<std::chrono::system_clock::time_point> started_at;
  std::optional<std::chrono::system_clock::time_point> expires_at;  // none: runs until removed
  ExperimentCounters counters;
};

// One experiment as GET /v1/experiments/{name} shows it.
struct ExperimentView {
  config::ExperimentConfig definition;
  ExperimentViewInput run;
};

// What GET /v1/status shows.
struct StatusReport {
  struct Listener {
    std::string name;
    config::HostPort listen;
    config::HostPort upstream;
    config::Protocol protocol = config::Protocol::kHttp;
    std::string address;            // bound ("127.0.0.1:PORT"); empty while disabled
    bool enabled = true;            // `enabled = false` or a disabled Toxiproxy proxy: no socket
    std::string source = "config";  // or "toxiproxy": created through the Toxiproxy API
    uint64_t requests = 0;          // every response code
    uint64_t connections_active = 0;
    uint64_t upstream_errors_connect = 0;
    uint64_t upstream_errors_timeout = 0;
    uint64_t upstream_errors_reset = 0;
    // [listeners.tls]: the serving certificate (SPEC §9); tls = false without it.
    bool tls = false;
    int64_t tls_cert_not_after = 0;  // Unix time
    std::string tls_cert_serial;     // hex
  };
  struct ExperimentCounts {
    uint64_t active = 0;
    uint64_t paused = 0;
    uint64_t expired = 0;
  };
  enum class ReloadResult { kNone, kOk, kError };  // kNone: no reload since start
  struct LastReload {
    ReloadResult result = ReloadResult::kNone;
    std::string error;  // with kError
  };

  std::string version;
  std::chrono::seconds uptime{0};
  bool halted = false;
  // Why, while halted: "admin API", a stop condition's breach, "restored from state_dir".
  std::string halt_reason;
  bool draining = false;
  std::vector<Listener> listeners;  // in config order
  ExperimentCounts experiments;
  LastReload last_reload;
};

// What became of a call. The admin API answers each with one HTTP status (api.cc).
enum class Verdict {
  kOk,        // done
  kCreated,   // a new experiment
  kRemoved,   // gone; nothing left to show
  kInvalid,   // the request, or the config it asked for, does not validate
  kNotFound,  // no experiment of that name
  kConflict,  // the current state forbids it: from the config file, exists, expired, no file
  kFailed,    // the runtime could not carry it out
};

struct Outcome {
  Verdict verdict = Verdict::kOk;
  std::string error;  // why, for every failure
  std::string field;  // "faults[0].delay" for validation errors
  bool ok() const {
    return verdict == Verdict::kOk || verdict == Verdict::kCreated || verdict == Verdict::kRemoved;
  }
  static Outcome failure(Verdict verdict, std::string error, std::string field = {}) {
    Outcome o;
    o.verdict = verdict;
    o.error = std::move(error);
    o.field = std::move(field);
    return o;
  }
};

// create, replace, pause and resume: the experiment as it now runs.
struct ExperimentOutcome : Outcome {
  ExperimentOutcome() = default;
  ExperimentOutcome(Outcome outcome) : Outcome(std::move(outcome)) {}  // NOLINT: a failure
  std::optional<ExperimentView> experiment;
};

// halt and unhalt: the switch as it now stands.
struct HaltOutcome : Outcome {
  bool halted = false;
  std::string warning;  // it took effect, but something about it did not (not persisted)
};

// The metrics sample is plain data owned by the runtime (proxy/metrics_sample.h).
using MetricsSample = proxy::MetricsSample;

class Backend {
 public:
  virtual ~Backend() = default;

  virtual bool ready() const = 0;  // false while draining or before listeners accept
  virtual StatusReport status() const = 0;
  virtual std::vector<ExperimentView> experiments() const = 0;
  virtual std::optional<ExperimentView> experiment(const std::string& name) const = 0;

  // The rules of `faultline check --experiment` against the running config (listeners,
  // duration, faults), appended to `diags`. The API calls it on every decoded body, decode
  // errors or not, so that one answer names every error.
  virtual void check(const config::ExperimentConfig& experiment,
                     config::Diagnostics& diags) const = 0;
  // `experiment` already decoded and config-validated; the backend compiles it (fault
  // validation), applies safety.default_duration / max_duration, and publishes. kCreated for
  // a new name, kOk for a replacement.
  virtual ExperimentOutcome create(config::ExperimentConfig experiment, bool replace_allowed) = 0;
  virtual Outcome remove(const std::string& name) = 0;  // kRemoved
  virtual ExperimentOutcome pause(const std::string& name, bool paused) = 0;
  virtual HaltOutcome halt(bool halted) = 0;
  virtual Outcome reload() = 0;

  virtual MetricsSample metrics() const = 0;

  // GET /v1/timeseries (SPEC §11): the last `seconds` one-second buckets of a listener,
  // oldest first; nullopt for an unknown listener. Listener names in config order.
  virtual std::optional<std::vector<SecondBucket>> timeseries(const std::string& listener,
                                                              int64_t seconds) const {
    (void)listener;
    (void)seconds;
    return std::nullopt;
  }
  virtual std::vector<std::string> listener_names() const { return {}; }
};

}  // namespace faultline::proxy::admin
