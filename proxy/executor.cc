#include "proxy/executor.h"

namespace faultline::proxy {

bool decide_request(Worker&, const Snapshot&, const RequestView&, faults::Plan&) {
  return false;
}

bool decide_connect(Worker&, const Snapshot&, uint32_t, const sockaddr*, faults::Plan&) {
  return false;
}

void release_plan(Worker&, const Snapshot&, faults::Plan& plan) {
  plan.held_slots.clear();
}

}  // namespace faultline::proxy
