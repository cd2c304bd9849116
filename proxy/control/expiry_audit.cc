#include "proxy/control/expiry_audit.h"

#include <unordered_set>

namespace faultline::proxy {

void ExpiryAudit::check(const faults::Snapshot& snapshot, faults::TimePoint now,
                        admin::AuditLog& audit) {
  std::unordered_set<std::string_view> expired;
  for (const faults::CompiledExperiment& e : snapshot.experiments) {
    if (!e.expired(now)) continue;
    expired.insert(e.name);
    auto it = reported_.find(e.name);
    if (it != reported_.end() && it->second == e.started_at) continue;
    reported_[e.name] = e.started_at;
    audit.record(kClient, "expiry", e.name, "ok");
  }
  // Removed experiments and renewed runs start afresh; this also bounds the map.
  for (auto it = reported_.begin(); it != reported_.end();) {
    if (expired.count(it->first) == 0)
      it = reported_.erase(it);
    else
      ++it;
  }
}

}  // namespace faultline::proxy
