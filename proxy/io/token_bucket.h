#pragma once
// Token-bucket arithmetic for bandwidth faults, as pure functions of time so that it can be
// tested without a loop. Tokens are bytes; the bucket holds at most `burst` bytes.
#include <algorithm>
#include <cstdint>

namespace faultline::proxy {

class TokenBucket {
 public:
  TokenBucket() = default;
  TokenBucket(uint64_t rate_bytes_per_second, uint64_t now_ms) {
    reset(rate_bytes_per_second, now_ms);
  }

  void reset(uint64_t rate_bytes_per_second, uint64_t now_ms) {
    rate_ = rate_bytes_per_second;
    // A burst of ~50 ms of traffic (at least 1 byte) keeps timers coarse without bursting.
    burst_ = std::max<uint64_t>(1, rate_ / 20);
    tokens_ = burst_;
    remainder_ = 0;
    last_ms_ = now_ms;
  }
  bool limited() const { return rate_ != 0; }
  uint64_t rate() const { return rate_; }

  // Bytes that may be sent now (refills first).
  uint64_t available(uint64_t now_ms) {
    if (now_ms > last_ms_) {
      // Keep the sub-byte remainder so that the long-run rate is exact. A second refills any
      // bucket (the burst is 50 ms), and bounding the gap keeps gap * rate in 64 bits.
      const uint64_t elapsed_ms = std::min<uint64_t>(now_ms - last_ms_, 1000);
      uint64_t milli = elapsed_ms * rate_ + remainder_;
      tokens_ = std::min(burst_, tokens_ + milli / 1000);
      remainder_ = tokens_ == burst_ ? 0 : milli % 1000;
      last_ms_ = now_ms;
    }
    return tokens_;
  }
  void consume(uint64_t bytes) { tokens_ -= std::min(tokens_, bytes); }

  // Milliseconds until `bytes` (capped at the burst) are available; at least 1.
  uint64_t wait_ms(uint64_t bytes) const {
    uint64_t want = std::min(bytes, burst_);
    if (want <= tokens_) return 0;
    uint64_t missing = want - tokens_;
    return std::max<uint64_t>(1, (missing * 1000 + rate_ - 1) / rate_);
  }

 private:
  uint64_t rate_ = 0;
  uint64_t burst_ = 0;
  uint64_t tokens_ = 0;
  uint64_t last_ms_ = 0;
  uint64_t remainder_ = 0;  // thousandths of a byte
};

}  // namespace faultline::proxy
