#pragma once
// The SPEC §4 JSON view of one experiment: the keys of its [[experiments]] table plus
// state, source, started_at, expires_at and counters. Built from plain inputs so the runtime
// (admin::Backend) can call it with whatever it tracks, and tests need no running proxy.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/schema.h"
#include "faults/experiment_state.h"

namespace faultline::proxy::admin {

// The fault engine's own states, not a copy of them.
using ExperimentState = faults::ExperimentStatus;
using ExperimentSource = faults::Source;

struct ExperimentCounters {
  uint64_t matched = 0;
  std::vector<std::pair<std::string, uint64_t>> injected;  // fault type -> count
};

struct ExperimentViewInput {
  ExperimentState state = ExperimentState::kActive;
  ExperimentSource source = ExperimentSource::kApi;
  std::chrono::system_clock::time_point started_at;
  std::optional<std::chrono::system_clock::time_point> expires_at;  // none: runs until removed
  ExperimentCounters counters;
};

// {...the experiment's TOML keys (config::experiment_to_json)..., "state", "source",
//  "started_at", "expires_at" (null when unbounded), "counters": {"matched": n,
//  "injected": {"latency": n, ...}}}. Times are RFC 3339 UTC with milliseconds.
nlohmann::json experiment_view(const config::ExperimentConfig& experiment,
                               const ExperimentViewInput& input);

}  // namespace faultline::proxy::admin
