#pragma once
// Logging: one named spdlog logger per component, created once at start-up and cached here,
// all writing through one async thread pool that drops the oldest line rather than block an
// event loop. Text or JSON lines per [log]; with JSON every line the process writes after
// init() is one JSON object: the component loggers, the "audit" logger (registered with
// spdlog for proxy/admin/audit.cc) and spdlog's default logger (which the admin server uses).
#include <spdlog/spdlog.h>

#include <cstdint>
#include <string_view>

#include "config/schema.h"

namespace faultline::proxy {
struct RequestRecord;
}

namespace faultline::proxy::log {

// Before init() every logger writes text synchronously to stderr at info level.
void init(const config::LogConfig& config);
// A fatal start-up error (one line, flushed at once), in the configured format once init()
// ran.
void fatal(std::string_view message);
void set_level(config::LogLevel level);
void shutdown();  // flushes

spdlog::logger& main();
spdlog::logger& worker();
spdlog::logger& http();
spdlog::logger& tcp();
spdlog::logger& admin();

bool access_enabled();
void set_access_enabled(bool on);
// The access line of one exchange (README "Access log").
void access(const RequestRecord& record);

}  // namespace faultline::proxy::log
