#pragma once
// Where listeners land when they change at runtime. The running listeners are slots whose
// index never moves (sessions, counters and compiled experiments are indexed by it): a kept
// listener keeps its slot, a removed one is retired in place, and a new one — or one whose
// address or protocol changed, or one enabled again — gets a slot appended at the end.
// Two owners share the slots: the config file (reloads) and the Toxiproxy API; each replaces
// only its own listeners, and a name belongs to one owner at a time.
#include <cstdint>
#include <string>
#include <vector>

#include "config/result.h"
#include "config/schema.h"

namespace faultline::proxy {

struct ListenerPlan {
  std::vector<config::ListenerConfig> slots;  // the running slots, changed, then the new ones
  // New slots (indices into `slots`, from the old size on) that need a socket, and for each
  // the closing slot whose socket it takes over (same address: no gap, no bind race), or -1.
  // (Server::bind_listeners also finds a closing slot bound to the very address asked for.)
  struct Bind {
    uint32_t slot = 0;
    int64_t reuse_from = -1;
  };
  std::vector<Bind> bind;
  std::vector<uint32_t> closed;  // running slots that stop accepting and close connections
  bool changed() const { return !bind.empty() || !closed.empty(); }
};

// Lays `desired` (every listener one owner wants now; `api` = the Toxiproxy API's, else the
// config file's) over `running`. Fails, changing nothing, when a desired name belongs to the
// other owner.
Result<ListenerPlan> plan_listeners(const std::vector<config::ListenerConfig>& running,
                                    std::vector<config::ListenerConfig> desired, bool api);

}  // namespace faultline::proxy
