#include "faults/latency_distribution.h"

#include <algorithm>
#include <cmath>

namespace faultline::faults {
namespace {

// Box-Muller: one standard normal from two uniforms (the second draw is dropped: a per-worker
// Rng has no room to cache it, and a draw costs nanoseconds).
double standard_normal(Rng& rng) {
  const double u1 = 1.0 - rng.uniform01();  // (0, 1]: log(0) is -inf
  const double u2 = rng.uniform01();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

config::Duration clamp_ms(double ms) {
  if (!(ms > 0)) return config::Duration{0};  // also NaN
  const double max = static_cast<double>(config::kMaxDuration.count());
  if (ms >= max) return config::kMaxDuration;
  return config::Duration{static_cast<int64_t>(std::llround(ms))};
}

}  // namespace

std::optional<LatencyDistribution> parse_latency_distribution(std::string_view name) {
  if (name == "uniform") return LatencyDistribution::kUniform;
  if (name == "normal") return LatencyDistribution::kNormal;
  if (name == "lognormal") return LatencyDistribution::kLognormal;
  return std::nullopt;
}

std::string_view latency_distribution_name(LatencyDistribution distribution) {
  return kLatencyDistributionNames[static_cast<size_t>(distribution)];
}

config::Duration draw_latency(LatencyDistribution distribution, config::Duration delay,
                              config::Duration jitter, Rng& rng) {
  const double center = static_cast<double>(delay.count());
  const double spread = static_cast<double>(jitter.count());
  if (spread <= 0) return delay;
  switch (distribution) {
    case LatencyDistribution::kUniform: {
      // Truncated offset, as before distributions existed: seeded runs draw the same delays.
      const auto offset = static_cast<int64_t>((rng.uniform01() * 2.0 - 1.0) * spread);
      return config::Duration{std::max<int64_t>(0, delay.count() + offset)};
    }
    case LatencyDistribution::kNormal:
      return clamp_ms(center + spread * standard_normal(rng));
    case LatencyDistribution::kLognormal: {
      if (center <= 0) return config::Duration{0};  // a median of 0 (refused by the config)
      const double sigma = std::log((center + spread) / center) / kStandardNormalP99;
      return clamp_ms(center * std::exp(sigma * standard_normal(rng)));
    }
  }
  return delay;
}

}  // namespace faultline::faults
