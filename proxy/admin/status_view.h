#pragma once
// The SPEC §4 JSON of GET /v1/status, from the plain report the runtime returns (backend.h).
#include <nlohmann/json.hpp>

#include "proxy/admin/backend.h"

namespace faultline::proxy::admin {

// {"version", "uptime_seconds", "halted", "draining",
//  "listeners": [{"name", "listen", "upstream", "protocol", "requests", "connections_active",
//                 "upstream_errors": {"connect", "timeout", "reset"}}],
//  "experiments": {"active", "paused", "expired", "total"},
//  "last_reload": {"result": "none" | "ok" | "error", "error" (with "error")}}
nlohmann::json status_view(const StatusReport& report);

}  // namespace faultline::proxy::admin
