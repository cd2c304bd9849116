#pragma once
// The closed set of things a connection knows how to do (STYLE.md "Faults are data").
// Fault kinds compile into these; decide() folds the selected ones into a Plan.
#include <cstdint>
#include <memory>

#include "config/schema.h"
#include "faults/latency_distribution.h"
#include "faults/plan.h"
#include "faults/rng.h"

namespace faultline::faults {

enum class Op : uint8_t {
  kDelay,
  kRespond,
  kReset,
  kStall,
  kThrottle,
  kDelayClose,
  kBlackhole,  // TCP: drop a direction's bytes; close after `amount` (0 = never)
  kLimitData,  // TCP: close cleanly once `after_bytes` went through a direction
  kSlice,      // TCP: relay in pieces of `after_bytes` +/- `size_variation`, `amount` apart
  kGoaway,     // HTTP/2: GOAWAY with `code`, `graceful`
};
enum class Phase : uint8_t { kRequest, kResponse };                // HTTP
enum class Direction : uint8_t { kUpstream, kDownstream, kBoth };  // TCP streams, bodies

struct Primitive {
  Op op = Op::kDelay;
  Phase phase = Phase::kRequest;
  Direction direction = Direction::kBoth;
  Duration amount{0};  // delay, stall duration, close delay
  Duration jitter{0};  // kDelay: the spread of `distribution` around amount
  LatencyDistribution distribution = LatencyDistribution::kUniform;  // kDelay
  uint64_t rate = 0;                                                 // kThrottle, bytes per second
  ResetPoint reset_point = ResetPoint::kRequest;
  uint64_t after_bytes = 0;                  // kReset, kLimitData; kSlice: the average piece size
  uint64_t size_variation = 0;               // kSlice
  H2Code code = H2Code::kInternalError;      // kReset on HTTP/2, kGoaway
  bool graceful = true;                      // kGoaway
  std::shared_ptr<const Response> response;  // kRespond

  bool terminal() const { return op == Op::kRespond || op == Op::kReset || op == Op::kStall; }
};

// Adds one primitive to `plan` for a listener speaking `protocol`. Delays add up, the lowest
// rate wins, terminals overwrite (the caller ensures at most one applies). Records it in
// plan.applied as fault `kind` of `experiment` (empty: header triggers). Returns the delay a
// kDelay primitive drew (jitter applied), for the annotation; 0 for other primitives.
Duration apply(const Primitive& primitive, config::Protocol protocol, Rng& rng, Plan& plan,
               std::string_view kind, std::string_view experiment);

// Bounds the delays of `plan` (and of its plan.applied records) by `max`: the request-phase
// delays together, then the response-phase ones with what is left, each TCP direction, the
// stall and the slow close.
void cap_delays(Plan& plan, Duration max);

}  // namespace faultline::faults
