// Game days (SPEC §11) with the real binary: GET /v1/timeseries counts what clients sent, and
// a stop condition halts the proxy when requests no fault touched start failing.
#include <nlohmann/json.hpp>

#include <atomic>

#include "tests/integration/support.h"

namespace faultline::harness {
namespace {

nlohmann::json admin_json(const ProxyProcess& proxy, const std::string& path) {
  HttpResponse r = admin_get(proxy, path);
  if (r.status() != 200) return nullptr;
  return nlohmann::json::parse(r.body, nullptr, false);
}

struct SeriesSums {
  uint64_t requests = 0, injected = 0, real = 0, unfaulted = 0;
  bool p99_seen = false;
};

SeriesSums sum_points(const nlohmann::json& series) {
  SeriesSums s;
  if (!series.is_object() || !series.contains("points")) return s;
  for (const auto& p : series["points"]) {
    s.requests += p.value("requests", 0);
    s.injected += p["errors"].value("injected", 0);
    s.real += p["errors"].value("real", 0);
    s.unfaulted += p["unfaulted"].value("requests", 0);
    s.p99_seen = s.p99_seen || p["p99"].is_number();
  }
  return s;
}

TEST(Timeseries, CountsWhatClientsSent) {
  HttpUpstream up;
  up.route("/fail", handlers::fixed(500, "broken"));
  START_PROXY(proxy, http_config(up.address(), "", R"(
[[experiments]]
name = "boom"
[experiments.match]
paths = ["/boom"]
[[experiments.faults]]
type = "abort"
status = 503
)"));
  RawClient client(proxy.listener("main"));
  for (int i = 0; i < 30; ++i) ASSERT_EQ(client.request(get_request("/ok")).status(), 200);
  for (int i = 0; i < 5; ++i) ASSERT_EQ(client.request(get_request("/boom")).status(), 503);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(client.request(get_request("/fail")).status(), 500);

  // The sampler runs once a second: the requests show up within a couple of ticks.
  SeriesSums sums;
  nlohmann::json series;
  const bool seen = eventually(
      [&] {
        series = admin_json(proxy, "/v1/timeseries?listener=main&window=1m");
        sums = sum_points(series);
        return sums.requests == 38;
      },
      Millis(10000));
  ASSERT_TRUE(seen) << series.dump();
  EXPECT_EQ(series["listener"], "main");
  EXPECT_EQ(series["window_seconds"], 60);
  EXPECT_EQ(sums.injected, 5u);
  EXPECT_EQ(sums.real, 3u);
  EXPECT_EQ(sums.unfaulted, 33u);  // the aborted ones were faulted
  EXPECT_TRUE(sums.p99_seen);
  // One point per second, oldest first, even for seconds without traffic.
  const auto& points = series["points"];
  for (size_t i = 1; i < points.size(); ++i)
    EXPECT_GT(points[i]["time"].get<int64_t>(), points[i - 1]["time"].get<int64_t>());

  // Every listener when none is named; an unknown one is a 404.
  nlohmann::json all = admin_json(proxy, "/v1/timeseries?window=30s");
  ASSERT_TRUE(all.is_object());
  ASSERT_EQ(all["listeners"].size(), 1u);
  EXPECT_EQ(all["listeners"][0]["listener"], "main");
  EXPECT_EQ(admin_get(proxy, "/v1/timeseries?listener=nope").status(), 404);
}

constexpr const char* kGameDay = R"(
[[safety.stop_conditions]]
name = "users-failing"
metric = "error_rate"
above = 0.1
window = "5s"
min_requests = 20

[[experiments]]
name = "slow-checkout"
[experiments.match]
paths = ["/checkout"]
[[experiments.faults]]
type = "latency"
delay = "20ms"
)";

bool halted(const ProxyProcess& proxy) {
  nlohmann::json status = admin_json(proxy, "/v1/status");
  return status.is_object() && status.value("halted", false);
}

TEST(StopConditions, UnfaultedErrorsHaltWithinTheWindow) {
  HttpUpstream up;
  std::atomic<bool> failing{false};
  std::atomic<uint64_t> served{0};
  up.set_default([&](Exchange& ex) {
    ex.read_body();
    // Once failing: every fifth request the experiment did not touch is a 500 (20 %).
    const bool fail =
        failing.load() && ex.request().head.target == "/browse" && served.fetch_add(1) % 5 == 0;
    ex.respond(fail ? 500 : 200, fail ? "down" : "ok");
  });
  START_PROXY(proxy, http_config(up.address(), "", kGameDay));
  RawClient client(proxy.listener("main"));
  auto traffic = [&](Millis how_long, const std::function<bool()>& stop) {
    const auto end = Clock::now() + how_long;
    while (Clock::now() < end && !stop()) {
      client.request(get_request("/checkout"));  // faulted: latency
      for (int i = 0; i < 4; ++i) client.request(get_request("/browse"));
    }
  };
  // Healthy traffic while the latency experiment runs: nothing to stop.
  traffic(Millis(2500), [] { return false; });
  ASSERT_FALSE(halted(proxy)) << admin_json(proxy, "/v1/status").dump();

  failing = true;
  const auto started_failing = Clock::now();
  std::atomic<bool> halt_seen{false};
  std::thread watcher([&] {
    eventually([&] { return halted(proxy); }, Millis(15000));
    halt_seen = true;
  });
  traffic(Millis(15000), [&] { return halt_seen.load(); });
  watcher.join();
  const long took_ms = elapsed_ms(started_failing);
  ASSERT_TRUE(halted(proxy)) << "not halted after " << took_ms << " ms";
  // SPEC §11: halted within the window (5 s) + 1 s of the failures starting.
  EXPECT_LE(took_ms, 6000 + 500) << "halted after " << took_ms << " ms";

  nlohmann::json status = admin_json(proxy, "/v1/status");
  EXPECT_NE(status.value("halt_reason", "").find("users-failing"), std::string::npos)
      << status.dump();
  EXPECT_NE(status.value("halt_reason", "").find("error_rate"), std::string::npos);

  // `faultline ctl status` says why.
  CommandResult ctl = run_faultline({"ctl", "--admin", "http://" + proxy.admin().str(), "status"},
                                    Millis(15000), {"FAULTLINE_TOKEN=", "FAULTLINE_ADMIN="});
  EXPECT_NE(ctl.out.find("HALTED"), std::string::npos) << ctl.out << ctl.err;
  EXPECT_NE(ctl.out.find("why: auto-halt: stop condition \"users-failing\": error_rate"),
            std::string::npos)
      << ctl.out;

  nlohmann::json events = admin_json(proxy, "/v1/events");
  bool recorded = false;
  for (const auto& e : events) {
    if (e.value("action", "") != "auto-halt") continue;
    recorded = true;
    EXPECT_EQ(e.value("client", ""), "stop-condition");
    EXPECT_NE(e.value("result", "").find("users-failing"), std::string::npos) << e.dump();
    EXPECT_NE(e.value("result", "").find("error_rate 0."), std::string::npos) << e.dump();
  }
  EXPECT_TRUE(recorded) << events.dump();
  HttpResponse metrics = admin_get(proxy, "/metrics");
  EXPECT_NE(
      metrics.body.find("faultline_stop_conditions_triggered_total{name=\"users-failing\"} 1"),
      std::string::npos);
  // Halted: the latency experiment no longer delays anything.
  const auto t0 = Clock::now();
  EXPECT_EQ(client.request(get_request("/checkout")).status(), 200);
  EXPECT_LT(elapsed_ms(t0), 2000);
}

TEST(StopConditions, FaultedRequestsDoNotCount) {
  HttpUpstream up;
  START_PROXY(proxy, http_config(up.address(), "", R"(
[[safety.stop_conditions]]
name = "errors"
metric = "error_rate"
above = 0.05
window = "3s"
min_requests = 5

[[safety.stop_conditions]]
name = "slow"
metric = "p99"
above = "100ms"
window = "3s"
min_requests = 5

[[experiments]]
name = "aborts"
[experiments.match]
paths = ["/boom"]
[[experiments.faults]]
type = "abort"
status = 503

[[experiments]]
name = "slow"
[experiments.match]
paths = ["/slow"]
[[experiments.faults]]
type = "latency"
delay = "300ms"
)"));
  RawClient client(proxy.listener("main"));
  // Every injected error and every injected delay is the experiment doing its job.
  const auto end = Clock::now() + Millis(4000);
  while (Clock::now() < end) {
    EXPECT_EQ(client.request(get_request("/boom")).status(), 503);
    client.request(get_request("/slow"));
    client.request(get_request("/fine"));
    client.request(get_request("/fine"));
  }
  std::this_thread::sleep_for(Millis(1500));  // one more evaluation after the last request
  EXPECT_FALSE(halted(proxy)) << admin_json(proxy, "/v1/status").dump();
  HttpResponse metrics = admin_get(proxy, "/metrics");
  // The counters exist from start-up, at 0.
  EXPECT_NE(metrics.body.find("faultline_stop_conditions_triggered_total{name=\"errors\"} 0"),
            std::string::npos);
  EXPECT_NE(metrics.body.find("faultline_stop_conditions_triggered_total{name=\"slow\"} 0"),
            std::string::npos);
}

TEST(StopConditions, UnhaltIsNotUndoneByTheOldReadings) {
  HttpUpstream up;
  std::atomic<bool> failing{true};
  up.set_default([&](Exchange& ex) {
    ex.read_body();
    ex.respond(failing.load() ? 500 : 200, "x");
  });
  START_PROXY(proxy, http_config(up.address(), "", kGameDay));
  RawClient client(proxy.listener("main"));
  ASSERT_TRUE(eventually(
      [&] {
        client.request(get_request("/browse"));
        return halted(proxy);
      },
      Millis(15000)));
  failing = false;  // the outage is fixed; the operator unhalts
  RawClient admin(proxy.admin());
  HttpResponse r = admin.request(make_request("DELETE", "/v1/halt"));
  ASSERT_EQ(r.status(), 200) << r.body;
  for (int i = 0; i < 60; ++i) client.request(get_request("/browse"));
  std::this_thread::sleep_for(Millis(2500));
  EXPECT_FALSE(halted(proxy)) << admin_json(proxy, "/v1/status").dump();
}

}  // namespace
}  // namespace faultline::harness
