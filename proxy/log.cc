#include "proxy/log.h"

#include <spdlog/async.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <atomic>
#include <memory>
#include <random>

#include "proxy/request_record.h"

namespace faultline::proxy::log {

namespace {

std::shared_ptr<spdlog::logger> g_main, g_worker, g_http, g_tcp, g_admin, g_access, g_audit;
std::atomic<bool> g_access_on{false};
bool g_json = false;
// Tags request ids with this process's run, so ids from a restart do not repeat old ones.
uint32_t g_process_tag = 0;

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
  g_audit = make("audit", false);
  g_audit->set_level(spdlog::level::info);  // the audit trail is not a debug aid
  // proxy/admin/ writes audit events to the registered "audit" logger and its warnings to
  // spdlog's default logger: both must follow [log] too.
  spdlog::drop("audit");
  spdlog::register_logger(g_audit);
  spdlog::set_default_logger(g_admin);
  g_process_tag = std::random_device{}();
  g_access_on.store(config.access_log, std::memory_order_relaxed);
  spdlog::flush_every(std::chrono::seconds(1));
}

void fatal(std::string_view message) {
  ensure_defaults();
  g_main->error("{}", message);
  g_main->flush();
}

void set_level(config::LogLevel level) {
  ensure_defaults();
  for (auto* l : {&g_main, &g_worker, &g_http, &g_tcp, &g_admin}) (*l)->set_level(to_spdlog(level));
}

void shutdown() {
  if (g_main) {
    for (auto* l : {&g_main, &g_worker, &g_http, &g_tcp, &g_admin, &g_access}) (*l)->flush();
    if (g_audit) g_audit->flush();
  }
  spdlog::shutdown();
  g_main = g_worker = g_http = g_tcp = g_admin = g_access = g_audit = nullptr;
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

namespace {

std::string_view view(const spdlog::memory_buf_t& buf) {
  return {buf.data(), buf.size()};
}

void append(spdlog::memory_buf_t& out, std::string_view text) {
  out.append(text.data(), text.data() + text.size());
}

// "000" when no response reached the client, as in faultline_requests_total.
void append_code(spdlog::memory_buf_t& out, int status) {
  if (status <= 0 || status > 999)
    append(out, "000");
  else
    fmt::format_to(std::back_inserter(out), "{:03d}", status);
}

std::string_view source_of(const faults::AppliedFault& f) {
  return f.experiment.empty() ? std::string_view("header") : f.experiment;
}

// [{"type":"latency","source":"experiment","experiment":"x","phase":"request","delay_ms":300}]
void json_faults(spdlog::memory_buf_t& out, std::span<const faults::AppliedFault> faults) {
  out.push_back('[');
  bool first = true;
  for (const auto& f : faults) {
    if (!first) out.push_back(',');
    first = false;
    fmt::format_to(std::back_inserter(out), R"({{"type":"{}")", f.kind);
    if (f.experiment.empty()) {
      append(out, R"(,"source":"header")");
    } else if (f.experiment == faults::kEnvoyHeaderSource) {
      append(out, R"(,"source":"envoy-header")");
    } else {
      append(out, R"(,"source":"experiment","experiment":")");
      json_escape(f.experiment, out);
      out.push_back('"');
    }
    if (f.kind == "latency") {
      fmt::format_to(std::back_inserter(out), R"(,"{}":"{}","delay_ms":{})",
                     f.where == "request" || f.where == "response" ? "phase" : "direction", f.where,
                     f.ms);
    } else if (f.kind == "abort") {
      fmt::format_to(std::back_inserter(out), R"(,"status":{})", f.status);
    } else if (f.kind == "reset") {
      fmt::format_to(std::back_inserter(out), R"(,"phase":"{}","after_bytes":{})", f.where,
                     f.after_bytes);
      if (f.where == "data") fmt::format_to(std::back_inserter(out), R"(,"delay_ms":{})", f.ms);
    } else if (f.kind == "stall") {
      fmt::format_to(std::back_inserter(out), R"(,"duration_ms":{})", f.ms);
    } else if (f.kind == "bandwidth") {
      fmt::format_to(std::back_inserter(out), R"(,"direction":"{}","bytes_per_second":{})", f.where,
                     f.rate);
    } else if (f.kind == "slow_close") {
      fmt::format_to(std::back_inserter(out), R"(,"delay_ms":{})", f.ms);
    } else if (f.kind == "blackhole") {
      fmt::format_to(std::back_inserter(out), R"(,"direction":"{}","close_after_ms":{})", f.where,
                     f.ms);
    } else if (f.kind == "limit_data") {
      fmt::format_to(std::back_inserter(out), R"(,"direction":"{}","bytes":{})", f.where,
                     f.after_bytes);
    } else if (f.kind == "slice") {
      fmt::format_to(std::back_inserter(out),
                     R"(,"direction":"{}","average_size":{},"delay_ms":{})", f.where, f.after_bytes,
                     f.ms);
    } else if (f.kind == "tls_handshake_delay") {
      fmt::format_to(std::back_inserter(out), R"(,"delay_ms":{})", f.ms);
    } else if (f.kind == "tls_abort") {
      fmt::format_to(std::back_inserter(out), R"(,"alert":"{}")", f.where);  // or "reset"
    }
    out.push_back('}');
  }
  out.push_back(']');
}

// latency=300ms@checkout,abort=503@header (the x-chaos-injected style, applied values).
void text_faults(spdlog::memory_buf_t& out, std::span<const faults::AppliedFault> faults) {
  bool first = true;
  for (const auto& f : faults) {
    if (!first) out.push_back(',');
    first = false;
    append(out, f.kind);
    out.push_back('=');
    if (f.kind == "abort")
      fmt::format_to(std::back_inserter(out), "{}", f.status);
    else if (f.kind == "reset" || f.kind == "tls_abort")
      append(out, f.where);
    else if (f.kind == "bandwidth")
      fmt::format_to(std::back_inserter(out), "{}B/s", f.rate);
    else if (f.kind == "blackhole")
      append(out, f.where);
    else if (f.kind == "limit_data" || f.kind == "slice")
      fmt::format_to(std::back_inserter(out), "{}B", f.after_bytes);
    else
      fmt::format_to(std::back_inserter(out), "{}ms", f.ms);
    out.push_back('@');
    append(out, source_of(f));
  }
}

}  // namespace

void access(const RequestRecord& r) {
  ensure_defaults();
  const double total_ms = static_cast<double>(r.total_us) / 1000.0;
  const double upstream_ms = static_cast<double>(r.upstream_us) / 1000.0;
  const double fault_ms = static_cast<double>(r.fault_us) / 1000.0;
  spdlog::memory_buf_t line;
  auto out = std::back_inserter(line);
  if (g_json) {
    fmt::format_to(out, R"("id":"{:08x}-{}-{}","listener":")", g_process_tag, r.worker, r.id);
    json_escape(r.listener, line);
    fmt::format_to(out, R"(","protocol":"{}","client":"{}")", r.protocol, r.client);
    if (r.protocol != "tcp") {
      append(line, R"(,"method":")");
      json_escape(r.method, line);
      append(line, R"(","path":")");
      json_escape(r.path, line);
      fmt::format_to(out, R"(","status":{},"code":")", r.status);
      append_code(line, r.status);
      line.push_back('"');
      if (r.grpc_status >= 0) fmt::format_to(out, R"(,"grpc_status":{})", r.grpc_status);
    } else {
      fmt::format_to(out, R"(,"bytes_in":{})", r.bytes_in);
    }
    fmt::format_to(out,
                   R"(,"injected":{},"ending":"{}","bytes":{},"duration_ms":{:.3f},)"
                   R"("upstream_ms":{:.3f},"fault_ms":{:.3f},"faults":)",
                   r.injected, ending_name(r.ending), r.bytes_out, total_ms, upstream_ms, fault_ms);
    json_faults(line, r.faults);
  } else {
    fmt::format_to(out, "{} {} ", r.listener, r.client.empty() ? std::string_view("-") : r.client);
    if (r.protocol != "tcp") {
      fmt::format_to(out, "{} {} ", r.method.empty() ? std::string_view("-") : r.method,
                     r.path.empty() ? std::string_view("-") : r.path);
      append_code(line, r.status);
      if (r.grpc_status >= 0) fmt::format_to(out, " grpc-status={}", r.grpc_status);
    } else {
      fmt::format_to(out, "{} in={}B", r.protocol, r.bytes_in);
    }
    fmt::format_to(out, " {}B {:.3f}ms upstream={:.3f}ms fault={:.3f}ms id={:08x}-{}-{}",
                   r.bytes_out, total_ms, upstream_ms, fault_ms, g_process_tag, r.worker, r.id);
    if (r.injected) append(line, " injected");
    if (r.ending != Ending::kComplete) fmt::format_to(out, " ending={}", ending_name(r.ending));
    if (!r.faults.empty()) {
      append(line, " faults=");
      text_faults(line, r.faults);
    }
  }
  g_access->info("{}", view(line));
}

}  // namespace faultline::proxy::log
