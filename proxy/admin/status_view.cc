#include "proxy/admin/status_view.h"

#include <chrono>

#include "proxy/admin/time_format.h"

namespace faultline::proxy::admin {
namespace {

const char* reload_result_name(StatusReport::ReloadResult result) {
  switch (result) {
    case StatusReport::ReloadResult::kOk:
      return "ok";
    case StatusReport::ReloadResult::kError:
      return "error";
    case StatusReport::ReloadResult::kNone:
      break;
  }
  return "none";
}

}  // namespace

nlohmann::json status_view(const StatusReport& report) {
  nlohmann::json j;
  j["version"] = report.version;
  j["uptime_seconds"] = report.uptime.count();
  j["halted"] = report.halted;
  if (report.halted && !report.halt_reason.empty()) j["halt_reason"] = report.halt_reason;
  j["draining"] = report.draining;
  j["listeners"] = nlohmann::json::array();
  for (const StatusReport::Listener& l : report.listeners) {
    j["listeners"].push_back({{"name", l.name},
                              {"listen", l.listen.to_string()},
                              {"upstream", l.upstream.to_string()},
                              {"protocol", l.protocol == config::Protocol::kHttp ? "http" : "tcp"},
                              {"requests", l.requests},
                              {"connections_active", l.connections_active},
                              {"upstream_errors",
                               {{"connect", l.upstream_errors_connect},
                                {"timeout", l.upstream_errors_timeout},
                                {"reset", l.upstream_errors_reset}}}});
    nlohmann::json& out = j["listeners"].back();
    out["enabled"] = l.enabled;
    out["source"] = l.source;
    if (!l.address.empty()) out["address"] = l.address;
    if (l.tls) {
      j["listeners"].back()["tls"] = {
          {"cert_not_after",
           format_rfc3339_utc(std::chrono::system_clock::from_time_t(l.tls_cert_not_after))},
          {"cert_expiry_seconds", l.tls_cert_not_after},
          {"cert_serial", l.tls_cert_serial}};
    }
  }
  const StatusReport::ExperimentCounts& e = report.experiments;
  j["experiments"] = {{"active", e.active},
                      {"paused", e.paused},
                      {"expired", e.expired},
                      {"total", e.active + e.paused + e.expired}};
  nlohmann::json last = {{"result", reload_result_name(report.last_reload.result)}};
  if (!report.last_reload.error.empty()) last["error"] = report.last_reload.error;
  j["last_reload"] = std::move(last);
  return j;
}

}  // namespace faultline::proxy::admin
