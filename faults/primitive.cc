#include "faults/primitive.h"

#include <algorithm>

namespace faultline::faults {
namespace {

Duration sample_delay(const Primitive& primitive, Rng& rng) {
  if (primitive.jitter.count() == 0) return primitive.amount;
  const double offset =
      (rng.uniform01() * 2.0 - 1.0) * static_cast<double>(primitive.jitter.count());
  const auto value = primitive.amount.count() + static_cast<int64_t>(offset);
  return Duration{std::max<int64_t>(0, value)};
}

// The lowest limit wins; 0 means unlimited.
void limit(uint64_t& current, uint64_t rate) {
  if (current == 0 || rate < current) current = rate;
}

}  // namespace

Duration apply(const Primitive& primitive, config::Protocol protocol, Rng& rng, Plan& plan) {
  const bool tcp = protocol == config::Protocol::kTcp;
  const bool up = primitive.direction != Direction::kDownstream;
  const bool down = primitive.direction != Direction::kUpstream;
  switch (primitive.op) {
    case Op::kDelay: {
      const Duration delay = sample_delay(primitive, rng);
      if (tcp) {
        if (up) plan.upstream_chunk_delay += delay;
        if (down) plan.downstream_chunk_delay += delay;
      } else if (primitive.phase == Phase::kResponse) {
        plan.response_delay += delay;
      } else {
        plan.request_delay += delay;
      }
      return delay;
    }
    case Op::kRespond:
      plan.terminal = Terminal::kRespond;
      plan.respond = *primitive.response;
      break;
    case Op::kReset:
      plan.terminal = Terminal::kReset;
      plan.reset_point = primitive.reset_point;
      plan.reset_after_bytes = primitive.after_bytes;
      break;
    case Op::kStall:
      plan.terminal = Terminal::kStall;
      plan.stall_for = primitive.amount;
      break;
    case Op::kThrottle:
      if (up) limit(plan.upstream_rate, primitive.rate);
      if (down) limit(plan.downstream_rate, primitive.rate);
      break;
    case Op::kDelayClose:
      plan.close_delay = std::max(plan.close_delay, primitive.amount);
      break;
  }
  return Duration{0};
}

}  // namespace faultline::faults
