#pragma once
// The clock faults/ reasons with. decide() and the snapshot builder take `now` as an argument
// so tests can pass a fake clock; wall-clock time so that started_at/expires_at can be shown.
#include <chrono>

namespace faultline::faults {

using Clock = std::chrono::system_clock;
using TimePoint = Clock::time_point;

}  // namespace faultline::faults
