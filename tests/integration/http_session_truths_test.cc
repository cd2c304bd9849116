// What the proxy says and forwards must be true: x-chaos-injected names the delay it applied
// (with jitter, not the nominal one), and request heads pass unchanged (SPEC §6) unless the
// listener opts into X-Forwarded-For (`forwarded_for = true`, an extension).
#include <cctype>
#include <set>

#include "tests/integration/support.h"

namespace faultline::harness {
namespace {

// "1s250ms" -> 1250; -1 if unreadable.
long parse_ms(const std::string& text) {
  long total = 0;
  size_t i = 0;
  if (text.empty()) return -1;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
    if (start == i) return -1;
    long n = std::stol(text.substr(start, i - start));
    size_t unit = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    std::string u = text.substr(unit, i - unit);
    if (u == "ms")
      total += n;
    else if (u == "s")
      total += n * 1000;
    else if (u == "m")
      total += n * 60000;
    else
      return -1;
  }
  return total;
}

// The delay in "latency=<delay>@<source>" of an x-chaos-injected value; -1 if absent.
long annotated_latency_ms(const HttpResponse& r) {
  const std::string* v = r.head.find("x-chaos-injected");
  if (v == nullptr) return -1;
  auto at = v->find("latency=");
  if (at == std::string::npos) return -1;
  at += 8;
  auto end = v->find('@', at);
  return parse_ms(v->substr(at, end == std::string::npos ? std::string::npos : end - at));
}

// Sends `n` requests and checks that each annotation is a delay within nominal ± jitter that
// the client really waited; returns the distinct delays seen.
std::set<long> applied_delays(const Endpoint& to, const std::vector<Header>& headers, int n,
                              long nominal, long jitter) {
  std::set<long> seen;
  RawClient client(to);
  for (int i = 0; i < n; ++i) {
    auto r = client.request(get_request("/", headers));
    EXPECT_TRUE(r.complete()) << r;
    long ms = annotated_latency_ms(r);
    EXPECT_GE(ms, nominal - jitter) << *r.head.find("x-chaos-injected");
    EXPECT_LE(ms, nominal + jitter) << *r.head.find("x-chaos-injected");
    // The delay is "at least": the client waited no less than what was reported.
    EXPECT_GE(r.elapsed.count(), ms) << *r.head.find("x-chaos-injected");
    seen.insert(ms);
  }
  return seen;
}

TEST(HttpSessionTruths, HeaderLatencyReportsTheJitteredDelayApplied) {
  HttpUpstream up;
  START_PROXY(proxy, http_config(up.address(), "", header_triggers()));
  auto seen =
      applied_delays(proxy.listener("main"),
                     {{"x-chaos-delay", "150ms"}, {"x-chaos-jitter", "100ms"}}, 6, 150, 100);
  // Six uniform draws over 200 ms all landing on the nominal value is not chance.
  EXPECT_GT(seen.size(), 1u);
  EXPECT_FALSE(seen.size() == 1 && *seen.begin() == 150) << "the nominal delay was reported";
}

TEST(HttpSessionTruths, ExperimentLatencyReportsTheJitteredDelayApplied) {
  HttpUpstream up;
  START_PROXY(proxy, http_config(up.address(), "",
                                 "\n[[experiments]]\nname = \"wobbly\"\n[[experiments.faults]]\n"
                                 "type = \"latency\"\ndelay = \"150ms\"\njitter = \"100ms\"\n"));
  auto seen = applied_delays(proxy.listener("main"), {}, 6, 150, 100);
  EXPECT_GT(seen.size(), 1u);
}

TEST(HttpSessionTruths, LatencyWithoutJitterReportsTheConfiguredDelay) {
  HttpUpstream up;
  START_PROXY(proxy, http_config(up.address(), "", header_triggers()));
  auto r = one_request(proxy.listener("main"), get_request("/", {{"x-chaos-delay", "120ms"}}));
  ASSERT_TRUE(r.complete()) << r;
  ASSERT_NE(r.head.find("x-chaos-injected"), nullptr);
  EXPECT_NE(r.head.find("x-chaos-injected")->find("latency=120ms@header"), std::string::npos);
}

TEST(HttpSessionTruths, RequestHeadsPassWithoutXForwardedForByDefault) {
  HttpUpstream up;
  START_PROXY(proxy, http_config(up.address()));
  auto r = one_request(proxy.listener("main"), get_request("/plain"));
  ASSERT_TRUE(r.complete()) << r;
  auto r2 = one_request(proxy.listener("main"),
                        get_request("/given", {{"X-Forwarded-For", "203.0.113.9"}}));
  ASSERT_TRUE(r2.complete()) << r2;
  auto plain = up.wait_for_request("/plain");
  ASSERT_TRUE(plain.has_value());
  EXPECT_FALSE(plain->head.has("x-forwarded-for"));
  auto given = up.wait_for_request("/given");
  ASSERT_TRUE(given.has_value());
  ASSERT_EQ(given->head.all("x-forwarded-for").size(), 1u);
  EXPECT_EQ(*given->head.find("x-forwarded-for"), "203.0.113.9");
}

TEST(HttpSessionTruths, ForwardedForAppendsTheClientWhenEnabled) {
  HttpUpstream up;
  START_PROXY(proxy, http_config(up.address(), "forwarded_for = true\n"));
  auto r = one_request(proxy.listener("main"), get_request("/plain"));
  ASSERT_TRUE(r.complete()) << r;
  auto r2 = one_request(proxy.listener("main"),
                        get_request("/given", {{"X-Forwarded-For", "203.0.113.9"}}));
  ASSERT_TRUE(r2.complete()) << r2;
  auto plain = up.wait_for_request("/plain");
  ASSERT_TRUE(plain.has_value());
  ASSERT_NE(plain->head.find("x-forwarded-for"), nullptr);
  EXPECT_EQ(*plain->head.find("x-forwarded-for"), "127.0.0.1");
  auto given = up.wait_for_request("/given");
  ASSERT_TRUE(given.has_value());
  ASSERT_NE(given->head.find("x-forwarded-for"), nullptr);
  EXPECT_EQ(*given->head.find("x-forwarded-for"), "203.0.113.9, 127.0.0.1");
}

}  // namespace
}  // namespace faultline::harness

namespace faultline::harness {
namespace {

// A 400 for a malformed request says why in its body, also when the request before it on the
// same connection was a HEAD (whose answer has no body): the session forgot to reset that.
TEST(HttpSessionTruths, ErrorAfterAHeadRequestKeepsItsBody) {
  HttpUpstream up;
  up.route("/doc", handlers::fixed(200, std::string(100, 'd')));
  START_PROXY(proxy, http_config(up.address()));
  RawClient client(proxy.listener("main"));
  auto r = client.request(make_request("HEAD", "/doc"));
  ASSERT_TRUE(r.complete()) << r;
  EXPECT_EQ(r.status(), 200);
  r = client.request("GET /doc HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n");
  ASSERT_TRUE(r.complete()) << r;
  EXPECT_EQ(r.status(), 400);
  ASSERT_NE(r.head.find("content-length"), nullptr);
  EXPECT_EQ(*r.head.find("content-length"), std::to_string(r.body.size()));
  EXPECT_FALSE(r.body.empty()) << r;
}

}  // namespace
}  // namespace faultline::harness
