#include "proxy/tcp/fault_executor.h"

#include <utility>
#include <vector>

namespace faultline::proxy {

bool TcpFaultExecutor::carry_out_at_connect(uint64_t now_ms, uint64_t idle_timeout_ms) {
  if (plan_.terminal == faults::Terminal::kReset &&
      plan_.reset_point == faults::ResetPoint::kConnect) {
    hooks_.fault_reset_at_connect();
    return false;
  }
  if (plan_.terminal == faults::Terminal::kStall) {
    hooks_.fault_stall(plan_.stall_for.count() > 0 ? plan_.stall_for.count() : idle_timeout_ms);
    return false;
  }
  if (plan_.upstream_rate) bucket_[0].reset(plan_.upstream_rate, now_ms);
  if (plan_.downstream_rate) bucket_[1].reset(plan_.downstream_rate, now_ms);
  return true;
}

bool TcpFaultExecutor::delay_close() {
  if (!active_ || plan_.close_delay.count() <= 0 || hooks_.faults_halted()) return false;
  // The data went out at full speed; the FIN to the client waits.
  hooks_.fault_delay_close(plan_.close_delay.count());
  return true;
}

void TcpFaultExecutor::release() {
  // The faults applied so far stay in the connection's log line.
  std::vector<faults::AppliedFault> applied = std::move(plan_.applied);
  plan_ = faults::Plan();
  plan_.applied = std::move(applied);
  active_ = false;
  bucket_[0] = TokenBucket();
  bucket_[1] = TokenBucket();
}

}  // namespace faultline::proxy
