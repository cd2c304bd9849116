#pragma once
// RFC 3339 timestamps in UTC for the admin API ("2026-11-21T22:31:05.123Z").
#include <chrono>
#include <string>

namespace faultline::proxy::admin {

std::string format_rfc3339_utc(std::chrono::system_clock::time_point time);

}  // namespace faultline::proxy::admin
