#include "faults/sampling.h"

#include "config/ascii.h"
#include "faults/match.h"

namespace faultline::faults {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool parse_hex64(std::string_view text, uint64_t& out) {
  out = 0;
  for (char c : text) {
    const int v = hex_value(c);
    if (v < 0) return false;
    out = (out << 4) | static_cast<uint64_t>(v);
  }
  return true;
}

// Maps a 64-bit key to [0, 100).
double to_percent(uint64_t key) {
  return static_cast<double>(key >> 11) * 0x1.0p-53 * 100.0;
}

}  // namespace

std::optional<uint64_t> trace_id_key(std::string_view traceparent) {
  const std::string_view value = config::trim_ows(traceparent);
  // version "-" trace-id "-" parent-id "-" flags; future versions may append fields.
  if (value.size() < 55 || value[2] != '-' || value[35] != '-' || value[52] != '-')
    return std::nullopt;
  uint64_t version = 0, high = 0, low = 0, parent = 0, flags = 0;
  if (!parse_hex64(value.substr(0, 2), version) || version == 0xff) return std::nullopt;
  if (!parse_hex64(value.substr(3, 16), high) || !parse_hex64(value.substr(19, 16), low))
    return std::nullopt;
  if (!parse_hex64(value.substr(36, 16), parent) || !parse_hex64(value.substr(53, 2), flags))
    return std::nullopt;
  if (value.size() > 55 && (version == 0 || value[55] != '-')) return std::nullopt;
  if (high == 0 && low == 0) return std::nullopt;
  return mix64(high ^ mix64(low));
}

uint64_t hash_key(std::string_view bytes) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  return mix64(hash);
}

SampleKey sample_key(const config::SampleBy& by, std::span<const HeaderView> headers) {
  SampleKey key;
  switch (by.kind) {
    case config::SampleBy::Kind::kRandom:
      break;
    case config::SampleBy::Kind::kTrace:
      if (const HeaderView* header = find_header(headers, "traceparent")) {
        if (auto trace = trace_id_key(header->value)) {
          key.kind = SampleKey::Kind::kKeyed;
          key.value = *trace;
        }
      }
      break;
    case config::SampleBy::Kind::kHeader:
      if (const HeaderView* header = find_header(headers, by.header)) {
        key.kind = SampleKey::Kind::kKeyed;
        key.value = hash_key(header->value);
      } else {
        key.kind = SampleKey::Kind::kMissing;
      }
      break;
  }
  return key;
}

bool sampled(const SampleKey& key, double percentage, uint64_t salt, Rng& rng) {
  if (percentage >= 100.0) return true;
  if (percentage <= 0.0) return false;
  switch (key.kind) {
    case SampleKey::Kind::kKeyed:
      return to_percent(salt == 0 ? key.value : mix64(key.value ^ (salt * 0x9e3779b97f4a7c15ULL))) <
             percentage;
    case SampleKey::Kind::kMissing:
      return false;
    case SampleKey::Kind::kRandom:
      break;
  }
  return rng.uniform01() * 100.0 < percentage;
}

}  // namespace faultline::faults
