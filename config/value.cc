// Durations, sizes and rates: strict parsers (no whitespace, no signs, no silent rounding)
// because a typo in a chaos config should fail loudly rather than inject the wrong fault.
#include "config/value.h"

#include "config/ascii.h"

#include <cstdint>
#include <limits>
#include <string>

namespace faultline::config {
namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

bool has_space(std::string_view text) {
  return text.find_first_of(" \t\r\n\v\f") != std::string_view::npos;
}

std::string quoted(std::string_view text) {
  std::string out = "\"";
  out.append(text);
  out += '"';
  return out;
}

// A decimal number "12" or "1.5" as an exact fraction: value = mantissa / 10^scale_digits.
struct Decimal {
  uint64_t mantissa = 0;
  int scale_digits = 0;  // digits after the point
};

// Reads a decimal at the start of `text`; advances `text`. Returns false on overflow or when
// there is no digit. Fractions are limited to 9 digits, enough for any unit we accept.
bool read_decimal(std::string_view& text, bool allow_fraction, Decimal& out, bool& overflow) {
  overflow = false;
  size_t i = 0;
  uint64_t mantissa = 0;
  auto push_digit = [&](char c) {
    if (mantissa > (std::numeric_limits<uint64_t>::max() - 9) / 10) overflow = true;
    mantissa = mantissa * 10 + static_cast<uint64_t>(c - '0');
  };
  while (i < text.size() && is_digit(text[i])) {
    push_digit(text[i]);
    ++i;
    if (overflow) return false;
  }
  if (i == 0) return false;
  int scale = 0;
  if (allow_fraction && i < text.size() && text[i] == '.') {
    size_t j = i + 1;
    while (j < text.size() && is_digit(text[j])) {
      if (scale == 9) {
        overflow = true;
        return false;
      }
      push_digit(text[j]);
      if (overflow) return false;
      ++scale;
      ++j;
    }
    if (j == i + 1) return false;  // "1." has no fraction digits
    i = j;
  }
  out = {mantissa, scale};
  text.remove_prefix(i);
  return true;
}

uint64_t pow10(int n) {
  uint64_t p = 1;
  while (n-- > 0) p *= 10;
  return p;
}

// mantissa / 10^scale * unit, exactly; false on overflow or when the result is not whole.
bool scale_exact(const Decimal& d, uint64_t unit, uint64_t& out, bool& not_whole) {
  not_whole = false;
  unsigned __int128 product = static_cast<unsigned __int128>(d.mantissa) * unit;
  uint64_t divisor = pow10(d.scale_digits);
  if (product % divisor != 0) {
    not_whole = true;
    return false;
  }
  product /= divisor;
  if (product > std::numeric_limits<uint64_t>::max()) return false;
  out = static_cast<uint64_t>(product);
  return true;
}

struct DurationUnit {
  std::string_view name;
  uint64_t millis;
};
// Longest names first so that "ms" is not read as "m" followed by garbage.
constexpr DurationUnit kDurationUnits[] = {{"ms", 1}, {"h", 3'600'000}, {"m", 60'000}, {"s", 1000}};

int unit_rank(uint64_t millis) {
  switch (millis) {
    case 3'600'000:
      return 0;
    case 60'000:
      return 1;
    case 1000:
      return 2;
    default:
      return 3;
  }
}

constexpr std::string_view kTooLong = "too large (at most 876600h, 100 years)";
constexpr uint64_t kMaxDurationMs = static_cast<uint64_t>(kMaxDuration.count());

}  // namespace

Result<Duration> parse_duration(std::string_view text, bool bare_number_unit_ms) {
  const std::string_view original = text;
  auto fail = [&](std::string_view why) {
    return Result<Duration>::failure("invalid duration " + quoted(original) + ": " +
                                     std::string(why));
  };
  if (text.empty()) return fail("empty");
  if (has_space(text)) return fail("must not contain spaces");
  if (text == "0") return Duration{0};

  // Bare integers only where the caller allows them (x-chaos-delay: 500 means 500ms).
  bool all_digits = true;
  for (char c : text) all_digits = all_digits && is_digit(c);
  if (all_digits) {
    if (!bare_number_unit_ms) return fail("missing unit (use ms, s, m or h, e.g. \"250ms\")");
    Decimal d;
    bool overflow = false;
    std::string_view rest = text;
    if (!read_decimal(rest, false, d, overflow) || d.mantissa > kMaxDurationMs)
      return fail(kTooLong);
    return Duration{static_cast<int64_t>(d.mantissa)};
  }

  uint64_t total = 0;
  int last_rank = -1;
  while (!text.empty()) {
    if (text[0] == '-' || text[0] == '+') return fail("a duration cannot be signed");
    Decimal d;
    bool overflow = false;
    if (!read_decimal(text, true, d, overflow)) {
      if (overflow) return fail(kTooLong);
      return fail("expected a number followed by a unit (ms, s, m, h), e.g. \"1m30s\"");
    }
    const DurationUnit* unit = nullptr;
    for (const auto& u : kDurationUnits) {
      if (text.substr(0, u.name.size()) == u.name) {
        unit = &u;
        break;
      }
    }
    if (unit == nullptr) {
      size_t end = 0;
      while (end < text.size() && !is_digit(text[end]) && text[end] != '.') ++end;
      if (end == 0) return fail("missing unit (use ms, s, m or h, e.g. \"250ms\")");
      return fail("unknown unit " + quoted(text.substr(0, end)) + " (use ms, s, m or h)");
    }
    text.remove_prefix(unit->name.size());
    int rank = unit_rank(unit->millis);
    if (rank <= last_rank) return fail("units must go from largest to smallest, each once");
    last_rank = rank;
    uint64_t millis = 0;
    bool not_whole = false;
    if (!scale_exact(d, unit->millis, millis, not_whole)) {
      if (not_whole) return fail("finer than a millisecond");
      return fail(kTooLong);
    }
    if (millis > kMaxDurationMs - total) return fail(kTooLong);
    total += millis;
  }
  return Duration{static_cast<int64_t>(total)};
}

namespace {

struct SizeUnit {
  std::string_view name;
  uint64_t bytes;
};
// Binary units, matched case-insensitively: "KiB", "kib" and "KIB" can only mean one thing.
constexpr SizeUnit kBinaryUnits[] = {
    {"KiB", 1ull << 10}, {"MiB", 1ull << 20}, {"GiB", 1ull << 30}, {"TiB", 1ull << 40}};
// Decimal units and bytes, matched exactly: in "Kb" or "mb" a lowercase "b" reads as bits.
constexpr SizeUnit kSizeUnits[] = {
    {"KB", 1000}, {"kB", 1000}, {"MB", 1000'000}, {"GB", 1000'000'000}, {"TB", 1000'000'000'000},
    {"B", 1}};

// Shared by sizes and rates; `what` names the kind of value in messages.
Result<ByteSize> parse_size_as(std::string_view text, std::string_view what,
                               std::string_view original) {
  auto fail = [&](std::string_view why) {
    return Result<ByteSize>::failure("invalid " + std::string(what) + " " + quoted(original) +
                                     ": " + std::string(why));
  };
  if (text.empty()) return fail("empty");
  if (has_space(text)) return fail("must not contain spaces");
  if (text[0] == '-' || text[0] == '+') return fail("cannot be signed");
  Decimal d;
  bool overflow = false;
  if (!read_decimal(text, true, d, overflow)) {
    if (overflow) return fail("too large");
    return fail("expected a number with an optional unit (B, KiB, MiB, GiB, KB, MB, GB)");
  }
  uint64_t unit = 1;
  if (!text.empty()) {
    const SizeUnit* found = nullptr;
    for (const auto& u : kBinaryUnits)
      if (ascii_iequals(text, u.name)) found = &u;
    for (const auto& u : kSizeUnits)
      if (text == u.name) found = &u;
    if (found == nullptr && text.back() == 'b')
      return fail("unknown unit " + quoted(text) +
                  " (a lowercase \"b\" means bits; use B, KiB, MiB, GiB, KB, MB or GB for "
                  "bytes)");
    if (found == nullptr)
      return fail("unknown unit " + quoted(text) + " (use B, KiB, MiB, GiB, KB, MB or GB)");
    unit = found->bytes;
  }
  uint64_t bytes = 0;
  bool not_whole = false;
  if (!scale_exact(d, unit, bytes, not_whole)) {
    if (not_whole) return fail("not a whole number of bytes");
    return fail("too large");
  }
  return ByteSize{bytes};
}

std::string format_bytes(uint64_t bytes) {
  static constexpr SizeUnit kBinary[] = {
      {"TiB", 1ull << 40}, {"GiB", 1ull << 30}, {"MiB", 1ull << 20}, {"KiB", 1ull << 10}};
  if (bytes != 0) {
    for (const auto& u : kBinary)
      if (bytes % u.bytes == 0) return std::to_string(bytes / u.bytes) + std::string(u.name);
  }
  return std::to_string(bytes) + "B";
}

}  // namespace

Result<ByteSize> parse_size(std::string_view text) {
  return parse_size_as(text, "size", text);
}

Result<Rate> parse_rate(std::string_view text) {
  constexpr std::string_view kPerSecond = "/s";
  if (text.size() < kPerSecond.size() || text.substr(text.size() - kPerSecond.size()) != kPerSecond)
    return Result<Rate>::failure("invalid rate " + quoted(text) +
                                 ": expected bytes per second like \"16KiB/s\"");
  auto size = parse_size_as(text.substr(0, text.size() - kPerSecond.size()), "rate", text);
  if (!size) return Result<Rate>::failure(size.error());
  if (size->bytes > kMaxRateBytesPerSecond)
    return Result<Rate>::failure("invalid rate " + quoted(text) +
                                 ": too large (at most 1024TiB/s)");
  return Rate{size->bytes};
}

std::string format_duration(Duration d) {
  int64_t ms = d.count();
  if (ms == 0) return "0s";
  std::string out;
  if (ms < 0) {  // not produced by the parser; rendered readably anyway
    out = "-";
    ms = -ms;
  }
  static constexpr DurationUnit kOrder[] = {
      {"h", 3'600'000}, {"m", 60'000}, {"s", 1000}, {"ms", 1}};
  for (const auto& u : kOrder) {
    int64_t n = ms / static_cast<int64_t>(u.millis);
    if (n == 0) continue;
    out += std::to_string(n);
    out.append(u.name);
    ms -= n * static_cast<int64_t>(u.millis);
  }
  return out;
}

std::string format_size(ByteSize s) {
  return format_bytes(s.bytes);
}

std::string format_rate(Rate r) {
  return format_bytes(r.bytes_per_second) + "/s";
}

}  // namespace faultline::config
