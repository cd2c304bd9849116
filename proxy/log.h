#pragma once
// Logging: one named spdlog logger per component, created once at start-up and cached here,
// all writing through one async thread pool that drops the oldest line rather than block an
// event loop. Text or JSON lines per [log].
#include <spdlog/spdlog.h>

#include <cstdint>
#include <string_view>

#include "config/schema.h"

namespace faultline::proxy::log {

// Before init() every logger writes text synchronously to stderr at info level.
void init(const config::LogConfig& config);
void set_level(config::LogLevel level);
void shutdown();  // flushes

spdlog::logger& main();
spdlog::logger& worker();
spdlog::logger& http();
spdlog::logger& tcp();
spdlog::logger& admin();

bool access_enabled();
void set_access_enabled(bool on);
// The per-request access line: method, path, status, bytes, total and upstream time.
void access(std::string_view listener, std::string_view method, std::string_view path, int status,
            uint64_t bytes, uint64_t total_us, uint64_t upstream_us);

}  // namespace faultline::proxy::log
