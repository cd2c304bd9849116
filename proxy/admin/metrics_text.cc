#include "proxy/admin/metrics_text.h"

#include <charconv>
#include <cmath>
#include <map>
#include <string>
#include <tuple>
#include <utility>

namespace faultline::proxy::admin {
namespace {

void append_number(std::string& out, uint64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

void append_number(std::string& out, int64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

// Shortest round-trip form ("0.25", "10"), with the format's spellings for non-finite values.
void append_number(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
    return;
  }
  if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
    return;
  }
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

void family(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;  // constant text without backslashes or newlines
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

using Labels = std::initializer_list<std::pair<std::string_view, std::string_view>>;

template <class V>
void sample(std::string& out, std::string_view name, Labels labels, V value) {
  out += name;
  if (labels.size() != 0) {
    out += '{';
    bool first = true;
    for (const auto& [k, v] : labels) {
      if (!first) out += ',';
      first = false;
      out += k;
      out += "=\"";
      out += escape_label_value(v);
      out += '"';
    }
    out += '}';
  }
  out += ' ';
  append_number(out, value);
  out += '\n';
}

// "000" when no HTTP response reached the client, else the three-digit status.
std::string code_label(int code) {
  if (code <= 0 || code > 999) return "000";
  return std::to_string(code);
}

void render_requests(std::string& out, const MetricsSample& s) {
  family(out, "faultline_requests_total", "counter",
         "Requests by listener, HTTP status code (000: no response), whether a fault "
         "decided the outcome, and HTTP version (protocol http1 or http2).");
  for (const auto& l : s.listeners) {
    std::map<std::tuple<int, bool, bool>, uint64_t> by_code;
    // The series a dashboard plots first exists from start-up (SPEC §7), not from the first
    // request: rate() needs a sample before the first increment.
    if (l.http) by_code[{200, false, false}] += 0;
    for (const auto& r : l.requests) by_code[{r.code, r.injected, r.http2}] += r.count;
    for (const auto& [key, n] : by_code) {
      const auto& [code, injected, http2] = key;
      const std::string code_text = code_label(code);
      sample(out, "faultline_requests_total",
             {{"listener", l.name},
              {"code", code_text},
              {"injected", injected ? "true" : "false"},
              {"protocol", http2 ? "http2" : "http1"}},
             n);
    }
  }
}

// SPEC §8: gRPC outcomes as the client saw them, and open HTTP/2 streams.
void render_grpc(std::string& out, const MetricsSample& s) {
  family(out, "faultline_grpc_responses_total", "counter",
         "gRPC responses by listener and the grpc-status the client received.");
  for (const auto& l : s.listeners) {
    if (!l.http) continue;
    for (int g = 0; g < 17; ++g) {
      if (l.grpc_responses[g] == 0) continue;
      sample(out, "faultline_grpc_responses_total",
             {{"listener", l.name}, {"grpc_status", std::to_string(g)}}, l.grpc_responses[g]);
    }
  }
  family(out, "faultline_h2_streams_active", "gauge", "HTTP/2 streams open, by listener.");
  for (const auto& l : s.listeners) {
    if (!l.http) continue;
    sample(out, "faultline_h2_streams_active", {{"listener", l.name}}, l.h2_streams_active);
  }
}

void render_durations(std::string& out, const MetricsSample& s) {
  constexpr std::string_view kName = "faultline_request_duration_seconds";
  family(out, kName, "histogram", "Time from request start to the end of the response.");
  for (const auto& l : s.listeners) {
    uint64_t cumulative = 0;
    for (size_t i = 0; i < std::size(MetricsSample::kDurationBuckets); ++i) {
      cumulative += l.duration_buckets[i];
      std::string le;
      append_number(le, MetricsSample::kDurationBuckets[i]);
      sample(out, "faultline_request_duration_seconds_bucket", {{"listener", l.name}, {"le", le}},
             cumulative);
    }
    // +Inf equals _count by definition; the counts above it are the slow tail.
    const uint64_t count = l.duration_count > cumulative ? l.duration_count : cumulative;
    sample(out, "faultline_request_duration_seconds_bucket", {{"listener", l.name}, {"le", "+Inf"}},
           count);
    sample(out, "faultline_request_duration_seconds_sum", {{"listener", l.name}},
           l.duration_sum_seconds);
    sample(out, "faultline_request_duration_seconds_count", {{"listener", l.name}}, count);
  }
}

void render_listener_gauges(std::string& out, const MetricsSample& s) {
  family(out, "faultline_connections_active", "gauge", "Client connections currently open.");
  for (const auto& l : s.listeners)
    sample(out, "faultline_connections_active", {{"listener", l.name}}, l.connections_active);

  family(out, "faultline_upstream_errors_total", "counter",
         "Upstream failures by kind (connect, timeout, reset).");
  for (const auto& l : s.listeners) {
    sample(out, "faultline_upstream_errors_total", {{"listener", l.name}, {"kind", "connect"}},
           l.upstream_errors_connect);
    sample(out, "faultline_upstream_errors_total", {{"listener", l.name}, {"kind", "timeout"}},
           l.upstream_errors_timeout);
    sample(out, "faultline_upstream_errors_total", {{"listener", l.name}, {"kind", "reset"}},
           l.upstream_errors_reset);
  }
}

// SPEC §9, for listeners that terminate or originate TLS.
void render_tls(std::string& out, const MetricsSample& s) {
  bool any = false, any_upstream = false;
  for (const auto& l : s.listeners) {
    any = any || l.tls;
    any_upstream = any_upstream || l.upstream_tls;
  }
  if (any) {
    family(out, "faultline_tls_handshakes_total", "counter",
           "TLS handshakes with clients by result (ok, error).");
    for (const auto& l : s.listeners) {
      if (!l.tls) continue;
      sample(out, "faultline_tls_handshakes_total", {{"listener", l.name}, {"result", "ok"}},
             l.tls_handshakes_ok);
      sample(out, "faultline_tls_handshakes_total", {{"listener", l.name}, {"result", "error"}},
             l.tls_handshakes_error);
    }
    family(out, "faultline_tls_cert_expiry_seconds", "gauge",
           "Unix time of the serving certificate's notAfter.");
    for (const auto& l : s.listeners)
      if (l.tls)
        sample(out, "faultline_tls_cert_expiry_seconds", {{"listener", l.name}}, l.tls_cert_expiry);
  }
  if (any_upstream) {
    family(out, "faultline_upstream_tls_handshakes_total", "counter",
           "TLS handshakes with the upstream by result (ok, error).");
    for (const auto& l : s.listeners) {
      if (!l.upstream_tls) continue;
      sample(out, "faultline_upstream_tls_handshakes_total",
             {{"listener", l.name}, {"result", "ok"}}, l.upstream_tls_handshakes_ok);
      sample(out, "faultline_upstream_tls_handshakes_total",
             {{"listener", l.name}, {"result", "error"}}, l.upstream_tls_handshakes_error);
    }
    family(out, "faultline_upstream_tls_resumed_total", "counter",
           "Upstream TLS handshakes that resumed an earlier session (a subset of the ok ones).");
    for (const auto& l : s.listeners)
      if (l.upstream_tls)
        sample(out, "faultline_upstream_tls_resumed_total", {{"listener", l.name}},
               l.upstream_tls_resumed);
  }
}

void render_faults(std::string& out, const MetricsSample& s) {
  family(out, "faultline_faults_injected_total", "counter",
         "Faults injected, by experiment (or header) and fault type.");
  std::map<std::pair<std::string, std::string>, uint64_t> injected;
  for (const auto& i : s.injected) injected[{i.source, i.fault}] += i.count;
  for (const auto& [key, n] : injected)
    sample(out, "faultline_faults_injected_total",
           {{"experiment", key.first}, {"fault", key.second}}, n);

  std::map<std::string, std::pair<uint64_t, bool>> experiments;
  for (const auto& e : s.experiments) {
    auto& [matched, active] = experiments[e.name];
    matched += e.matched;
    active = active || e.active;
  }
  family(out, "faultline_experiment_matched_total", "counter",
         "Requests that matched an experiment's rules.");
  for (const auto& [name, v] : experiments)
    sample(out, "faultline_experiment_matched_total", {{"experiment", name}}, v.first);
  family(out, "faultline_experiment_active", "gauge",
         "1 while an experiment is active, 0 when paused or expired.");
  for (const auto& [name, v] : experiments)
    sample(out, "faultline_experiment_active", {{"experiment", name}},
           static_cast<int64_t>(v.second ? 1 : 0));

  family(out, "faultline_header_triggers_rejected_total", "counter",
         "Header-triggered faults ignored, by reason.");
  std::map<std::string, uint64_t> rejected;
  for (const auto& [reason, n] : s.header_triggers_rejected) rejected[reason] += n;
  for (const auto& [reason, n] : rejected)
    sample(out, "faultline_header_triggers_rejected_total", {{"reason", reason}}, n);
}

void render_process(std::string& out, const MetricsSample& s) {
  family(out, "faultline_halted", "gauge", "1 while the kill switch is on.");
  sample(out, "faultline_halted", {}, static_cast<int64_t>(s.halted ? 1 : 0));
  family(out, "faultline_stop_conditions_triggered_total", "counter",
         "Halts caused by a stop condition ([[safety.stop_conditions]]).");
  for (const auto& [name, count] : s.stop_conditions_triggered)
    sample(out, "faultline_stop_conditions_triggered_total", {{"name", name}}, count);
  family(out, "faultline_cpu_stress_workers", "gauge", "CPU stress threads currently burning.");
  sample(out, "faultline_cpu_stress_workers", {}, static_cast<int64_t>(s.cpu_stress_workers));
  family(out, "faultline_memory_stress_bytes", "gauge", "Bytes held by memory faults.");
  sample(out, "faultline_memory_stress_bytes", {}, s.memory_stress_bytes);
  family(out, "faultline_config_reloads_total", "counter", "Config reloads by result.");
  sample(out, "faultline_config_reloads_total", {{"result", "ok"}}, s.reloads_ok);
  sample(out, "faultline_config_reloads_total", {{"result", "error"}}, s.reloads_error);
}

}  // namespace

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string render_metrics(const MetricsSample& s) {
  std::string out;
  out.reserve(4096);
  render_requests(out, s);
  render_grpc(out, s);
  render_durations(out, s);
  render_listener_gauges(out, s);
  render_tls(out, s);
  render_faults(out, s);
  render_process(out, s);
  return out;
}

}  // namespace faultline::proxy::admin
