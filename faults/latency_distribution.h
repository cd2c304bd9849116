#pragma once
// How a latency fault draws its delay (SPEC §12): `uniform` (delay ± jitter, the default),
// `normal` (mean delay, standard deviation jitter) and `lognormal` (median delay, 99th
// percentile delay + jitter: a long right tail, the shape real latency has). Draws are never
// below 0; decide() caps the plan's delays at safety.max_delay (cap_delays()).
#include <cstdint>
#include <optional>
#include <string_view>

#include "config/value.h"
#include "faults/rng.h"

namespace faultline::faults {

enum class LatencyDistribution : uint8_t { kUniform, kNormal, kLognormal };

// The config's names, in the order "expected one of" lists them.
inline constexpr std::string_view kLatencyDistributionNames[] = {"uniform", "normal", "lognormal"};

std::optional<LatencyDistribution> parse_latency_distribution(std::string_view name);
std::string_view latency_distribution_name(LatencyDistribution distribution);

// One delay drawn from `distribution` with parameters `delay` and `jitter` (see above), in
// [0, config::kMaxDuration].
config::Duration draw_latency(LatencyDistribution distribution, config::Duration delay,
                              config::Duration jitter, Rng& rng);

// The standard normal's 99th percentile: lognormal's sigma = ln((delay + jitter) / delay) / z99.
inline constexpr double kStandardNormalP99 = 2.3263478740408408;

}  // namespace faultline::faults
