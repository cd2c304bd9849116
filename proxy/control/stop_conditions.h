#pragma once
// Stop conditions (SPEC §11): once a second, read each [[safety.stop_conditions]] over the
// requests no fault touched in its window, and say which one holds. Pure: the Server reads the
// time series, calls evaluate(), and halts.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/schema.h"
#include "proxy/timeseries.h"

namespace faultline::proxy {

// What a condition saw over its window.
struct StopReading {
  double value = 0;       // a fraction for error_rate, seconds for p50/p99
  uint64_t requests = 0;  // unfaulted requests in the window
};

// The condition's metric over `seconds` (each listener's buckets, merged). nullopt when fewer
// than min_requests unfaulted requests were seen: too little to judge.
std::optional<StopReading> read_condition(const config::StopCondition& condition,
                                          const std::vector<std::vector<SecondBucket>>& seconds);

// True when the reading is above the condition's threshold.
bool holds(const config::StopCondition& condition, const StopReading& reading);

// "stop condition \"user-errors\": error_rate 0.21 above 0.1 over 30s (150 unfaulted requests)"
std::string describe_breach(const config::StopCondition& condition, const StopReading& reading);

// The metric's name as written in the config ("error_rate", "p99", "p50").
const char* stop_metric_name(config::StopMetric metric);

}  // namespace faultline::proxy
