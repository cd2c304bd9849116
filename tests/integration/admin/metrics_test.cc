// /metrics (SPEC §5, issue 4 point 5): the real exposition passes `promtool check metrics`,
// and every family holds the numbers known traffic must produce.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "tests/integration/admin/admin_support.h"

namespace faultline::harness::admin_test {
namespace {

const char* kTail = R"(
[triggers.headers]
enabled = true
token = "header-secret"

[[experiments]]
name = "aborter"
listeners = ["main"]
[experiments.match]
paths = ["/abort"]
[[experiments.faults]]
type = "abort"
status = 503

[[experiments]]
name = "lagger"
listeners = ["main"]
[experiments.match]
paths = ["/lag"]
[[experiments.faults]]
type = "latency"
delay = "1ms"
)";

std::string two_listener_config(const std::string& upstream) {
  ConfigSpec spec;
  ListenerSpec main;
  main.upstream = upstream;
  ListenerSpec dead;
  dead.name = "dead";
  dead.upstream = closed_port_address();
  dead.extra = "connect_timeout = \"1s\"\n";
  ListenerSpec impatient;
  impatient.name = "impatient";
  impatient.upstream = upstream;
  impatient.extra = "response_timeout = \"300ms\"\n";
  spec.listeners = {main, dead, impatient};
  spec.tail = kTail;
  return config_toml(spec);
}

// The path of an executable found on $PATH, or "".
std::string find_on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string candidate = dirs.substr(start, end - start) + "/" + name;
    if (end > start && ::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return {};
}

class Metrics : public ::testing::Test {
 protected:
  void SetUp() override {
    proxy_ = std::make_unique<ProxyProcess>(two_listener_config(up_.address()));
    ASSERT_TRUE(proxy_->ready()) << proxy_->failure() << proxy_->stderr_text();
    admin_ = proxy_->admin();
    main_ = proxy_->listener("main");
  }

  // Known traffic: 20 plain, 7 aborted, 5 delayed, 3 header triggers with a wrong token,
  // 1 with the right one on "main"; 4 requests to the listener whose upstream is down.
  void send_known_traffic() {
    for (int i = 0; i < 20; ++i) ASSERT_EQ(proxy_get(main_, "/ok").status(), 200);
    for (int i = 0; i < 7; ++i) ASSERT_EQ(proxy_get(main_, "/abort").status(), 503);
    for (int i = 0; i < 5; ++i) ASSERT_EQ(proxy_get(main_, "/lag").status(), 200);
    for (int i = 0; i < 3; ++i)
      ASSERT_EQ(
          proxy_get(main_, "/", {{"x-chaos-abort", "500"}, {"x-chaos-token", "nope"}}).status(),
          200);
    ASSERT_EQ(proxy_get(main_, "/", {{"x-chaos-abort", "500"}, {"x-chaos-token", "header-secret"}})
                  .status(),
              500);
    for (int i = 0; i < 4; ++i) ASSERT_EQ(proxy_get(proxy_->listener("dead"), "/").status(), 502);
  }
  static constexpr double kMainRequests = 20 + 7 + 5 + 3 + 1;

  HttpUpstream up_;
  std::unique_ptr<ProxyProcess> proxy_;
  Endpoint admin_;
  Endpoint main_;
};

TEST_F(Metrics, PromtoolAcceptsTheExposition) {
  const std::string promtool = find_on_path("promtool");
  if (promtool.empty()) {
    const char* required = std::getenv("FAULTLINE_REQUIRE_PROMTOOL");
    if (required && std::string(required) == "1")
      FAIL() << "promtool not found on PATH and FAULTLINE_REQUIRE_PROMTOOL=1 "
                "(apt-get install prometheus)";
    GTEST_SKIP() << "promtool not found (apt-get install prometheus); "
                    "set FAULTLINE_REQUIRE_PROMTOOL=1 to make this a failure";
  }
  send_known_traffic();
  ASSERT_EQ(api_send(admin_, "POST", "/v1/experiments/aborter/pause").status(), 200);
  ASSERT_EQ(api_send(admin_, "POST", "/v1/reload").status(), 200);
  const std::string text = scrape(admin_);
  ASSERT_FALSE(text.empty());
  TempDir dir;
  const std::string file = dir.write("metrics.txt", text);
  const std::string command = promtool + " check metrics < " + file + " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buf[512];
  while (size_t n = std::fread(buf, 1, sizeof buf, pipe)) output.append(buf, n);
  const int rc = ::pclose(pipe);
  EXPECT_TRUE(WIFEXITED(rc) && WEXITSTATUS(rc) == 0) << "promtool check metrics failed:\n"
                                                     << output << "\n--- exposition ---\n"
                                                     << text;
}

TEST_F(Metrics, CountersMatchKnownTraffic) {
  send_known_traffic();
  std::string text;
  auto value = [&](const std::string& name, const std::map<std::string, std::string>& labels) {
    return metric(text, name, labels).value_or(-1);
  };
  // Counters are summed at scrape time; a response may leave before its count is added.
  EXPECT_TRUE(eventually([&] {
    text = scrape(admin_);
    return value("faultline_requests_total", {{"listener", "main"},
                                              {"code", "200"},
                                              {"injected", "false"},
                                              {"protocol", "http1"}}) == 28 &&
           value("faultline_requests_total", {{"listener", "dead"},
                                              {"code", "502"},
                                              {"injected", "false"},
                                              {"protocol", "http1"}}) == 4;
  })) << text;
  EXPECT_EQ(
      value("faultline_requests_total",
            {{"listener", "main"}, {"code", "200"}, {"injected", "false"}, {"protocol", "http1"}}),
      28);
  EXPECT_EQ(
      value("faultline_requests_total",
            {{"listener", "main"}, {"code", "503"}, {"injected", "true"}, {"protocol", "http1"}}),
      7);
  EXPECT_EQ(
      value("faultline_requests_total",
            {{"listener", "main"}, {"code", "500"}, {"injected", "true"}, {"protocol", "http1"}}),
      1);
  EXPECT_EQ(
      value("faultline_requests_total",
            {{"listener", "dead"}, {"code", "502"}, {"injected", "false"}, {"protocol", "http1"}}),
      4);

  EXPECT_EQ(
      value("faultline_faults_injected_total", {{"experiment", "aborter"}, {"fault", "abort"}}), 7);
  EXPECT_EQ(
      value("faultline_faults_injected_total", {{"experiment", "lagger"}, {"fault", "latency"}}),
      5);
  EXPECT_EQ(
      value("faultline_faults_injected_total", {{"experiment", "header"}, {"fault", "abort"}}), 1);
  EXPECT_EQ(value("faultline_experiment_matched_total", {{"experiment", "aborter"}}), 7);
  EXPECT_EQ(value("faultline_experiment_matched_total", {{"experiment", "lagger"}}), 5);
  EXPECT_EQ(value("faultline_experiment_active", {{"experiment", "aborter"}}), 1);
  EXPECT_EQ(value("faultline_header_triggers_rejected_total", {{"reason", "token"}}), 3);
  EXPECT_EQ(value("faultline_upstream_errors_total", {{"listener", "dead"}, {"kind", "connect"}}),
            4);
  EXPECT_EQ(value("faultline_upstream_errors_total", {{"listener", "main"}, {"kind", "connect"}}),
            0);

  // The histogram counts every answered request; +Inf equals _count; buckets never decrease.
  EXPECT_EQ(value("faultline_request_duration_seconds_count", {{"listener", "main"}}),
            kMainRequests);
  EXPECT_EQ(
      value("faultline_request_duration_seconds_bucket", {{"listener", "main"}, {"le", "+Inf"}}),
      kMainRequests);
  EXPECT_EQ(value("faultline_request_duration_seconds_count", {{"listener", "dead"}}), 4);
  EXPECT_GT(value("faultline_request_duration_seconds_sum", {{"listener", "main"}}), 0.005)
      << "5 requests were delayed 1 ms each";
  double previous = 0;
  for (const char* le : {"0.001", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1",
                         "2.5", "5", "10", "+Inf"}) {
    const double bucket =
        value("faultline_request_duration_seconds_bucket", {{"listener", "main"}, {"le", le}});
    EXPECT_GE(bucket, previous) << "le=" << le;
    previous = bucket;
  }

  EXPECT_EQ(value("faultline_halted", {}), 0);
  EXPECT_EQ(value("faultline_cpu_stress_workers", {}), 0);
  EXPECT_EQ(value("faultline_config_reloads_total", {{"result", "ok"}}), 0);
  EXPECT_EQ(value("faultline_config_reloads_total", {{"result", "error"}}), 0);
  EXPECT_TRUE(eventually([&] {
    text = scrape(admin_);
    return value("faultline_connections_active", {{"listener", "main"}}) == 0;
  })) << "every client connection was closed: "
      << text;
}

TEST_F(Metrics, UpstreamTimeoutsAndOpenConnectionsAreCounted) {
  up_.route("/sleepy", handlers::delayed(Millis(2000), handlers::fixed(200, "late")));
  HttpResponse timed_out = proxy_get(proxy_->listener("impatient"), "/sleepy");
  EXPECT_EQ(timed_out.status(), 504) << timed_out;
  std::string text;
  // The count may be added just after the client has its answer: wait for both.
  EXPECT_TRUE(eventually([&] {
    text = scrape(admin_);
    return metric(text, "faultline_upstream_errors_total",
                  {{"listener", "impatient"}, {"kind", "timeout"}}) == 1.0 &&
           metric(text, "faultline_requests_total",
                  {{"listener", "impatient"},
                   {"code", "504"},
                   {"injected", "false"},
                   {"protocol", "http1"}}) == 1.0;
  })) << text;
  EXPECT_EQ(metric(text, "faultline_upstream_errors_total",
                   {{"listener", "impatient"}, {"kind", "timeout"}}),
            1.0);
  EXPECT_EQ(metric(text, "faultline_requests_total",
                   {{"listener", "impatient"},
                    {"code", "504"},
                    {"injected", "false"},
                    {"protocol", "http1"}}),
            1.0)
      << text;

  // Three keep-alive clients, each after one answered request: three open connections.
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < 3; ++i) {
    clients.push_back(std::make_unique<RawClient>(main_));
    ASSERT_EQ(clients.back()->request(get_request("/ok")).status(), 200);
  }
  EXPECT_TRUE(eventually([&] {
    text = scrape(admin_);
    return metric(text, "faultline_connections_active", {{"listener", "main"}}) == 3.0;
  })) << text;
  clients.clear();
  EXPECT_TRUE(eventually([&] {
    text = scrape(admin_);
    return metric(text, "faultline_connections_active", {{"listener", "main"}}) == 0.0;
  })) << text;
}

// SPEC §7 (issue 8 item 17): the labelled series of configured listeners and experiments
// exist from start-up at 0, before any traffic, and new experiments' series from creation.
// A client that sent Connection: close and whose request was read to its end gets a close,
// not a half-close held open until its own FIN (up to 2 s): the proxy's side is gone at once
// while the client still holds its socket.
TEST_F(Metrics, AConnectionCloseClientIsReleasedWithoutWaitingForItsFin) {
  RawClient client(main_);
  auto r = client.request(get_request("/ok", {{"Connection", "close"}}));
  ASSERT_EQ(r.status(), 200) << r;
  EXPECT_EQ(client.wait_for_activity(std::chrono::seconds(5)), IoStatus::kEof);
  const auto start = Clock::now();
  std::string text;
  EXPECT_TRUE(eventually(
      [&] {
        text = scrape(admin_);
        return metric(text, "faultline_connections_active", {{"listener", "main"}}) == 0.0;
      },
      Millis(5000)))
      << text;
  EXPECT_LT(ms_between(start, Clock::now()), 1000)
      << "the proxy kept its side open (linger) for the client";
}

TEST_F(Metrics, ConfiguredSeriesExistAtZeroFromStartUp) {
  std::string text = scrape(admin_);
  ASSERT_FALSE(text.empty());
  auto at_zero = [&](const std::string& name, const std::map<std::string, std::string>& labels) {
    EXPECT_EQ(metric(text, name, labels), std::optional<double>(0.0)) << name << "\n" << text;
  };
  for (const char* listener : {"main", "dead", "impatient"}) {
    at_zero(
        "faultline_requests_total",
        {{"listener", listener}, {"code", "200"}, {"injected", "false"}, {"protocol", "http1"}});
    at_zero("faultline_request_duration_seconds_count", {{"listener", listener}});
    at_zero("faultline_connections_active", {{"listener", listener}});
    at_zero("faultline_upstream_errors_total", {{"listener", listener}, {"kind", "timeout"}});
  }
  at_zero("faultline_faults_injected_total", {{"experiment", "aborter"}, {"fault", "abort"}});
  at_zero("faultline_faults_injected_total", {{"experiment", "lagger"}, {"fault", "latency"}});
  at_zero("faultline_experiment_matched_total", {{"experiment", "aborter"}});
  // Header triggers are on: every kind a header can inject, and every rejection reason.
  for (const char* fault : {"latency", "abort", "reset", "stall", "bandwidth"})
    at_zero("faultline_faults_injected_total", {{"experiment", "header"}, {"fault", fault}});
  for (const char* reason : {"token", "source", "invalid", "unknown_experiment"})
    at_zero("faultline_header_triggers_rejected_total", {{"reason", reason}});

  ASSERT_EQ(api_send(admin_, "POST", "/v1/experiments",
                     R"({"name": "fresh", "faults": [{"type": "stall", "duration": "1s"}]})")
                .status(),
            201);
  text = scrape(admin_);
  at_zero("faultline_faults_injected_total", {{"experiment", "fresh"}, {"fault", "stall"}});
  at_zero("faultline_experiment_matched_total", {{"experiment", "fresh"}});
}

// Issue 8 item 16: an x-chaos-experiment name that no experiment has is counted (and the
// request goes on); so is a wrong token.
TEST_F(Metrics, UnknownExperimentNamesAreCounted) {
  EXPECT_EQ(
      proxy_get(main_, "/",
                {{"x-chaos-experiment", "lagger, no-such"}, {"x-chaos-token", "header-secret"}})
          .status(),
      200);
  EXPECT_EQ(
      proxy_get(main_, "/", {{"x-chaos-experiment", "typo"}, {"x-chaos-token", "header-secret"}})
          .status(),
      200);
  std::string text;
  EXPECT_TRUE(eventually([&] {
    text = scrape(admin_);
    return metric(text, "faultline_header_triggers_rejected_total",
                  {{"reason", "unknown_experiment"}}) == 2.0;
  })) << text;
  EXPECT_EQ(metric(text, "faultline_header_triggers_rejected_total", {{"reason", "token"}}), 0.0);
}

TEST_F(Metrics, GaugesFollowTheApi) {
  ASSERT_EQ(api_send(admin_, "POST", "/v1/experiments/aborter/pause").status(), 200);
  std::string text = scrape(admin_);
  EXPECT_EQ(metric(text, "faultline_experiment_active", {{"experiment", "aborter"}}), 0.0) << text;
  EXPECT_EQ(metric(text, "faultline_experiment_active", {{"experiment", "lagger"}}), 1.0) << text;
  ASSERT_EQ(api_send(admin_, "POST", "/v1/experiments",
                     R"({"name": "brief", "duration": "1s",
                         "faults": [{"type": "latency", "delay": "1ms"}]})")
                .status(),
            201);
  EXPECT_EQ(metric(scrape(admin_), "faultline_experiment_active", {{"experiment", "brief"}}), 1.0);
  EXPECT_TRUE(eventually(
      [&] {
        return metric(scrape(admin_), "faultline_experiment_active", {{"experiment", "brief"}}) ==
               0.0;
      },
      Millis(3000)))
      << "an expired experiment must read 0";
  ASSERT_EQ(api_send(admin_, "POST", "/v1/halt").status(), 200);
  EXPECT_EQ(metric(scrape(admin_), "faultline_halted"), 1.0);
  ASSERT_EQ(api_send(admin_, "DELETE", "/v1/halt").status(), 200);
  EXPECT_EQ(metric(scrape(admin_), "faultline_halted"), 0.0);
  ASSERT_EQ(api_send(admin_, "POST", "/v1/reload").status(), 200);
  EXPECT_EQ(metric(scrape(admin_), "faultline_config_reloads_total", {{"result", "ok"}}), 1.0);
}

}  // namespace
}  // namespace faultline::harness::admin_test
