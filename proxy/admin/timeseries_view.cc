#include "proxy/admin/timeseries_view.h"

#include <cmath>

namespace faultline::proxy::admin {
namespace {

nlohmann::json quantile_json(std::span<const uint32_t> counts, double q) {
  std::optional<double> seconds = latency_quantile(counts, q);
  if (!seconds) return nullptr;
  return std::round(*seconds * 1e6) / 1e6;  // microseconds are plenty
}

}  // namespace

nlohmann::json timeseries_view(const std::string& listener,
                               const std::vector<SecondBucket>& seconds) {
  nlohmann::json points = nlohmann::json::array();
  for (const SecondBucket& b : seconds) {
    points.push_back({{"time", b.time},
                      {"requests", b.requests},
                      {"errors", {{"injected", b.errors_injected}, {"real", b.errors_real}}},
                      {"p50", quantile_json(b.latency, 0.5)},
                      {"p99", quantile_json(b.latency, 0.99)},
                      {"unfaulted",
                       {{"requests", b.unfaulted_requests},
                        {"errors", b.unfaulted_errors},
                        {"p50", quantile_json(b.unfaulted_latency, 0.5)},
                        {"p99", quantile_json(b.unfaulted_latency, 0.99)}}}});
  }
  return {{"listener", listener}, {"points", std::move(points)}};
}

}  // namespace faultline::proxy::admin
