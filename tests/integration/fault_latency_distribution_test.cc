// Latency distributions (SPEC §12) through the real proxy: the latencies 200 concurrent
// clients measure follow the configured shape. One worker and a fixed seed make the drawn
// delays the same on every run; only the proxy's and the box's overhead varies, so lower
// bounds are close and upper bounds generous.
#include <algorithm>
#include <cmath>

#include "tests/harness/concurrent_client.h"
#include "tests/integration/support.h"

namespace faultline::harness {
namespace {

constexpr size_t kRequests = 200;

std::string experiment(const std::string& distribution, const std::string& delay,
                       const std::string& jitter) {
  return R"(
[[experiments]]
name = "shaped"
[experiments.match]
paths = ["/d"]
[[experiments.faults]]
type = "latency"
delay = ")" +
         delay + R"("
jitter = ")" +
         jitter + R"("
distribution = ")" +
         distribution + "\"\n";
}

struct Measured {
  std::vector<double> ms;  // client-side latencies of the faulted burst, sorted
  double overhead = 0;     // the slowest request of the same burst unfaulted (box load)
};

std::vector<double> burst(const ProxyProcess& proxy, const std::string& path) {
  std::vector<std::string> requests(kRequests, get_request(path, {{"Connection", "close"}}));
  const auto results = run_concurrent(proxy.listener("main"), requests, Millis(30000));
  std::vector<double> latencies;
  for (const auto& r : results) {
    EXPECT_EQ(r.status, 200);
    if (r.status == 200) latencies.push_back(static_cast<double>(r.latency.count()));
  }
  std::sort(latencies.begin(), latencies.end());
  EXPECT_EQ(latencies.size(), kRequests);
  return latencies;
}

// kRequests concurrent GETs, unfaulted (/plain) then faulted (/d). Upper bounds allow the
// unfaulted burst's worst latency on top: on a loaded box the whole burst shifts.
Measured measure(const std::string& tail) {
  HttpUpstream up;
  ConfigSpec spec;
  ListenerSpec listener;
  listener.upstream = up.address();
  spec.listeners.push_back(listener);
  spec.runtime_extra = "seed = 4242";
  spec.tail = tail;
  ProxyProcess proxy(config_toml(spec));
  EXPECT_TRUE(proxy.ready()) << proxy.failure();
  if (!proxy.ready()) return {};
  Measured out;
  const auto plain = burst(proxy, "/plain");
  out.overhead = plain.empty() ? 0 : plain.back();
  out.ms = burst(proxy, "/d");
  return out;
}

double quantile(const std::vector<double>& sorted, double q) {
  return sorted[static_cast<size_t>(q * static_cast<double>(sorted.size() - 1))];
}

TEST(FaultLatencyDistribution, LognormalHistogramHasItsMedianAndLongTail) {
  // median 80 ms, p99 300 ms: sigma = ln(300/80) / 2.326 = 0.568.
  const auto measured = measure(experiment("lognormal", "80ms", "220ms"));
  const auto& ms = measured.ms;
  ASSERT_EQ(ms.size(), kRequests);
  const double slack = 2 * measured.overhead;
  const double sigma = std::log(300.0 / 80.0) / 2.3263478740408408;
  const double p10 = 80 * std::exp(-1.2816 * sigma), p90 = 80 * std::exp(1.2816 * sigma);
  EXPECT_GE(quantile(ms, 0.10), 0.75 * p10);
  EXPECT_LE(quantile(ms, 0.10), p10 + 100 + slack) << "unfaulted burst worst " << measured.overhead;
  EXPECT_GE(quantile(ms, 0.50), 0.85 * 80);
  EXPECT_LE(quantile(ms, 0.50), 80 + 100 + slack) << "unfaulted burst worst " << measured.overhead;
  EXPECT_GE(quantile(ms, 0.90), 0.8 * p90);
  EXPECT_LE(quantile(ms, 0.90), p90 + 150 + slack) << "unfaulted burst worst " << measured.overhead;
  EXPECT_GE(quantile(ms, 0.99), 0.7 * 300);
  EXPECT_LE(quantile(ms, 0.99), 300 + 300 + slack) << "unfaulted burst worst " << measured.overhead;
  // The shape, not just the level: a constant delay would have p90 - p10 near 0.
  EXPECT_GE(quantile(ms, 0.90) - quantile(ms, 0.10), 0.7 * (p90 - p10));
}

TEST(FaultLatencyDistribution, NormalHistogramIsCenteredOnTheMean) {
  // mean 150 ms, standard deviation 40 ms: p10 = 98.7, p90 = 201.3.
  const auto measured = measure(experiment("normal", "150ms", "40ms"));
  const auto& ms = measured.ms;
  ASSERT_EQ(ms.size(), kRequests);
  const double slack = 2 * measured.overhead;
  EXPECT_GE(quantile(ms, 0.10), 0.85 * 98.7);
  EXPECT_LE(quantile(ms, 0.10), 98.7 + 100 + slack)
      << "unfaulted burst worst " << measured.overhead;
  EXPECT_GE(quantile(ms, 0.50), 0.9 * 150);
  EXPECT_LE(quantile(ms, 0.50), 150 + 100 + slack) << "unfaulted burst worst " << measured.overhead;
  EXPECT_GE(quantile(ms, 0.90), 0.9 * 201.3);
  EXPECT_LE(quantile(ms, 0.90), 201.3 + 150 + slack)
      << "unfaulted burst worst " << measured.overhead;
  EXPECT_GE(quantile(ms, 0.90) - quantile(ms, 0.10), 0.7 * (201.3 - 98.7));
}

}  // namespace
}  // namespace faultline::harness
