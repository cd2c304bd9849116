// Bandwidth throttling measured on the client's clock (±10 % over a 1 MiB body) and CPU
// stress measured in /proc (process CPU time rises by about cores × load while the
// experiment runs and stops when it expires).
#include <unistd.h>

#include "tests/integration/support.h"

namespace faultline::harness {
namespace {

constexpr uint64_t kMiB = 1u << 20;

TEST(FaultBandwidth, ConfiguredRateThrottlesTheResponseBody) {
  HttpUpstream up;
  up.route("/mib", handlers::stream(kMiB));
  START_PROXY(proxy, http_config(up.address(), "", R"(
[[experiments]]
name = "narrow"
[experiments.match]
paths = ["/mib"]
[[experiments.faults]]
type = "bandwidth"
rate = "512KiB/s"
)"));
  RawClient client(proxy.listener("main"));
  PatternChecker checker;
  client.send(get_request("/mib"));
  auto r = client.read_response("GET", 20s, std::ref(checker), 0);
  ASSERT_TRUE(r.complete()) << r;
  EXPECT_EQ(checker.bytes(), kMiB);
  EXPECT_TRUE(checker.intact());
  // 1 MiB at 512 KiB/s = 2 s.
  EXPECT_GE(r.elapsed.count(), 1800);
  EXPECT_LE(r.elapsed.count(), 2200 + (kSanitized ? 400 : 150));
}

TEST(FaultBandwidth, HeaderRateThrottlesTheResponseBody) {
  HttpUpstream up;
  up.route("/mib", handlers::stream(kMiB));
  START_PROXY(proxy, http_config(up.address(), "", header_triggers()));
  RawClient client(proxy.listener("main"));
  client.send(get_request("/mib", {{"x-chaos-bandwidth", "1MiB/s"}}));
  auto r = client.read_response("GET", 20s, {}, 0);
  ASSERT_TRUE(r.complete()) << r;
  EXPECT_EQ(r.body_bytes, kMiB);
  EXPECT_GE(r.elapsed.count(), 900);
  EXPECT_LE(r.elapsed.count(), 1100 + (kSanitized ? 400 : 150));
  // Without the header the same body is fast.
  client.send(get_request("/mib"));
  r = client.read_response("GET", 20s, {}, 0);
  ASSERT_TRUE(r.complete()) << r;
  EXPECT_LT(r.elapsed.count(), 500);
}

TEST(FaultBandwidth, UpstreamDirectionThrottlesTheRequestBody) {
  HttpUpstream up;
  up.route("/upload", handlers::verify_pattern_body());
  START_PROXY(proxy, http_config(up.address(), "", R"(
[[experiments]]
name = "slow-upload"
[[experiments.faults]]
type = "bandwidth"
rate = "512KiB/s"
direction = "upstream"
)"));
  RawClient client(proxy.listener("main"));
  auto r = client.request(make_request("POST", "/upload", {}, pattern_string(kMiB)), 20s);
  ASSERT_TRUE(r.complete()) << r;
  EXPECT_EQ(r.body, "bytes=1048576 intact=1");
  EXPECT_GE(r.elapsed.count(), 1800);
  EXPECT_LE(r.elapsed.count(), 2200 + (kSanitized ? 400 : 150));
}

// CPU seconds the process used in a window of `window` starting now.
double cpu_used(pid_t pid, Millis window) {
  double before = cpu_seconds(pid);
  std::this_thread::sleep_for(window);
  return cpu_seconds(pid) - before;
}

TEST(FaultCpu, StressBurnsAboutCoresTimesLoadAndStopsWhenExpired) {
  HttpUpstream up;
  START_PROXY(proxy, http_config(up.address(), "", R"(
[safety]
max_cpu_cores = 1

[[experiments]]
name = "burn"
duration = "3s"
[[experiments.faults]]
type = "cpu"
cores = 1
load = 50
)"));
  auto started = Clock::now();
  std::this_thread::sleep_for(300ms);
  double during = cpu_used(proxy.pid(), 2000ms);  // about 1 core x 50 % x 2 s = 1.0 s
  EXPECT_GE(during, 0.6) << "CPU stress not visible in /proc";
  EXPECT_LE(during, 1.5) << "CPU stress burned more than cores x load";
  // The experiment ends 3 s after load; give the burner a moment to notice.
  auto until_expiry = Millis(3400) - std::chrono::duration_cast<Millis>(Clock::now() - started);
  if (until_expiry.count() > 0) std::this_thread::sleep_for(until_expiry);
  double after = cpu_used(proxy.pid(), 1500ms);
  EXPECT_LT(after, 0.15) << "CPU stress kept burning after the experiment expired";
}

}  // namespace
}  // namespace faultline::harness
