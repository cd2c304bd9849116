#include "proxy/control/stop_conditions.h"

#include <array>

#include <spdlog/fmt/fmt.h>

namespace faultline::proxy {

const char* stop_metric_name(config::StopMetric metric) {
  switch (metric) {
    case config::StopMetric::kErrorRate:
      return "error_rate";
    case config::StopMetric::kP99:
      return "p99";
    case config::StopMetric::kP50:
      return "p50";
  }
  return "error_rate";
}

std::optional<StopReading> read_condition(const config::StopCondition& condition,
                                          const std::vector<std::vector<SecondBucket>>& seconds) {
  uint64_t requests = 0, errors = 0;
  std::array<uint64_t, LatencyBuckets::kCount + 1> latency{};
  for (const auto& listener : seconds) {
    for (const SecondBucket& b : listener) {
      requests += b.unfaulted_requests;
      errors += b.unfaulted_errors;
      for (size_t i = 0; i < latency.size(); ++i) latency[i] += b.unfaulted_latency[i];
    }
  }
  if (requests == 0 || requests < condition.min_requests) return std::nullopt;
  StopReading reading;
  reading.requests = requests;
  switch (condition.metric) {
    case config::StopMetric::kErrorRate:
      reading.value = static_cast<double>(errors) / static_cast<double>(requests);
      break;
    case config::StopMetric::kP99:
    case config::StopMetric::kP50: {
      const double q = condition.metric == config::StopMetric::kP99 ? 0.99 : 0.5;
      reading.value = latency_quantile(std::span<const uint64_t>(latency), q).value_or(0);
      break;
    }
  }
  return reading;
}

bool holds(const config::StopCondition& condition, const StopReading& reading) {
  if (condition.metric == config::StopMetric::kErrorRate)
    return reading.value > condition.above_fraction;
  return reading.value * 1000.0 > static_cast<double>(condition.above_latency.count());
}

std::string describe_breach(const config::StopCondition& condition, const StopReading& reading) {
  std::string value, above;
  if (condition.metric == config::StopMetric::kErrorRate) {
    value = fmt::format("{:.3f}", reading.value);
    above = fmt::format("{:g}", condition.above_fraction);
  } else {
    value = fmt::format("{:.0f}ms", reading.value * 1000.0);
    above = config::format_duration(condition.above_latency);
  }
  return fmt::format("stop condition \"{}\": {} {} above {} over {} ({} unfaulted requests{})",
                     condition.name, stop_metric_name(condition.metric), value, above,
                     config::format_duration(condition.window), reading.requests,
                     condition.listener.empty() ? "" : " on listener " + condition.listener);
}

}  // namespace faultline::proxy
