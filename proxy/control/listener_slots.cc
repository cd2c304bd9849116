#include "proxy/control/listener_slots.h"

namespace faultline::proxy {

Result<ListenerPlan> plan_listeners(const std::vector<config::ListenerConfig>& running,
                                    std::vector<config::ListenerConfig> desired, bool api) {
  ListenerPlan plan;
  plan.slots = running;
  std::vector<bool> placed(desired.size(), false);
  auto find_desired = [&](const std::string& name) -> int64_t {
    for (size_t d = 0; d < desired.size(); ++d)
      if (desired[d].name == name) return static_cast<int64_t>(d);
    return -1;
  };
  std::vector<config::ListenerConfig> appended;
  std::vector<int64_t> appended_reuse;
  for (uint32_t i = 0; i < running.size(); ++i) {
    const config::ListenerConfig& now = running[i];
    if (now.retired) continue;
    const int64_t d = find_desired(now.name);
    if (now.api_created != api) {
      if (d >= 0)
        return Result<ListenerPlan>::failure(
            "listener \"" + now.name + "\" already exists (" +
            (now.api_created ? "created by the Toxiproxy API" : "in the config file") + ")");
      continue;
    }
    config::ListenerConfig& slot = plan.slots[i];
    if (d < 0) {  // removed
      slot.retired = true;
      if (now.enabled) plan.closed.push_back(i);
      continue;
    }
    placed[d] = true;
    config::ListenerConfig next = std::move(desired[d]);
    next.api_created = api;
    next.retired = false;
    const bool same_socket = next.listen == now.listen && next.protocol == now.protocol;
    if (same_socket && (next.enabled == now.enabled || !next.enabled)) {
      if (now.enabled && !next.enabled) plan.closed.push_back(i);
      slot = std::move(next);
      continue;
    }
    // A new socket or a new protocol: a fresh slot, so no session of the old one is confused.
    slot.retired = true;
    int64_t reuse = -1;
    if (now.enabled) {
      plan.closed.push_back(i);
      // The same fixed address: the new slot takes the socket over instead of binding again.
      if (next.listen == now.listen && next.listen.port != 0) reuse = i;
    }
    appended.push_back(std::move(next));
    appended_reuse.push_back(reuse);
  }
  for (size_t d = 0; d < desired.size(); ++d) {
    if (placed[d]) continue;
    config::ListenerConfig next = std::move(desired[d]);
    next.api_created = api;
    next.retired = false;
    appended.push_back(std::move(next));
    appended_reuse.push_back(-1);
  }
  for (size_t a = 0; a < appended.size(); ++a) {
    const auto slot = static_cast<uint32_t>(plan.slots.size());
    if (appended[a].enabled) plan.bind.push_back({slot, appended_reuse[a]});
    plan.slots.push_back(std::move(appended[a]));
  }
  return plan;
}

}  // namespace faultline::proxy
