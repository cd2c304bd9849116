// Per-request header triggers (SPEC §3): opt-in, token and allow_from gating, stripping,
// opting into header experiments, and a precise 400 for bad values.
#include "tests/integration/support.h"

namespace faultline::harness {
namespace {

TEST(FaultHeaders, IgnoredUnlessEnabled) {
  HttpUpstream up;
  START_PROXY(proxy, http_config(up.address()));
  auto r = one_request(proxy.listener("main"), get_request("/", {{"x-chaos-abort", "503"}}));
  EXPECT_EQ(r.status(), 200) << r;
}

TEST(FaultHeaders, ChaosHeadersAreStrippedBeforeForwarding) {
  HttpUpstream up;
  START_PROXY(proxy, http_config(up.address(), "", header_triggers()));
  auto r = one_request(proxy.listener("main"), get_request("/s", {{"X-Chaos-Abort", "503"},
                                                                  {"x-chaos-percentage", "0"},
                                                                  {"x-chaos-custom-note", "hello"},
                                                                  {"X-Not-Chaos", "kept"}}));
  ASSERT_EQ(r.status(), 200) << r;
  auto seen = up.wait_for_request("/s");
  ASSERT_TRUE(seen.has_value());
  for (const auto& h : seen->head.headers)
    EXPECT_FALSE(h.name.size() >= 8 && iequals(h.name.substr(0, 8), "x-chaos-"))
        << h.name << " was forwarded";
  EXPECT_TRUE(seen->head.has("x-not-chaos"));
}

TEST(FaultHeaders, StripCanBeTurnedOff) {
  HttpUpstream up;
  START_PROXY(proxy, http_config(up.address(), "", header_triggers("strip = false")));
  auto r = one_request(proxy.listener("main"), get_request("/s", {{"x-chaos-delay", "10"}}));
  ASSERT_EQ(r.status(), 200) << r;
  auto seen = up.wait_for_request("/s");
  ASSERT_TRUE(seen.has_value());
  EXPECT_TRUE(seen->head.has("x-chaos-delay"));
}

void expect_400_naming(const Endpoint& to, const std::string& header, const std::string& value) {
  auto r = one_request(to, get_request("/bad", {{header, value}}));
  ASSERT_TRUE(r.complete()) << r;
  EXPECT_EQ(r.status(), 400) << header << ": " << value;
  EXPECT_NE(r.body.find(header), std::string::npos)
      << "400 body does not name " << header << ": " << r.body;
}

TEST(FaultHeaders, BadValuesAre400NamingTheHeader) {
  HttpUpstream up;
  START_PROXY(
      proxy, http_config(up.address(), "", "[safety]\nmax_delay = \"5s\"\n\n" + header_triggers()));
  auto to = proxy.listener("main");
  expect_400_naming(to, "x-chaos-delay", "soon");
  expect_400_naming(to, "x-chaos-delay", "60s");  // beyond safety.max_delay
  expect_400_naming(to, "x-chaos-jitter", "-5ms");
  expect_400_naming(to, "x-chaos-abort", "700");
  expect_400_naming(to, "x-chaos-abort", "99");
  expect_400_naming(to, "x-chaos-reset", "sometimes");
  expect_400_naming(to, "x-chaos-stall", "forever");
  expect_400_naming(to, "x-chaos-bandwidth", "fast");
  expect_400_naming(to, "x-chaos-percentage", "150");
  EXPECT_EQ(up.requests_seen(), 0u) << "a request with a bad chaos header was forwarded";
}

TEST(FaultHeaders, TokenGatesTheHeaders) {
  HttpUpstream up;
  START_PROXY(proxy, http_config(up.address(), "", header_triggers("token = \"s3cret\"")));
  auto to = proxy.listener("main");
  auto r = one_request(to, get_request("/t", {{"x-chaos-abort", "503"}}));
  EXPECT_EQ(r.status(), 200) << "headers honoured without the token";
  auto seen = up.wait_for_request("/t");
  ASSERT_TRUE(seen.has_value());
  EXPECT_FALSE(seen->head.has("x-chaos-abort")) << "ignored header still forwarded";
  r = one_request(to, get_request("/t", {{"x-chaos-abort", "503"}, {"x-chaos-token", "wrong"}}));
  EXPECT_EQ(r.status(), 200);
  r = one_request(to, get_request("/t", {{"x-chaos-abort", "503"}, {"x-chaos-token", "s3cret"}}));
  EXPECT_EQ(r.status(), 503);
}

TEST(FaultHeaders, AllowFromGatesTheHeaders) {
  HttpUpstream up;
  START_PROXY(proxy,
              http_config(up.address(), "", header_triggers("allow_from = [\"10.0.0.0/8\"]")));
  auto r = one_request(proxy.listener("main"), get_request("/", {{"x-chaos-abort", "503"}}));
  EXPECT_EQ(r.status(), 200) << "a client outside allow_from used header triggers";
}

TEST(FaultHeaders, ExperimentHeaderOptsIntoHeaderExperiments) {
  HttpUpstream up;
  START_PROXY(proxy, http_config(up.address(), "", header_triggers() + R"(
[[experiments]]
name = "opt-in"
trigger = "header"
[[experiments.faults]]
type = "abort"
status = 507
)"));
  auto to = proxy.listener("main");
  EXPECT_EQ(one_request(to, get_request("/")).status(), 200);
  auto r = one_request(to, get_request("/", {{"x-chaos-experiment", "other, opt-in"}}));
  EXPECT_EQ(r.status(), 507) << r;
  ASSERT_NE(r.head.find("x-chaos-injected"), nullptr);
  EXPECT_NE(r.head.find("x-chaos-injected")->find("abort=507@opt-in"), std::string::npos);
}

TEST(FaultHeaders, AnnotateCanBeTurnedOff) {
  HttpUpstream up;
  START_PROXY(proxy, http_config(up.address(), "", header_triggers("annotate = false")));
  auto r = one_request(proxy.listener("main"), get_request("/", {{"x-chaos-abort", "503"}}));
  EXPECT_EQ(r.status(), 503);
  EXPECT_EQ(r.head.find("x-chaos-injected"), nullptr);
}

TEST(FaultHeaders, PercentageZeroAppliesNothing) {
  HttpUpstream up;
  START_PROXY(proxy, http_config(up.address(), "", header_triggers()));
  auto statuses = pipelined_statuses(
      proxy.listener("main"),
      get_request("/", {{"x-chaos-abort", "503"}, {"x-chaos-percentage", "0"}}), 200);
  ASSERT_EQ(statuses.size(), 200u);
  EXPECT_EQ(std::count(statuses.begin(), statuses.end(), 200), 200);
}

}  // namespace
}  // namespace faultline::harness
