// Stop conditions as pure functions (SPEC §11): what a condition reads over its window of
// unfaulted requests, when it holds, and how the breach is described.
#include <gtest/gtest.h>

#include "proxy/control/stop_conditions.h"

namespace faultline::proxy {
namespace {

using namespace std::chrono_literals;

SecondBucket second(uint64_t unfaulted, uint64_t errors, uint64_t latency_us) {
  SecondBucket b;
  b.unfaulted_requests = unfaulted;
  b.unfaulted_errors = errors;
  b.unfaulted_latency[LatencyBuckets::index(latency_us)] = static_cast<uint32_t>(unfaulted);
  b.requests = unfaulted + 100;  // faulted requests: never read
  b.errors_injected = 100;
  return b;
}

config::StopCondition error_rate(double above, uint64_t min_requests = 20) {
  config::StopCondition c;
  c.name = "users-failing";
  c.metric = config::StopMetric::kErrorRate;
  c.above_fraction = above;
  c.min_requests = min_requests;
  c.window = 30s;
  return c;
}

TEST(StopConditions, ErrorRateOverEveryListenerOfTheWindow) {
  const auto c = error_rate(0.1);
  std::vector<std::vector<SecondBucket>> seconds = {{second(10, 1, 1000), second(10, 2, 1000)},
                                                    {second(20, 3, 1000)}};
  std::optional<StopReading> r = read_condition(c, seconds);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->requests, 40u);
  EXPECT_DOUBLE_EQ(r->value, 6.0 / 40.0);
  EXPECT_TRUE(holds(c, *r));
  EXPECT_FALSE(holds(error_rate(0.15), *r));  // 0.15 is not above 0.15
}

TEST(StopConditions, TooFewRequestsJudgeNothing) {
  const auto c = error_rate(0.1, 20);
  EXPECT_FALSE(read_condition(c, {{second(19, 19, 1000)}}));
  EXPECT_FALSE(read_condition(c, {}));
  EXPECT_TRUE(read_condition(c, {{second(20, 0, 1000)}}));
}

TEST(StopConditions, LatencyQuantiles) {
  config::StopCondition p99;
  p99.name = "slow";
  p99.metric = config::StopMetric::kP99;
  p99.above_latency = 250ms;
  p99.min_requests = 10;
  // 95 fast, 5 at 400 ms: p99 is slow, p50 fast.
  std::vector<std::vector<SecondBucket>> seconds = {{second(95, 0, 2000), second(5, 0, 400000)}};
  std::optional<StopReading> r = read_condition(p99, seconds);
  ASSERT_TRUE(r);
  EXPECT_NEAR(r->value, 0.4, 0.4 * 0.25);
  EXPECT_TRUE(holds(p99, *r));
  config::StopCondition p50 = p99;
  p50.metric = config::StopMetric::kP50;
  std::optional<StopReading> median = read_condition(p50, seconds);
  ASSERT_TRUE(median);
  EXPECT_LT(median->value, 0.01);
  EXPECT_FALSE(holds(p50, *median));
}

TEST(StopConditions, DescribesTheBreach) {
  auto c = error_rate(0.1);
  c.listener = "web";
  EXPECT_EQ(describe_breach(c, StopReading{0.2126, 160}),
            "stop condition \"users-failing\": error_rate 0.213 above 0.1 over 30s (160 "
            "unfaulted requests on listener web)");
  config::StopCondition p99;
  p99.name = "slow";
  p99.metric = config::StopMetric::kP99;
  p99.above_latency = 750ms;
  EXPECT_EQ(describe_breach(p99, StopReading{0.9014, 50}),
            "stop condition \"slow\": p99 901ms above 750ms over 30s (50 unfaulted requests)");
}

}  // namespace
}  // namespace faultline::proxy
