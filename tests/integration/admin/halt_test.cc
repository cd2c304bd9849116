// The kill switch (SPEC §4, issue 4 point 3): POST /v1/halt releases every delayed and
// stalled request at once, ignores header triggers and stops CPU stress until DELETE
// /v1/halt; faultline_halted follows. Timed from the client's clock.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "tests/harness/concurrent_client.h"
#include "tests/integration/admin/admin_support.h"
#include "tests/integration/support.h"

namespace faultline::harness::admin_test {
namespace {

// SPEC: "halt takes effect within 100 ms". Releasing 500 requests also means forwarding
// them to a thread-per-connection upstream and relaying 500 answers on two shared cores, so
// "all 500 answered" gets 300 ms after the halt response (100 ms plus scheduling slack) —
// or, when the box is visibly busier, SPEC's 100 ms plus the time this box needs to serve a
// burst of 500 requests with no fault at all, measured just before and just after (the
// larger).
// A halt that does not release, or releases late, still fails: the delay is 5 s. Single
// released requests get the flat 300 ms.
constexpr double kTakesEffectMs = 100;
constexpr double kReleaseBoundMs = 300;
constexpr int kInFlight = 500;

const char* kTail = R"(
[triggers.headers]
enabled = true

[[experiments]]
name = "slow-everything"
[experiments.match]
paths = ["/delayed"]
[[experiments.faults]]
type = "latency"
delay = "5s"

[[experiments]]
name = "hold"
[experiments.match]
paths = ["/stalled"]
[[experiments.faults]]
type = "stall"
duration = "10s"

[[experiments]]
name = "trickle"
[experiments.match]
paths = ["/big"]
[[experiments.faults]]
type = "bandwidth"
rate = "16KiB/s"

[[experiments]]
name = "errors"
[experiments.match]
paths = ["/abort"]
[[experiments.faults]]
type = "abort"
status = 503
)";

uint64_t matched(const Endpoint& admin, const std::string& name) {
  ApiReply r = api_get(admin, "/v1/experiments/" + name);
  if (r.status() != 200 || !r.json.contains("counters")) return 0;
  return r.json["counters"].value("matched", uint64_t{0});
}

class KillSwitch : public ::testing::Test {
 protected:
  void SetUp() override {
    proxy_ = std::make_unique<ProxyProcess>(proxy_config(up_.address(), kTail, "", 2));
    ASSERT_TRUE(proxy_->ready()) << proxy_->failure() << proxy_->stderr_text();
    admin_ = proxy_->admin();
    listener_ = proxy_->listener("main");
  }
  std::optional<double> halted_gauge() { return metric(scrape(admin_), "faultline_halted"); }

  HttpUpstream up_;
  std::unique_ptr<ProxyProcess> proxy_;
  Endpoint admin_;
  Endpoint listener_;
};

TEST_F(KillSwitch, ReleasesFiveHundredDelayedRequestsAtOnce) {
  // The control: 500 requests that no experiment matches, sent at once on open connections,
  // as the release sends the held ones.
  const auto control = run_burst(
      listener_, std::vector<std::string>(kInFlight, get_request("/control")), Millis(20000));
  double control_ms = control.elapsed_ms;
  ASSERT_EQ(std::count_if(control.results.begin(), control.results.end(),
                          [](const ConcurrentResult& r) { return r.status == 200; }),
            kInFlight);

  std::vector<std::string> requests(kInFlight, get_request("/delayed"));
  std::vector<ConcurrentResult> results;
  Clock::time_point done;
  const Clock::time_point start = Clock::now();
  std::thread clients([&] {
    results = run_concurrent(listener_, requests, Millis(20000));
    done = Clock::now();
  });
  // Every request is being delayed once the experiment has matched all of them.
  const bool all_held = eventually(
      [&] { return matched(admin_, "slow-everything") == static_cast<uint64_t>(kInFlight); },
      Millis(4000));
  const Clock::time_point halt_sent = Clock::now();
  EXPECT_TRUE(all_held) << "matched " << matched(admin_, "slow-everything") << " of " << kInFlight;
  EXPECT_EQ(up_.requests_seen(), static_cast<uint64_t>(kInFlight))
      << "delayed requests reached the upstream before the halt";
  ApiReply halt = api_send(admin_, "POST", "/v1/halt");
  clients.join();
  ASSERT_EQ(halt.status(), 200) << halt;
  // Without room before the 5 s delay runs out, the test could not tell a release from it.
  ASSERT_LT(ms_between(start, halt.received_at), 4500) << "too slow to get 500 requests in flight";

  size_t ok = 0;
  for (const auto& r : results)
    if (r.io == IoStatus::kOk && r.status == 200) ++ok;
  EXPECT_EQ(ok, static_cast<size_t>(kInFlight)) << "every released request must be answered 200";
  // The control again, after the release: the busier of the two moments sets the bound.
  control_ms = std::max(
      control_ms, run_burst(listener_, std::vector<std::string>(kInFlight, get_request("/control")),
                            Millis(20000))
                      .elapsed_ms);
  const double after_response = ms_between(halt.received_at, done);
  const double after_sent = ms_between(halt_sent, done);
  std::printf(
      "[ measure ] %d delayed requests answered %.1f ms after the halt response (%.1f ms after "
      "it was sent); %d unfaulted requests took %.1f ms\n",
      kInFlight, after_response, after_sent, kInFlight, control_ms);
  // The control has the release's shape: 500 requests at once on open connections. Under
  // AddressSanitizer beside another test the two moments' loads differ by up to 2x (measured
  // 2026-12-07, two copies at once: 503 ms against a 257 ms control, 428 against 373), so
  // there the control counts twice. The Release run holds the plain bound.
  const double control_weight = kSanitized ? 2.0 : 1.0;
  EXPECT_LE(after_response,
            std::max(kReleaseBoundMs, kTakesEffectMs + control_weight * control_ms));

  // Nothing was forwarded before the halt: the upstream saw every request after it.
  std::vector<UpstreamRequest> seen;
  for (auto& r : up_.recorded())
    if (r.head.target == "/delayed") seen.push_back(r);
  EXPECT_EQ(seen.size(), static_cast<size_t>(kInFlight));
  const auto early = std::count_if(seen.begin(), seen.end(), [&](const UpstreamRequest& r) {
    return r.received_at < halt_sent;
  });
  EXPECT_EQ(early, 0) << "requests forwarded before the halt was sent";
  EXPECT_EQ(halted_gauge(), 1.0);
}

TEST_F(KillSwitch, ReleasesAStalledRequest) {
  HttpResponse response;
  Clock::time_point answered;
  std::thread client([&] {
    response = proxy_get(listener_, "/stalled", {}, Millis(15000));
    answered = Clock::now();
  });
  const bool held = eventually([&] { return matched(admin_, "hold") == 1; }, Millis(5000));
  EXPECT_TRUE(held);
  std::this_thread::sleep_for(Millis(100));  // the stall is in force, not just decided
  const Clock::time_point halt_sent = Clock::now();
  ApiReply halt = api_send(admin_, "POST", "/v1/halt");
  client.join();
  ASSERT_EQ(halt.status(), 200) << halt;
  EXPECT_EQ(response.status(), 200) << response;
  const double after = ms_between(halt.received_at, answered);
  std::printf("[ measure ] stalled request answered %.1f ms after the halt response\n", after);
  EXPECT_GE(answered, halt_sent);
  EXPECT_LE(after, kReleaseBoundMs);
  auto forwarded = up_.wait_for_request("/stalled", Millis(1000));
  ASSERT_TRUE(forwarded.has_value()) << "the released request was not forwarded";
  EXPECT_GE(forwarded->received_at, halt_sent);
}

TEST_F(KillSwitch, LiftsABandwidthLimitMidTransfer) {
  constexpr uint64_t kBody = 256 * 1024;  // 16 s at 16 KiB/s
  up_.route("/big", handlers::stream(kBody));
  HttpResponse response;
  Clock::time_point answered;
  const Clock::time_point start = Clock::now();
  std::thread client([&] {
    response = proxy_get(listener_, "/big", {}, Millis(20000));
    answered = Clock::now();
  });
  std::this_thread::sleep_for(Millis(500));  // the throttled transfer is under way
  const Clock::time_point halt_sent = Clock::now();
  ApiReply halt = api_send(admin_, "POST", "/v1/halt");
  client.join();
  ASSERT_EQ(halt.status(), 200) << halt;
  EXPECT_EQ(response.status(), 200);
  EXPECT_TRUE(response.complete()) << response;
  EXPECT_EQ(response.body_bytes, kBody);
  EXPECT_GE(answered, halt_sent) << "the throttle was not in force before the halt";
  const double after = ms_between(halt.received_at, answered);
  std::printf(
      "[ measure ] throttled body finished %.1f ms after the halt response (%.0f ms in "
      "all)\n",
      after, ms_between(start, answered));
  EXPECT_LE(after, kReleaseBoundMs);
}

TEST_F(KillSwitch, HeaderTriggersAreIgnoredWhileHalted) {
  ASSERT_EQ(proxy_get(listener_, "/", {{"x-chaos-abort", "503"}}).status(), 503)
      << "header triggers must work before the halt";
  ASSERT_EQ(api_send(admin_, "POST", "/v1/halt").status(), 200);
  HttpResponse passed = proxy_get(listener_, "/h", {{"x-chaos-abort", "503"}});
  EXPECT_EQ(passed.status(), 200) << passed;
  EXPECT_TRUE(up_.wait_for_request("/h", Millis(1000)).has_value());
  HttpResponse undelayed = proxy_get(listener_, "/d", {{"x-chaos-delay", "2s"}});
  EXPECT_EQ(undelayed.status(), 200);
  EXPECT_LT(undelayed.elapsed.count(), 2000) << "x-chaos-delay applied while halted";
  ASSERT_EQ(api_send(admin_, "DELETE", "/v1/halt").status(), 200);
  EXPECT_EQ(proxy_get(listener_, "/", {{"x-chaos-abort", "503"}}).status(), 503);
}

TEST_F(KillSwitch, UnhaltRestoresFaultsAndTheGaugeFollows) {
  EXPECT_EQ(halted_gauge(), 0.0);
  EXPECT_EQ(api_get(admin_, "/v1/status").json.value("halted", true), false);
  EXPECT_EQ(proxy_get(listener_, "/abort").status(), 503);

  ASSERT_EQ(api_send(admin_, "POST", "/v1/halt").status(), 200);
  ASSERT_EQ(api_send(admin_, "POST", "/v1/halt").status(), 200) << "halt twice is harmless";
  EXPECT_EQ(halted_gauge(), 1.0);
  EXPECT_EQ(api_get(admin_, "/v1/status").json.value("halted", false), true);
  EXPECT_EQ(proxy_get(listener_, "/abort").status(), 200);
  // Experiments keep their state; only injection stops.
  EXPECT_EQ(api_get(admin_, "/v1/experiments/errors").str("state"), "active");
  // New experiments created while halted do not inject either.
  ASSERT_EQ(api_send(admin_, "POST", "/v1/experiments",
                     R"({"name": "late", "match": {"paths": ["/late"]},
                         "faults": [{"type": "abort", "status": 502}]})")
                .status(),
            201);
  EXPECT_EQ(proxy_get(listener_, "/late").status(), 200);

  ASSERT_EQ(api_send(admin_, "DELETE", "/v1/halt").status(), 200);
  EXPECT_EQ(halted_gauge(), 0.0);
  EXPECT_EQ(api_get(admin_, "/v1/status").json.value("halted", true), false);
  EXPECT_EQ(proxy_get(listener_, "/abort").status(), 503);
  EXPECT_EQ(proxy_get(listener_, "/late").status(), 502);
  HttpResponse delayed = proxy_get(listener_, "/delayed", {}, Millis(10000));
  EXPECT_GE(delayed.elapsed.count(), 5000) << "latency not restored by the unhalt";
}

TEST(KillSwitchCpu, StopsCpuStress) {
  HttpUpstream up;
  ADMIN_START_PROXY(proxy, proxy_config(up.address(), R"(
[[experiments]]
name = "burn"
[[experiments.faults]]
type = "cpu"
cores = 1
load = 10
)"));
  auto workers = [&] {
    return metric(scrape(proxy.admin()), "faultline_cpu_stress_workers").value_or(-1);
  };
  EXPECT_TRUE(eventually([&] { return workers() >= 1; }, Millis(3000)))
      << "cpu stress never started: " << workers();
  const Clock::time_point halt_sent = Clock::now();
  ASSERT_EQ(api_send(proxy.admin(), "POST", "/v1/halt").status(), 200);
  EXPECT_TRUE(eventually([&] { return workers() == 0; }, Millis(1000)))
      << "cpu stress still running after the halt: " << workers();
  std::printf("[ measure ] cpu stress stopped %.1f ms after the halt was sent\n",
              ms_between(halt_sent, Clock::now()));
  ASSERT_EQ(api_send(proxy.admin(), "DELETE", "/v1/halt").status(), 200);
  EXPECT_TRUE(eventually([&] { return workers() >= 1; }, Millis(3000)))
      << "cpu stress not restored by the unhalt";
}

// A halt that runtime.state_dir cannot keep still stops every fault now, and the answer says
// that a restart will not keep it.
TEST(KillSwitchPersistence, AnUnwritableStateDirWarnsButTheHaltHolds) {
  HttpUpstream up;
  TempDir temp;
  const std::string state = temp.path() + "/state";
  ASSERT_TRUE(std::filesystem::create_directory(state));
  ConfigSpec spec;
  ListenerSpec listener;
  listener.upstream = up.address();
  spec.listeners.push_back(listener);
  spec.runtime_extra = "state_dir = \"" + state + "\"";
  spec.tail = "[[experiments]]\nname = \"errors\"\n[[experiments.faults]]\ntype = \"abort\"\n";
  ADMIN_START_PROXY(proxy, config_toml(spec));
  EXPECT_EQ(proxy_get(proxy.listener("main"), "/x").status(), 503);
  // The directory is replaced by a file: nothing can be written under it, even as root.
  std::filesystem::remove_all(state);
  std::ofstream(state) << "not a directory\n";

  ApiReply halted = api_send(proxy.admin(), "POST", "/v1/halt");
  ASSERT_EQ(halted.status(), 200) << halted;
  EXPECT_EQ(halted.json["halted"], true) << halted;
  EXPECT_NE(halted.json.value("warning", "").find("not persisted in runtime.state_dir"),
            std::string::npos)
      << halted;
  EXPECT_EQ(proxy_get(proxy.listener("main"), "/x").status(), 200) << "the halt did not hold";
  EXPECT_EQ(api_get(proxy.admin(), "/v1/status").json["halted"], true);
}

}  // namespace
}  // namespace faultline::harness::admin_test
