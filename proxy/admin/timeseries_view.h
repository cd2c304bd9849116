#pragma once
// GET /v1/timeseries as JSON (SPEC §11): one point per second with request and error counts
// (injected and real apart) and p50/p99 in seconds, all requests and the unfaulted ones.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "proxy/timeseries.h"

namespace faultline::proxy::admin {

// {"listener": NAME, "points": [{"time": unix seconds, "requests", "errors": {"injected",
// "real"}, "p50", "p99", "unfaulted": {"requests", "errors", "p50", "p99"}}]}; a quantile is
// null in a second without requests.
nlohmann::json timeseries_view(const std::string& listener,
                               const std::vector<SecondBucket>& seconds);

}  // namespace faultline::proxy::admin
