#include "faults/primitive.h"

#include <algorithm>
#include <utility>

#include "faults/tls_alerts.h"

namespace faultline::faults {
namespace {

Duration sample_delay(const Primitive& primitive, Rng& rng) {
  return draw_latency(primitive.distribution, primitive.amount, primitive.jitter, rng);
}

// The lowest limit wins; 0 means unlimited.
void limit(uint64_t& current, uint64_t rate) {
  if (current == 0 || rate < current) current = rate;
}

std::string_view direction_name(Direction direction) {
  switch (direction) {
    case Direction::kUpstream:
      return "upstream";
    case Direction::kDownstream:
      return "downstream";
    case Direction::kBoth:
      break;
  }
  return "both";
}

std::string_view reset_point_name(ResetPoint point) {
  switch (point) {
    case ResetPoint::kConnect:
      return "connect";
    case ResetPoint::kRequest:
      return "request";
    case ResetPoint::kData:
      return "data";
    case ResetPoint::kResponse:
      break;
  }
  return "response";
}

AppliedFault describe(const Primitive& primitive, bool tcp, Duration delay) {
  AppliedFault out;
  switch (primitive.op) {
    case Op::kDelay:
      out.ms = delay.count();
      out.where = tcp ? direction_name(primitive.direction)
                      : (primitive.phase == Phase::kResponse ? "response" : "request");
      break;
    case Op::kRespond:
      out.status = primitive.response ? primitive.response->status : 0;
      break;
    case Op::kReset:
      out.where = reset_point_name(primitive.reset_point);
      out.after_bytes = primitive.after_bytes;
      if (primitive.reset_point == ResetPoint::kData) out.ms = primitive.amount.count();
      break;
    case Op::kStall:
    case Op::kDelayClose:
      out.ms = primitive.amount.count();
      break;
    case Op::kBlackhole:
      out.ms = primitive.amount.count();
      out.where = direction_name(primitive.direction);
      break;
    case Op::kLimitData:
      out.after_bytes = primitive.after_bytes;
      out.where = direction_name(primitive.direction);
      break;
    case Op::kSlice:
      out.after_bytes = primitive.after_bytes;
      out.ms = primitive.amount.count();
      out.where = direction_name(primitive.direction);
      break;
    case Op::kGoaway:
      out.where = primitive.graceful ? "graceful" : "immediate";
      break;
    case Op::kThrottle:
      out.rate = primitive.rate;
      out.where = direction_name(primitive.direction);
      break;
    case Op::kHandshakeDelay:
      out.ms = primitive.amount.count();
      break;
    case Op::kHandshakeAbort:
      out.where =
          primitive.alert == 0 ? std::string_view("reset") : tls_alert_name(primitive.alert);
      break;
  }
  return out;
}

}  // namespace

void cap_delays(Plan& plan, Duration max) {
  plan.request_delay = std::min(plan.request_delay, max);
  plan.response_delay = std::min(plan.response_delay, max - plan.request_delay);
  plan.upstream_chunk_delay = std::min(plan.upstream_chunk_delay, max);
  plan.downstream_chunk_delay = std::min(plan.downstream_chunk_delay, max);
  plan.close_delay = std::min(plan.close_delay, max);
  plan.stall_for = std::min(plan.stall_for, max);
  plan.reset_delay = std::min(plan.reset_delay, max);
  plan.upstream_slice.delay = std::min(plan.upstream_slice.delay, max);
  plan.downstream_slice.delay = std::min(plan.downstream_slice.delay, max);
  plan.handshake_delay = std::min(plan.handshake_delay, max);
  // The records say what was applied: latencies share their phase's (or direction's) budget
  // in the order they were added.
  int64_t request_left = plan.request_delay.count();
  int64_t response_left = plan.response_delay.count();
  for (AppliedFault& fault : plan.applied) {
    if (fault.ms < 0) continue;
    if (fault.kind == "latency") {
      int64_t* left = fault.where == "request"    ? &request_left
                      : fault.where == "response" ? &response_left
                                                  : nullptr;
      if (left) {
        fault.ms = std::min(fault.ms, *left);
        *left -= fault.ms;
        continue;
      }
    }
    fault.ms = std::min<int64_t>(fault.ms, max.count());
  }
}

Duration apply(const Primitive& primitive, config::Protocol protocol, Rng& rng, Plan& plan,
               std::string_view kind, std::string_view experiment) {
  const bool tcp = protocol == config::Protocol::kTcp;
  const bool up = primitive.direction != Direction::kDownstream;
  const bool down = primitive.direction != Direction::kUpstream;
  const Duration delay =
      primitive.op == Op::kDelay ? sample_delay(primitive, rng) : primitive.amount;
  AppliedFault& record = plan.applied.emplace_back(describe(primitive, tcp, delay));
  record.kind = kind;
  record.experiment = experiment;
  switch (primitive.op) {
    case Op::kDelay: {
      if (tcp) {
        if (up)
          plan.upstream_chunk_delay = config::saturating_add(plan.upstream_chunk_delay, delay);
        if (down)
          plan.downstream_chunk_delay = config::saturating_add(plan.downstream_chunk_delay, delay);
      } else if (primitive.phase == Phase::kResponse) {
        plan.response_delay = config::saturating_add(plan.response_delay, delay);
      } else {
        plan.request_delay = config::saturating_add(plan.request_delay, delay);
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
      plan.reset_code = primitive.code;
      plan.upstream_reset_on_data = primitive.reset_point == ResetPoint::kData && up;
      plan.downstream_reset_on_data = primitive.reset_point == ResetPoint::kData && down;
      plan.reset_delay = primitive.amount;
      break;
    case Op::kGoaway:
      plan.goaway = true;
      plan.goaway_graceful = primitive.graceful;
      plan.goaway_code = primitive.code;
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
    case Op::kBlackhole:
      plan.upstream_blackhole = plan.upstream_blackhole || up;
      plan.downstream_blackhole = plan.downstream_blackhole || down;
      // The earliest close wins; 0 (never) gives way to any time.
      if (primitive.amount.count() > 0 && (plan.blackhole_close_after.count() == 0 ||
                                           primitive.amount < plan.blackhole_close_after))
        plan.blackhole_close_after = primitive.amount;
      break;
    case Op::kLimitData:
      if (up) limit(plan.upstream_limit, primitive.after_bytes);
      if (down) limit(plan.downstream_limit, primitive.after_bytes);
      break;
    case Op::kHandshakeDelay:
      plan.handshake_delay = config::saturating_add(plan.handshake_delay, primitive.amount);
      break;
    case Op::kHandshakeAbort:
      plan.handshake_abort = true;
      plan.handshake_alert = primitive.alert;
      break;
    case Op::kSlice: {
      // The smallest pieces win.
      const Plan::Slice slice{primitive.after_bytes, primitive.size_variation, primitive.amount};
      for (auto [on, target] :
           {std::pair{up, &plan.upstream_slice}, std::pair{down, &plan.downstream_slice}})
        if (on && (target->average == 0 || slice.average < target->average)) *target = slice;
      break;
    }
  }
  return Duration{0};
}

}  // namespace faultline::faults
