// Which requests a fault picks: percentages (within statistical bounds, reproducible with
// runtime.seed), trace and header sampling (one decision per key), dry_run, exclude_paths.
#include <cmath>
#include <cstdio>

#include "tests/integration/support.h"

namespace faultline::harness {
namespace {

std::string seeded(const std::string& upstream, uint64_t seed, const std::string& tail) {
  ConfigSpec spec;
  ListenerSpec l;
  l.upstream = upstream;
  spec.listeners.push_back(l);
  spec.runtime_extra = "seed = " + std::to_string(seed) + "\n";
  spec.tail = tail;
  return config_toml(spec);
}

const std::string kThirtyPercent = R"(
[[experiments]]
name = "some-errors"
[experiments.match]
percentage = 30.0
[[experiments.faults]]
type = "abort"
status = 503
)";

size_t count_of(const std::vector<int>& statuses, int status) {
  return static_cast<size_t>(std::count(statuses.begin(), statuses.end(), status));
}

TEST(FaultSampling, PercentageHoldsOverTenThousandRequests) {
  HttpUpstream up;
  START_PROXY(proxy, seeded(up.address(), 42, kThirtyPercent));
  auto statuses = pipelined_statuses(proxy.listener("main"), get_request("/p"), 10000);
  ASSERT_EQ(statuses.size(), 10000u);
  size_t faulted = count_of(statuses, 503);
  EXPECT_EQ(faulted + count_of(statuses, 200), 10000u);
  // Binomial(10000, 0.3): sd ~ 46; 5 sd either side.
  EXPECT_GE(faulted, 3000u - 230u);
  EXPECT_LE(faulted, 3000u + 230u);
}

TEST(FaultSampling, FaultPercentageAppliesWithinAMatch) {
  HttpUpstream up;
  START_PROXY(proxy, seeded(up.address(), 7, R"(
[[experiments]]
name = "half"
[[experiments.faults]]
type = "abort"
status = 500
percentage = 50.0
)"));
  auto statuses = pipelined_statuses(proxy.listener("main"), get_request("/p"), 4000);
  ASSERT_EQ(statuses.size(), 4000u);
  size_t faulted = count_of(statuses, 500);
  // Binomial(4000, 0.5): sd ~ 32.
  EXPECT_GE(faulted, 2000u - 160u);
  EXPECT_LE(faulted, 2000u + 160u);
}

TEST(FaultSampling, AFixedSeedReproducesEveryDecision) {
  HttpUpstream up;
  std::vector<int> first, second;
  {
    START_PROXY(proxy, seeded(up.address(), 1234, kThirtyPercent));
    first = pipelined_statuses(proxy.listener("main"), get_request("/p"), 2000);
  }
  {
    START_PROXY(proxy, seeded(up.address(), 1234, kThirtyPercent));
    second = pipelined_statuses(proxy.listener("main"), get_request("/p"), 2000);
  }
  ASSERT_EQ(first.size(), 2000u);
  EXPECT_EQ(first, second) << "runtime.seed did not make the percentage decisions reproducible";
  EXPECT_GT(count_of(first, 503), 0u);
}

std::string trace_id(int i) {
  char buf[33];
  std::snprintf(buf, sizeof buf, "%08x%08x%08x%08x", 0x4bf92f35 + i * 7919, 0x77b34da6,
                0xa3ce929d ^ i, 0x0e0e4736 + i);
  return buf;
}

// Decisions for 200 keys, each asked three times; fails the test if a key is inconsistent.
std::vector<bool> decisions_by_key(const Endpoint& to, const std::string& header,
                                   const std::function<std::string(int)>& value) {
  std::vector<bool> faulted;
  RawClient client(to);
  for (int key = 0; key < 200; ++key) {
    std::vector<int> seen;
    for (int rep = 0; rep < 3; ++rep) {
      auto r = client.request(get_request("/k", {{header, value(key)}}));
      if (!r.complete()) {
        ADD_FAILURE() << r;
        return faulted;
      }
      seen.push_back(r.status());
    }
    EXPECT_TRUE(seen[0] == seen[1] && seen[1] == seen[2])
        << header << " " << value(key) << " decided differently: " << seen[0] << " " << seen[1]
        << " " << seen[2];
    faulted.push_back(seen[0] == 503);
  }
  return faulted;
}

std::string sampled(const std::string& sample_by) {
  return R"(
[[experiments]]
name = "sticky"
[experiments.match]
percentage = 50.0
sample_by = ")" +
         sample_by + R"("
[[experiments.faults]]
type = "abort"
status = 503
)";
}

TEST(FaultSampling, TraceSamplingDecidesAlikeForOneTraceOnEveryReplica) {
  HttpUpstream up;
  auto traceparent = [](int i) { return "00-" + trace_id(i) + "-00f067aa0ba902b7-01"; };
  std::vector<bool> a, b;
  {
    START_PROXY(proxy, seeded(up.address(), 1, sampled("trace")));
    a = decisions_by_key(proxy.listener("main"), "traceparent", traceparent);
  }
  {
    // Another replica with another seed: trace sampling must not depend on it.
    START_PROXY(proxy, seeded(up.address(), 99, sampled("trace")));
    b = decisions_by_key(proxy.listener("main"), "traceparent", traceparent);
  }
  ASSERT_EQ(a.size(), 200u);
  EXPECT_EQ(a, b) << "two replicas decided differently for the same trace ids";
  auto n = std::count(a.begin(), a.end(), true);
  EXPECT_GE(n, 60);  // Binomial(200, 0.5): sd ~ 7
  EXPECT_LE(n, 140);
}

TEST(FaultSampling, HeaderSamplingIsStickyPerKey) {
  HttpUpstream up;
  START_PROXY(proxy, seeded(up.address(), 5, sampled("header:x-user")));
  auto d = decisions_by_key(proxy.listener("main"), "x-user",
                            [](int i) { return "user-" + std::to_string(i); });
  ASSERT_EQ(d.size(), 200u);
  auto n = std::count(d.begin(), d.end(), true);
  EXPECT_GE(n, 60);
  EXPECT_LE(n, 140);
}

TEST(FaultSampling, DryRunInjectsNothing) {
  HttpUpstream up;
  START_PROXY(proxy, http_config(up.address(), "", R"(
[[experiments]]
name = "rehearsal"
dry_run = true
[[experiments.faults]]
type = "abort"
status = 503
[[experiments.faults]]
type = "latency"
delay = "500ms"
)"));
  RawClient client(proxy.listener("main"));
  for (int i = 0; i < 20; ++i) {
    auto r = client.request(get_request("/d"));
    ASSERT_TRUE(r.complete()) << r;
    EXPECT_EQ(r.status(), 200);
    EXPECT_LT(r.elapsed.count(), 300);
    EXPECT_EQ(r.head.find("x-chaos-injected"), nullptr);
  }
  EXPECT_EQ(up.requests_seen(), 20u);
}

TEST(FaultSampling, ExcludedPathsAreNeverFaulted) {
  HttpUpstream up;
  START_PROXY(proxy, http_config(up.address(), "", R"(
[safety]
exclude_paths = ["/healthz", "/untouchable"]

[triggers.headers]
enabled = true

[[experiments]]
name = "everything"
[[experiments.faults]]
type = "abort"
status = 503
)"));
  RawClient client(proxy.listener("main"));
  EXPECT_EQ(client.request(get_request("/other")).status(), 503);
  auto r = client.request(get_request("/untouchable"));
  EXPECT_EQ(r.status(), 200) << r;
  EXPECT_EQ(r.head.find("x-chaos-injected"), nullptr);
  r = client.request(get_request("/healthz", {{"x-chaos-abort", "500"}}));
  EXPECT_EQ(r.status(), 200) << "a header trigger faulted an excluded path: " << r;
  r = client.request(get_request("/untouchable", {{"x-chaos-delay", "500"}}));
  EXPECT_EQ(r.status(), 200);
  EXPECT_LT(r.elapsed.count(), 300) << "a header delay hit an excluded path";
}

}  // namespace
}  // namespace faultline::harness
