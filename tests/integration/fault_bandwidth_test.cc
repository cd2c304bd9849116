// Bandwidth throttling measured on the client's clock: ±10 % over a 1 MiB body.
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

}  // namespace
}  // namespace faultline::harness
