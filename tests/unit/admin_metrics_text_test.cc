// The Prometheus text renderer: a golden output for a known sample, escaping, histogram
// arithmetic, and `promtool check metrics` on the result.
#include <gtest/gtest.h>

#include <unistd.h>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "proxy/admin/metrics_text.h"

namespace faultline::proxy::admin {
namespace {

MetricsSample known_sample() {
  MetricsSample s;
  MetricsSample::Listener l;
  l.name = "inbound";
  l.requests = {{200, false, 90}, {503, false, 6}, {503, true, 4}, {0, true, 2}};
  l.duration_buckets[0] = 50;  // <= 1ms
  l.duration_buckets[5] = 40;  // <= 100ms
  l.duration_buckets[7] = 9;   // <= 500ms
  l.duration_count = 100;      // one slower than 10s
  l.duration_sum_seconds = 17.5;
  l.connections_active = 4;
  l.upstream_errors_connect = 1;
  l.upstream_errors_timeout = 2;
  l.requests.push_back({200, false, 7, true});  // HTTP/2 streams
  l.grpc_responses[0] = 5;
  l.grpc_responses[14] = 2;
  l.h2_streams_active = 3;
  s.listeners.push_back(l);
  s.injected = {{"checkout-latency", "latency", 30}, {"header", "abort", 10}};
  s.experiments = {{"checkout-latency", 35, true}};
  s.header_triggers_rejected = {{"token", 3}};
  s.halted = true;
  s.stop_conditions_triggered = {{"users-failing", 1}, {"slow-users", 0}};
  s.cpu_stress_workers = 2;
  s.memory_stress_bytes = 128ULL << 20;
  s.reloads_ok = 5;
  s.reloads_error = 1;
  return s;
}

constexpr const char* kGolden =
    R"(# HELP faultline_requests_total Requests by listener, HTTP status code (000: no response), whether a fault decided the outcome, and HTTP version (protocol http1 or http2).
# TYPE faultline_requests_total counter
faultline_requests_total{listener="inbound",code="000",injected="true",protocol="http1"} 2
faultline_requests_total{listener="inbound",code="200",injected="false",protocol="http1"} 90
faultline_requests_total{listener="inbound",code="200",injected="false",protocol="http2"} 7
faultline_requests_total{listener="inbound",code="503",injected="false",protocol="http1"} 6
faultline_requests_total{listener="inbound",code="503",injected="true",protocol="http1"} 4
# HELP faultline_grpc_responses_total gRPC responses by listener and the grpc-status the client received.
# TYPE faultline_grpc_responses_total counter
faultline_grpc_responses_total{listener="inbound",grpc_status="0"} 5
faultline_grpc_responses_total{listener="inbound",grpc_status="14"} 2
# HELP faultline_h2_streams_active HTTP/2 streams open, by listener.
# TYPE faultline_h2_streams_active gauge
faultline_h2_streams_active{listener="inbound"} 3
# HELP faultline_request_duration_seconds Time from request start to the end of the response.
# TYPE faultline_request_duration_seconds histogram
faultline_request_duration_seconds_bucket{listener="inbound",le="0.001"} 50
faultline_request_duration_seconds_bucket{listener="inbound",le="0.005"} 50
faultline_request_duration_seconds_bucket{listener="inbound",le="0.01"} 50
faultline_request_duration_seconds_bucket{listener="inbound",le="0.025"} 50
faultline_request_duration_seconds_bucket{listener="inbound",le="0.05"} 50
faultline_request_duration_seconds_bucket{listener="inbound",le="0.1"} 90
faultline_request_duration_seconds_bucket{listener="inbound",le="0.25"} 90
faultline_request_duration_seconds_bucket{listener="inbound",le="0.5"} 99
faultline_request_duration_seconds_bucket{listener="inbound",le="1"} 99
faultline_request_duration_seconds_bucket{listener="inbound",le="2.5"} 99
faultline_request_duration_seconds_bucket{listener="inbound",le="5"} 99
faultline_request_duration_seconds_bucket{listener="inbound",le="10"} 99
faultline_request_duration_seconds_bucket{listener="inbound",le="+Inf"} 100
faultline_request_duration_seconds_sum{listener="inbound"} 17.5
faultline_request_duration_seconds_count{listener="inbound"} 100
# HELP faultline_connections_active Client connections currently open.
# TYPE faultline_connections_active gauge
faultline_connections_active{listener="inbound"} 4
# HELP faultline_upstream_errors_total Upstream failures by kind (connect, timeout, reset).
# TYPE faultline_upstream_errors_total counter
faultline_upstream_errors_total{listener="inbound",kind="connect"} 1
faultline_upstream_errors_total{listener="inbound",kind="timeout"} 2
faultline_upstream_errors_total{listener="inbound",kind="reset"} 0
# HELP faultline_faults_injected_total Faults injected, by experiment (or header) and fault type.
# TYPE faultline_faults_injected_total counter
faultline_faults_injected_total{experiment="checkout-latency",fault="latency"} 30
faultline_faults_injected_total{experiment="header",fault="abort"} 10
# HELP faultline_experiment_matched_total Requests that matched an experiment's rules.
# TYPE faultline_experiment_matched_total counter
faultline_experiment_matched_total{experiment="checkout-latency"} 35
# HELP faultline_experiment_active 1 while an experiment is active, 0 when paused or expired.
# TYPE faultline_experiment_active gauge
faultline_experiment_active{experiment="checkout-latency"} 1
# HELP faultline_header_triggers_rejected_total Header-triggered faults ignored, by reason.
# TYPE faultline_header_triggers_rejected_total counter
faultline_header_triggers_rejected_total{reason="token"} 3
# HELP faultline_halted 1 while the kill switch is on.
# TYPE faultline_halted gauge
faultline_halted 1
# HELP faultline_stop_conditions_triggered_total Halts caused by a stop condition ([[safety.stop_conditions]]).
# TYPE faultline_stop_conditions_triggered_total counter
faultline_stop_conditions_triggered_total{name="users-failing"} 1
faultline_stop_conditions_triggered_total{name="slow-users"} 0
# HELP faultline_cpu_stress_workers CPU stress threads currently burning.
# TYPE faultline_cpu_stress_workers gauge
faultline_cpu_stress_workers 2
# HELP faultline_memory_stress_bytes Bytes held by memory faults.
# TYPE faultline_memory_stress_bytes gauge
faultline_memory_stress_bytes 134217728
# HELP faultline_config_reloads_total Config reloads by result.
# TYPE faultline_config_reloads_total counter
faultline_config_reloads_total{result="ok"} 5
faultline_config_reloads_total{result="error"} 1
)";

TEST(AdminMetricsText, MatchesGolden) {
  EXPECT_EQ(render_metrics(known_sample()), kGolden);
}

TEST(AdminMetricsText, EmptySampleStillDescribesEveryFamily) {
  const std::string text = render_metrics(MetricsSample{});
  for (const char* family :
       {"faultline_requests_total counter", "faultline_request_duration_seconds histogram",
        "faultline_connections_active gauge", "faultline_upstream_errors_total counter",
        "faultline_faults_injected_total counter", "faultline_experiment_matched_total counter",
        "faultline_experiment_active gauge", "faultline_header_triggers_rejected_total counter",
        "faultline_halted gauge", "faultline_stop_conditions_triggered_total counter",
        "faultline_cpu_stress_workers gauge", "faultline_config_reloads_total counter"}) {
    EXPECT_NE(text.find(std::string("# TYPE ") + family + "\n"), std::string::npos) << family;
  }
  EXPECT_NE(text.find("\nfaultline_halted 0\n"), std::string::npos);
  EXPECT_NE(text.find("\nfaultline_cpu_stress_workers 0\n"), std::string::npos);
  EXPECT_NE(text.find("faultline_config_reloads_total{result=\"ok\"} 0\n"), std::string::npos);
  EXPECT_NE(text.find("faultline_config_reloads_total{result=\"error\"} 0\n"), std::string::npos);
}

// SPEC §7: a configured HTTP listener has a requests series from start-up, at 0, so that a
// fresh dashboard shows 0 instead of "No data"; a TCP listener counts no requests.
TEST(AdminMetricsText, ListenersHaveARequestSeriesBeforeTheFirstRequest) {
  MetricsSample s;
  MetricsSample::Listener http;
  http.name = "web";
  MetricsSample::Listener tcp;
  tcp.name = "db";
  tcp.http = false;
  s.listeners = {http, tcp};
  const std::string text = render_metrics(s);
  EXPECT_NE(text.find("faultline_requests_total{listener=\"web\",code=\"200\",injected=\"false\","
                      "protocol=\"http1\"} 0\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("faultline_requests_total{listener=\"db\""), std::string::npos) << text;
}

TEST(AdminMetricsText, EscapesLabelValues) {
  EXPECT_EQ(escape_label_value("plain-name"), "plain-name");
  EXPECT_EQ(escape_label_value("a\"b"), "a\\\"b");
  EXPECT_EQ(escape_label_value("a\\b"), "a\\\\b");
  EXPECT_EQ(escape_label_value("a\nb"), "a\\nb");
  MetricsSample s;
  s.header_triggers_rejected = {{"bad \"value\"\n", 1}};
  EXPECT_NE(render_metrics(s).find(
                "faultline_header_triggers_rejected_total{reason=\"bad \\\"value\\\"\\n\"} 1\n"),
            std::string::npos);
}

TEST(AdminMetricsText, MergesRepeatedLabelSets) {
  MetricsSample s;
  s.injected = {{"e", "latency", 2}, {"e", "latency", 3}};
  s.experiments = {{"e", 1, false}, {"e", 2, true}};
  const std::string text = render_metrics(s);
  EXPECT_NE(text.find("faultline_faults_injected_total{experiment=\"e\",fault=\"latency\"} 5\n"),
            std::string::npos);
  EXPECT_NE(text.find("faultline_experiment_matched_total{experiment=\"e\"} 3\n"),
            std::string::npos);
  EXPECT_NE(text.find("faultline_experiment_active{experiment=\"e\"} 1\n"), std::string::npos);
}

TEST(AdminMetricsText, HistogramInfBucketEqualsCountAndBucketsAreCumulative) {
  MetricsSample s;
  MetricsSample::Listener l;
  l.name = "a";
  for (auto& b : l.duration_buckets) b = 1;
  l.duration_count = std::size(l.duration_buckets);  // nothing above 10s
  l.duration_sum_seconds = 0.1;
  s.listeners.push_back(l);
  const std::string text = render_metrics(s);
  EXPECT_NE(text.find("_bucket{listener=\"a\",le=\"10\"} 12\n"), std::string::npos);
  EXPECT_NE(text.find("_bucket{listener=\"a\",le=\"+Inf\"} 12\n"), std::string::npos);
  EXPECT_NE(text.find("_count{listener=\"a\"} 12\n"), std::string::npos);
  EXPECT_NE(text.find("_sum{listener=\"a\"} 0.1\n"), std::string::npos);
}

bool promtool_on_path() {
  return std::system("command -v promtool >/dev/null 2>&1") == 0;
}

// CI installs promtool and sets FAULTLINE_REQUIRE_PROMTOOL=1 so that this check cannot be
// skipped silently there.
TEST(AdminMetricsText, PassesPromtoolCheckMetrics) {
  if (!promtool_on_path()) {
    const char* required = std::getenv("FAULTLINE_REQUIRE_PROMTOOL");
    if (required != nullptr && std::string(required) == "1")
      FAIL() << "promtool not found on PATH but FAULTLINE_REQUIRE_PROMTOOL=1";
    GTEST_SKIP() << "promtool not installed (apt-get install prometheus)";
  }
  MetricsSample tricky = known_sample();
  tricky.listeners.push_back(tricky.listeners.front());
  tricky.listeners.back().name = "in\"bound\\2";
  for (const MetricsSample& sample : {known_sample(), MetricsSample{}, tricky}) {
    char path[] = "/tmp/faultline_metrics_XXXXXX";
    const int fd = mkstemp(path);
    ASSERT_GE(fd, 0);
    const std::string text = render_metrics(sample);
    ASSERT_EQ(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
    close(fd);
    const std::string command = std::string("promtool check metrics < ") + path + " 2>&1";
    FILE* pipe = popen(command.c_str(), "r");
    ASSERT_NE(pipe, nullptr);
    std::string output;
    char buf[512];
    while (size_t n = fread(buf, 1, sizeof buf, pipe)) output.append(buf, n);
    const int rc = pclose(pipe);
    unlink(path);
    EXPECT_EQ(rc, 0) << output << "\n--- input ---\n" << text;
    EXPECT_EQ(output, "") << text;  // lint findings are printed even when the exit code is 0
  }
}

}  // namespace
}  // namespace faultline::proxy::admin
