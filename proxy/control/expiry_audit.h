#pragma once
// Reports each experiment expiry once: an "expiry" event in the audit trail (which also logs
// it). Experiments expire by the clock with no event to hook, so the Server polls this from
// its 1 s tick. A run of an experiment is identified by its name and start time: a replace
// through the API or a config reload restarts the clock, so that new run is reported again
// when it runs out.
#include <string>
#include <unordered_map>

#include "faults/snapshot.h"
#include "faults/time.h"
#include "proxy/admin/audit.h"

namespace faultline::proxy {

class ExpiryAudit {
 public:
  // The audit trail's client for changes the proxy makes by itself.
  static constexpr const char* kClient = "faultline";

  // Main thread only. Records an event for every experiment of `snapshot` that is expired at
  // `now` and not yet reported; forgets experiments that are gone or active again.
  void check(const faults::Snapshot& snapshot, faults::TimePoint now, admin::AuditLog& audit);

 private:
  // name -> started_at of the run already reported expired.
  std::unordered_map<std::string, faults::TimePoint> reported_;
};

}  // namespace faultline::proxy
