#pragma once
// Where an experiment came from and what it is doing: shared by the fault engine and the
// admin views (which render them as "config"/"api" and "active"/"paused"/"expired").
#include <cstdint>
#include <string_view>

namespace faultline::faults {

enum class Source : uint8_t { kConfig, kApi };
enum class ExperimentStatus : uint8_t { kActive, kPaused, kExpired };
std::string_view to_string(Source source);            // "config" | "api"
std::string_view to_string(ExperimentStatus status);  // "active" | "paused" | "expired"

}  // namespace faultline::faults
