#pragma once
// Rate limit for a log line that a fault of the machine can repeat thousands of times a second
// (accept failing with EMFILE, an upstream refusing every connect): at most `burst` lines per
// `interval`, and the next line let through says how many were dropped meanwhile, so the log
// stays readable and its disk use bounded whatever happens.
//
//   if (auto dropped = limiter.admit()) log.error("accept: {}{}", why, suppressed_note(*dropped));
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

namespace faultline::proxy {

class LogLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  explicit LogLimiter(std::chrono::milliseconds interval = std::chrono::seconds(10),
                      uint32_t burst = 1)
      : interval_(interval), burst_(burst) {}

  // nullopt: drop this line. Otherwise log it, with the number of lines dropped since the last
  // one that was let through (0 most of the time). Thread-safe.
  std::optional<uint64_t> admit(Clock::time_point now = Clock::now()) {
    std::lock_guard lock(mutex_);
    if (!started_ || now - window_start_ >= interval_) {
      started_ = true;
      window_start_ = now;
      admitted_ = 0;
    }
    if (admitted_ >= burst_) {
      ++suppressed_;
      return std::nullopt;
    }
    ++admitted_;
    uint64_t dropped = suppressed_;
    suppressed_ = 0;
    return dropped;
  }

 private:
  const std::chrono::milliseconds interval_;
  const uint32_t burst_;
  std::mutex mutex_;
  bool started_ = false;
  Clock::time_point window_start_{};
  uint32_t admitted_ = 0;
  uint64_t suppressed_ = 0;
};

// " (N similar messages suppressed)", or "" when none were.
inline std::string suppressed_note(uint64_t dropped) {
  if (dropped == 0) return {};
  return " (" + std::to_string(dropped) + " similar messages suppressed)";
}

}  // namespace faultline::proxy
