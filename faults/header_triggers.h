#pragma once
// Per-request header triggers (SPEC §3). The generic headers (x-chaos-percentage,
// -experiment, -token) live here; every fault header belongs to a catalogue kind
// (FaultKind::header, in faults/kinds/<kind>.cc): x-chaos-delay and -jitter (latency), -abort,
// -reset, -stall, -bandwidth. Their values are read as the kind's parameters and compiled by
// the kind's own compile function, so header faults get the config's checks, caps and
// annotations.
#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/ascii.h"
#include "config/schema.h"
#include "config/value.h"
#include "faults/kind.h"
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

// At most this many fault headers over the whole catalogue.
inline constexpr size_t kMaxFaultHeaders = 16;

// The raw x-chaos-* values of one request (first occurrence of each), unvalidated.
struct ChaosHeaders {
  enum Bit : uint16_t { kPercentage = 1, kExperiment = 2, kToken = 4 };
  uint16_t present = 0;  // the generic headers
  std::string_view percentage, experiment, token;
  // The kinds' headers, by their position in the catalogue's header list.
  uint32_t faults_present = 0;
  std::array<std::string_view, kMaxFaultHeaders> faults{};

  bool has(Bit bit) const { return (present & bit) != 0; }
  bool any() const { return present != 0 || faults_present != 0; }
  bool any_fault() const { return faults_present != 0; }
};
ChaosHeaders scan_chaos_headers(std::span<const HeaderView> headers);

// A request's header faults, compiled by their kinds.
struct HeaderFaults {
  std::vector<CompiledFault> faults;  // catalogue order, the (at most one) terminal last
  double percentage = 100.0;          // x-chaos-percentage
};

// Compiles the fault headers through their kinds (source "header", HTTP) under `safety`; on
// failure returns false with the 400 message in `error` (naming the header and the expected
// form). Values above safety.max_delay are errors: headers may only narrow what the config
// allows.
bool compile_header_faults(const ChaosHeaders& raw, const config::SafetyConfig& safety,
                           HeaderFaults& out, std::string& error);

// True when `name` is listed in an x-chaos-experiment header (comma separated, any number of
// headers).
bool opted_in(std::span<const HeaderView> headers, std::string_view name);

// Constant-time comparison (timing reveals at most the expected length).
bool token_equals(std::string_view given, std::string_view expected);

// The gates of [triggers.headers] (allow_from, then token), which x-chaos-* and Envoy's fault
// headers both pass: false, with the reason counted and set in plan.trigger_rejected, when the
// request may not use header triggers. `raw` carries x-chaos-token.
bool pass_header_gates(const Snapshot& snapshot, const ChaosHeaders& raw, const sockaddr* peer,
                       unsigned worker, Plan& plan);

// decide()'s x-chaos-* step, once the gates passed: compiles, samples x-chaos-percentage and
// folds the faults into `plan` (or sets plan.bad_request). `raw` is scan_chaos_headers(headers)
// (decide() scans once to skip excluded-path checks when no x-chaos-* header is present).
void apply_header_triggers(const Snapshot& snapshot, const ChaosHeaders& raw, Rng& rng,
                           unsigned worker, Plan& plan);

}  // namespace faultline::faults
