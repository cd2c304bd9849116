#pragma once
// Per-request header triggers (SPEC §3): x-chaos-delay, -jitter, -abort, -reset, -stall,
// -bandwidth, -percentage, -experiment, -token.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "config/ascii.h"
#include "config/value.h"
#include "faults/plan.h"
#include "faults/request.h"
#include "faults/rng.h"

namespace faultline::faults {

struct Snapshot;

// True for every x-chaos-* header name (any case): the proxy strips these before forwarding
// when triggers.headers.strip is set, whether or not triggers are enabled.
inline bool is_chaos_header(std::string_view name) {
  return config::ascii_istarts_with(name, "x-chaos-");
}

// The raw x-chaos-* values of one request (first occurrence of each), unvalidated.
struct ChaosHeaders {
  enum Bit : uint16_t {
    kDelay = 1,
    kJitter = 2,
    kAbort = 4,
    kReset = 8,
    kStall = 16,
    kBandwidth = 32,
    kPercentage = 64,
    kExperiment = 128,
    kToken = 256,
  };
  uint16_t present = 0;
  std::string_view delay, jitter, abort, reset, stall, bandwidth, percentage, experiment, token;
  bool has(Bit bit) const { return (present & bit) != 0; }
  bool any_fault() const {
    return (present & (kDelay | kJitter | kAbort | kReset | kStall | kBandwidth)) != 0;
  }
};
ChaosHeaders scan_chaos_headers(std::span<const HeaderView> headers);

// Validated header faults.
struct HeaderFaults {
  std::optional<config::Duration> delay, jitter, stall;
  std::optional<int> abort;
  std::optional<ResetPoint> reset;
  std::optional<uint64_t> bandwidth;  // bytes per second, > 0
  double percentage = 100.0;
};

// Parses and bounds-checks the values; on failure returns false with the 400 message in
// `error` (naming the header and the expected form). Values above safety.max_delay are errors:
// headers may only narrow what the config allows.
bool parse_header_faults(const ChaosHeaders& raw, config::Duration max_delay, HeaderFaults& out,
                         std::string& error);

// True when `name` is listed in an x-chaos-experiment header (comma separated, any number of
// headers).
bool opted_in(std::span<const HeaderView> headers, std::string_view name);

// Constant-time comparison (timing reveals at most the expected length).
bool token_equals(std::string_view given, std::string_view expected);

// decide()'s header step: gates (token, allow_from), parses, samples x-chaos-percentage and
// folds the faults into `plan` (or sets plan.bad_request). Returns true when the request may
// use header triggers (so x-chaos-experiment opt-ins count).
// `raw` is scan_chaos_headers(headers) (decide() scans once to skip excluded-path checks
// when no x-chaos-* header is present).
bool apply_header_triggers(const Snapshot& snapshot, const ChaosHeaders& raw, const sockaddr* peer,
                           Rng& rng, unsigned worker, Plan& plan);

}  // namespace faultline::faults
