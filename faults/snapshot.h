#pragma once
// The immutable set of compiled experiments a worker decides with. A reload or an admin change
// builds a whole new Snapshot off the workers (build_snapshot) and publishes it; a request pins
// the snapshot it started with (and must release() its plan with that same snapshot).
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/diagnostics.h"
#include "config/schema.h"
#include "faults/envoy_headers.h"
#include "faults/experiment.h"
#include "faults/path_index.h"
#include "faults/run_state.h"
#include "faults/time.h"

namespace faultline::faults {

// An experiment created through the admin API. Bump `revision` whenever its definition is
// created or replaced: an unchanged (name, revision) keeps its started_at/expires_at across
// rebuilds; a new revision restarts its clock. Counters and the pause flag carry over by name
// either way.
struct ApiExperiment {
  config::ExperimentConfig experiment;
  uint64_t revision = 0;
};

struct ListenerExperiments {
  config::Protocol protocol = config::Protocol::kHttp;
  std::vector<uint32_t> per_request;     // HTTP: experiments with request-level faults
  std::vector<uint32_t> per_connection;  // TCP: all faults; HTTP: reset phase=connect
  std::vector<uint32_t> per_handshake;   // TLS: tls_handshake_delay, tls_abort
  PathIndex path_index;                  // over per_request, once there are enough of them
};

struct HeaderTriggerSettings {
  bool enabled = false;
  bool annotate = true;
  std::string token;
  std::vector<config::Cidr> allow_from;
};

struct Snapshot {
  std::shared_ptr<const config::Config> config;
  std::shared_ptr<RunState> run;
  std::vector<CompiledExperiment> experiments;  // config experiments first, then API ones
  std::vector<ListenerExperiments> listeners;   // indexed like config->listeners
  std::vector<std::string> exclude_paths;       // exact or glob
  HeaderTriggerSettings triggers;
  EnvoyHeaderSettings envoy;  // [triggers.envoy_headers]; gated by `triggers`' token, allow_from
  config::Duration max_delay{0};
  bool any_background = false;  // some experiment has a background fault (cpu)

  const CompiledExperiment* find(std::string_view name) const;
  bool excluded(std::string_view path) const;
};

// Compiles `config`'s experiments and `api` into a new snapshot, or returns nullptr with the
// errors in `diags` (nothing is published then). `previous` (may be null) supplies the run
// state of same-named experiments. Config experiments' duration counts from (re)load: their
// clock restarts when `config` is a different object than previous->config. A config
// experiment without a duration runs for safety.max_duration; an API experiment without one
// runs for safety.default_duration; any duration above safety.max_duration is an error.
std::shared_ptr<const Snapshot> build_snapshot(std::shared_ptr<const config::Config> config,
                                               std::vector<ApiExperiment> api,
                                               const Snapshot* previous,
                                               std::shared_ptr<RunState> run, TimePoint now,
                                               config::Diagnostics& diags);

// `faultline check`: validates everything faults/ owns in a loaded config (fault parameters,
// protocol applicability, safety caps), reporting file:line:col through `diags`.
bool validate_config(const config::Config& config, config::Diagnostics& diags);
// Admin API: validates one experiment body against the running config (errors carry relative
// paths such as "faults[0].delay"). Name clashes are the caller's (409) business.
bool validate_api_experiment(const config::Config& config,
                             const config::ExperimentConfig& experiment,
                             config::Diagnostics& diags);

// Pause or resume by name; false when the snapshot has no such experiment. Takes effect on
// every worker at once (shared atomic), survives rebuilds. Resuming an experiment that was
// deployed with start = "paused" (run->held()) must be followed by a rebuild, which starts
// its clock.
bool set_paused(const Snapshot& snapshot, std::string_view name, bool paused);

}  // namespace faultline::faults
