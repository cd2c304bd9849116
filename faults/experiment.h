#pragma once
// A compiled, immutable experiment: matchers, sampling and compiled faults, plus a handle to
// its mutable run state (pause flag, active count, counters) shared across snapshots.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/diagnostics.h"
#include "config/schema.h"
#include "faults/experiment_state.h"
#include "faults/kind.h"
#include "faults/match.h"
#include "faults/run_state.h"
#include "faults/time.h"

namespace faultline::faults {

// At most this many faults per experiment (selection uses a bit mask).
inline constexpr size_t kMaxFaultsPerExperiment = 32;

struct CompiledExperiment {
  std::string name;
  Source source = Source::kConfig;
  uint64_t revision = 0;                // API experiments: see ApiExperiment
  config::ExperimentConfig definition;  // as written, for the admin view
  config::Trigger trigger = config::Trigger::kAlways;
  bool dry_run = false;
  uint32_t max_active = 0;
  Matcher matcher;
  double percentage = 100.0;
  config::SampleBy sample_by;
  std::vector<CompiledFault> faults;
  bool has_request_faults = false;  // HTTP faults decided per request
  bool has_connect_faults = false;  // decided at accept (TCP listeners, reset phase=connect)
  bool has_background = false;      // a fault with a BackgroundLoad (cpu)
  TimePoint started_at{};
  TimePoint expires_at{};
  std::shared_ptr<ExperimentRun> run;

  bool expired(TimePoint now) const { return now >= expires_at; }
  ExperimentStatus status(TimePoint now) const {
    if (expired(now)) return ExperimentStatus::kExpired;
    return run->paused() ? ExperimentStatus::kPaused : ExperimentStatus::kActive;
  }
};

// Compiles the faults and checks what the config loader cannot know: listener protocols
// (abort on tcp, request matchers on tcp), safety caps, durations. Errors carry
// "<experiment.path>.<key>" paths. Does not set times or run state.
bool compile_experiment(const config::ExperimentConfig& experiment, const config::Config& config,
                        Source source, CompiledExperiment& out, config::Diagnostics& diags);

}  // namespace faultline::faults
