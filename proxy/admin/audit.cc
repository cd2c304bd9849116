#include "proxy/admin/audit.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "proxy/admin/time_format.h"

namespace faultline::proxy::admin {
namespace {

// Audit events go to the runtime's "audit" logger when it made one, else to the default
// logger. Looked up per event (not the request path) so that start-up order does not matter.
std::shared_ptr<spdlog::logger> audit_logger() {
  if (auto logger = spdlog::get("audit")) return logger;
  return spdlog::default_logger();
}

}  // namespace

AuditLog::AuditLog(size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

void AuditLog::record(std::string client, std::string action, std::string experiment,
                      std::string result) {
  audit_logger()->info("audit client={} action={} experiment={} result={}", client, action,
                       experiment.empty() ? "-" : experiment, result);
  Event event{std::chrono::system_clock::now(), std::move(client), std::move(action),
              std::move(experiment), std::move(result)};
  std::lock_guard lock(mutex_);
  if (events_.size() == capacity_) {
    events_.pop_front();
    ++dropped_;
  }
  events_.push_back(std::move(event));
}

nlohmann::json AuditLog::to_json() const {
  nlohmann::json out = nlohmann::json::array();
  std::lock_guard lock(mutex_);
  for (const Event& e : events_) {
    out.push_back({{"time", format_rfc3339_utc(e.time)},
                   {"client", e.client},
                   {"action", e.action},
                   {"experiment", e.experiment},
                   {"result", e.result}});
  }
  return out;
}

uint64_t AuditLog::dropped() const {
  std::lock_guard lock(mutex_);
  return dropped_;
}

}  // namespace faultline::proxy::admin
