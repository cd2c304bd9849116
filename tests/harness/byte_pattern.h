#pragma once
// A position-dependent byte pattern for large bodies: generated on the fly (never held
// whole in memory) and checkable piece by piece, so a dropped, duplicated or reordered
// range anywhere in 100 MiB is caught at its offset.
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace faultline::harness {

inline uint8_t pattern_byte(uint64_t offset) {
  uint64_t x = (offset >> 3) * 0x9E3779B97F4A7C15ull;
  return static_cast<uint8_t>((x >> 56) ^ (offset & 7));
}

inline void fill_pattern(uint64_t offset, char* out, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<char>(pattern_byte(offset + i));
}

// Verifies pieces of a pattern stream as they arrive.
class PatternChecker {
 public:
  void operator()(std::string_view piece) {
    for (size_t i = 0; i < piece.size(); ++i) {
      if (first_bad_ == kNone && static_cast<uint8_t>(piece[i]) != pattern_byte(offset_ + i))
        first_bad_ = offset_ + i;
    }
    offset_ += piece.size();
  }
  uint64_t bytes() const { return offset_; }
  bool intact() const { return first_bad_ == kNone; }
  uint64_t first_bad() const { return first_bad_; }

  static constexpr uint64_t kNone = ~0ull;

 private:
  uint64_t offset_ = 0;
  uint64_t first_bad_ = kNone;
};

}  // namespace faultline::harness
