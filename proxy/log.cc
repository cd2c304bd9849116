#include "proxy/log.h"

#include <spdlog/async.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <atomic>
#include <memory>

namespace faultline::proxy::log {

namespace {

std::shared_ptr<spdlog::logger> g_main, g_worker, g_http, g_tcp, g_admin, g_access;
std::atomic<bool> g_access_on{false};
bool g_json = false;

// Writes the message as the body of a JSON string.
void json_escape(std::string_view s, spdlog::memory_buf_t& dest) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (char c : s) {
    switch (c) {
      case '"':
        dest.append(std::string_view("\\\""));
        break;
      case '\\':
        dest.append(std::string_view("\\\\"));
        break;
      case '\n':
        dest.append(std::string_view("\\n"));
        break;
      case '\r':
        dest.append(std::string_view("\\r"));
        break;
      case '\t':
        dest.append(std::string_view("\\t"));
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[6] = {'\\', 'u', '0', '0', kHex[(c >> 4) & 0xf], kHex[c & 0xf]};
          dest.append(buf, buf + 6);
        } else {
          dest.push_back(c);
        }
    }
  }
}

class JsonMessageFlag : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    json_escape(std::string_view(msg.payload.data(), msg.payload.size()), dest);
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonMessageFlag>();
  }
};

std::unique_ptr<spdlog::formatter> make_formatter(bool json, bool access) {
  auto f = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
  f->add_flag<JsonMessageFlag>('*');
  if (json && access)
    f->set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"info","logger":"access",%v})");
  else if (json)
    f->set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","logger":"%n","msg":"%*"})");
  else
    f->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %L %n: %v");
  return f;
}

spdlog::level::level_enum to_spdlog(config::LogLevel level) {
  switch (level) {
    case config::LogLevel::kTrace:
      return spdlog::level::trace;
    case config::LogLevel::kDebug:
      return spdlog::level::debug;
    case config::LogLevel::kInfo:
      return spdlog::level::info;
    case config::LogLevel::kWarn:
      return spdlog::level::warn;
    case config::LogLevel::kError:
      return spdlog::level::err;
  }
  return spdlog::level::info;
}

std::shared_ptr<spdlog::logger> make_sync(const char* name) {
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  auto logger = std::make_shared<spdlog::logger>(name, sink);
  logger->set_formatter(make_formatter(false, false));
  return logger;
}

void ensure_defaults() {
  if (g_main) return;
  g_main = make_sync("main");
  g_worker = make_sync("worker");
  g_http = make_sync("http");
  g_tcp = make_sync("tcp");
  g_admin = make_sync("admin");
  g_access = make_sync("access");
}

}  // namespace

void init(const config::LogConfig& config) {
  g_json = config.format == config::LogFormat::kJson;
  // A small queue: lines beyond it overwrite the oldest (never block a loop), and idle RSS stays
  // low.
  spdlog::init_thread_pool(1024, 1);
  auto make = [&](const char* name, bool access) {
    // One sink per logger: a formatter belongs to a sink, and the access lines differ. All
    // writes happen on the one async thread, so lines do not interleave.
    auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    auto logger = std::make_shared<spdlog::async_logger>(
        name, sink, spdlog::thread_pool(), spdlog::async_overflow_policy::overrun_oldest);
    logger->set_formatter(make_formatter(g_json, access));
    logger->set_level(access ? spdlog::level::info : to_spdlog(config.level));
    logger->flush_on(spdlog::level::warn);
    return logger;
  };
  g_main = make("main", false);
  g_worker = make("worker", false);
  g_http = make("http", false);
  g_tcp = make("tcp", false);
  g_admin = make("admin", false);
  g_access = make("access", true);
  g_access_on.store(config.access_log, std::memory_order_relaxed);
  spdlog::flush_every(std::chrono::seconds(1));
}

void set_level(config::LogLevel level) {
  ensure_defaults();
  for (auto* l : {&g_main, &g_worker, &g_http, &g_tcp, &g_admin}) (*l)->set_level(to_spdlog(level));
}

void shutdown() {
  if (g_main) {
    for (auto* l : {&g_main, &g_worker, &g_http, &g_tcp, &g_admin, &g_access}) (*l)->flush();
  }
  spdlog::shutdown();
  g_main = g_worker = g_http = g_tcp = g_admin = g_access = nullptr;
}

spdlog::logger& main() {
  ensure_defaults();
  return *g_main;
}
spdlog::logger& worker() {
  ensure_defaults();
  return *g_worker;
}
spdlog::logger& http() {
  ensure_defaults();
  return *g_http;
}
spdlog::logger& tcp() {
  ensure_defaults();
  return *g_tcp;
}
spdlog::logger& admin() {
  ensure_defaults();
  return *g_admin;
}

bool access_enabled() {
  return g_access_on.load(std::memory_order_relaxed);
}
void set_access_enabled(bool on) {
  g_access_on.store(on, std::memory_order_relaxed);
}

void access(std::string_view listener, std::string_view method, std::string_view path, int status,
            uint64_t bytes, uint64_t total_us, uint64_t upstream_us) {
  ensure_defaults();
  double total_ms = static_cast<double>(total_us) / 1000.0;
  double upstream_ms = static_cast<double>(upstream_us) / 1000.0;
  if (g_json) {
    spdlog::memory_buf_t escaped;
    json_escape(path, escaped);
    g_access->info(
        R"("listener":"{}","method":"{}","path":"{}","status":{},"bytes":{},"duration_ms":{:.3f},"upstream_ms":{:.3f})",
        listener, method, std::string_view(escaped.data(), escaped.size()), status, bytes, total_ms,
        upstream_ms);
  } else {
    g_access->info("{} {} {} {} {}B {:.3f}ms upstream={:.3f}ms", listener, method, path, status,
                   bytes, total_ms, upstream_ms);
  }
}

}  // namespace faultline::proxy::log
