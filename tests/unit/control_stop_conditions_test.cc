// Stop conditions (SPEC §11) as a pure function of the time series: what a window reads, when a
// condition holds, and the text the halt reason carries.
#include "proxy/control/stop_conditions.h"

#include <gtest/gtest.h>

#include <chrono>

namespace faultline::proxy {
namespace {

using std::chrono::milliseconds;

SecondBucket unfaulted(uint64_t requests, uint64_t errors, milliseconds each) {
  SecondBucket b;
  b.requests = b.unfaulted_requests = requests;
  b.unfaulted_errors = errors;
  const auto us = static_cast<uint64_t>(std::chrono::microseconds(each).count());
  b.latency[LatencyBuckets::index(us)] = b.unfaulted_latency[LatencyBuckets::index(us)] =
      static_cast<uint32_t>(requests);
  return b;
}

config::StopCondition error_rate_above(double fraction, uint64_t min_requests = 20) {
  config::StopCondition c;
  c.name = "users-failing";
  c.metric = config::StopMetric::kErrorRate;
  c.above_fraction = fraction;
  c.min_requests = min_requests;
  return c;
}

config::StopCondition latency_above(config::StopMetric metric, milliseconds above) {
  config::StopCondition c;
  c.name = "slow";
  c.metric = metric;
  c.above_latency = above;
  c.min_requests = 1;
  return c;
}

TEST(StopConditions, TooFewRequestsAreNotJudged) {
  const auto c = error_rate_above(0.1, 20);
  EXPECT_FALSE(read_condition(c, {{unfaulted(19, 19, milliseconds(1))}}));
  EXPECT_FALSE(read_condition(error_rate_above(0.1, 0), {{}}))
      << "no request at all is never a reading, even with min_requests 0";
  const auto at_min = read_condition(c, {{unfaulted(20, 19, milliseconds(1))}});
  ASSERT_TRUE(at_min);
  EXPECT_EQ(at_min->requests, 20u);
}

TEST(StopConditions, ErrorRateIsStrictlyAboveAndSumsListenersAndSeconds) {
  // Two listeners, two seconds each: 50 requests, 10 errors.
  const std::vector<std::vector<SecondBucket>> window{
      {unfaulted(10, 2, milliseconds(1)), unfaulted(15, 3, milliseconds(1))},
      {unfaulted(20, 5, milliseconds(1)), unfaulted(5, 0, milliseconds(1))}};
  const auto reading = read_condition(error_rate_above(0.1), window);
  ASSERT_TRUE(reading);
  EXPECT_EQ(reading->requests, 50u);
  EXPECT_DOUBLE_EQ(reading->value, 0.2);
  EXPECT_TRUE(holds(error_rate_above(0.1), *reading));
  EXPECT_FALSE(holds(error_rate_above(0.2), *reading)) << "equal to the threshold is not above";
}

TEST(StopConditions, LatencyQuantilesReadTheUnfaultedHistogram) {
  // 90 requests at 1 ms, 10 at 800 ms: p50 is about 1 ms, p99 about 800 ms.
  SecondBucket b = unfaulted(90, 0, milliseconds(1));
  const size_t slow = LatencyBuckets::index(800'000);
  b.unfaulted_latency[slow] += 10;
  b.unfaulted_requests += 10;
  // Faulted requests are in `latency` only: a 30 s injected delay must not count.
  b.latency[LatencyBuckets::index(30'000'000)] += 1000;
  const std::vector<std::vector<SecondBucket>> window{{b}};

  const auto p99 =
      read_condition(latency_above(config::StopMetric::kP99, milliseconds(750)), window);
  ASSERT_TRUE(p99);
  EXPECT_GT(p99->value, 0.64);  // within a bucket (25 %) of 800 ms
  EXPECT_LT(p99->value, 1.0);
  EXPECT_TRUE(holds(latency_above(config::StopMetric::kP99, milliseconds(600)), *p99));
  EXPECT_FALSE(holds(latency_above(config::StopMetric::kP99, milliseconds(1000)), *p99));

  const auto p50 = read_condition(latency_above(config::StopMetric::kP50, milliseconds(5)), window);
  ASSERT_TRUE(p50);
  EXPECT_LT(p50->value, 0.002);
  EXPECT_FALSE(holds(latency_above(config::StopMetric::kP50, milliseconds(5)), *p50));
}

TEST(StopConditions, TheBreachSaysWhatWhereAndHowMuch) {
  auto c = error_rate_above(0.05);
  StopReading r{0.2134, 150};
  EXPECT_EQ(describe_breach(c, r),
            "stop condition \"users-failing\": error_rate 0.213 above 0.05 over 30s "
            "(150 unfaulted requests)");
  c.listener = "inbound";
  EXPECT_EQ(describe_breach(c, r),
            "stop condition \"users-failing\": error_rate 0.213 above 0.05 over 30s "
            "(150 unfaulted requests on listener inbound)");
  auto slow = latency_above(config::StopMetric::kP99, milliseconds(750));
  slow.window = std::chrono::seconds(10);
  EXPECT_EQ(describe_breach(slow, StopReading{0.8123, 40}),
            "stop condition \"slow\": p99 812ms above 750ms over 10s (40 unfaulted requests)");
  EXPECT_STREQ(stop_metric_name(config::StopMetric::kP50), "p50");
}

}  // namespace
}  // namespace faultline::proxy
