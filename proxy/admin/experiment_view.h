#pragma once
// The SPEC §4 JSON view of one experiment: the keys of its [[experiments]] table plus
// state, source, started_at, expires_at and counters. Built from the plain data the runtime
// returns (backend.h), so tests need no running proxy.
#include <nlohmann/json.hpp>

#include "config/schema.h"
#include "proxy/admin/backend.h"

namespace faultline::proxy::admin {

// {...the experiment's TOML keys (config::experiment_to_json)..., "state", "source",
//  "started_at" and "expires_at" (null when the clock has not started; expires_at also when
//  unbounded), "counters": {"matched": n, "injected": {"latency": n, ...}}}. Times are
//  RFC 3339 UTC with milliseconds.
nlohmann::json experiment_view(const config::ExperimentConfig& experiment,
                               const ExperimentViewInput& input);
inline nlohmann::json experiment_view(const ExperimentView& view) {
  return experiment_view(view.definition, view.run);
}

}  // namespace faultline::proxy::admin
