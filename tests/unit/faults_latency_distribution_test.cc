// Latency distributions (SPEC §12): 10,000 draws of each match its median and 99th percentile,
// draws are never negative and are capped at safety.max_delay, and the config's
// `distribution` key compiles or fails at its position.
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "faults/experiment.h"
#include "faults/latency_distribution.h"
#include "faults/primitive.h"
#include "faults_fixtures.h"

namespace faultline::faults {
namespace {

using namespace testing;
using namespace std::chrono_literals;

struct Quantiles {
  double median = 0, p99 = 0, min = 0;
};

Quantiles draw_many(LatencyDistribution distribution, config::Duration delay,
                    config::Duration jitter, uint64_t seed = 42) {
  Rng rng(seed);
  std::vector<double> draws;
  for (int i = 0; i < 10000; ++i)
    draws.push_back(static_cast<double>(draw_latency(distribution, delay, jitter, rng).count()));
  std::sort(draws.begin(), draws.end());
  return {draws[5000], draws[9900], draws.front()};
}

TEST(LatencyDistribution, UniformMedianIsDelayP99NearDelayPlusJitter) {
  const auto q = draw_many(LatencyDistribution::kUniform, 200ms, 100ms);
  EXPECT_NEAR(q.median, 200, 8);
  EXPECT_NEAR(q.p99, 298, 6);  // 200 + 0.98 x 100
  EXPECT_GE(q.min, 100);
}

TEST(LatencyDistribution, NormalMedianIsMeanP99IsMeanPlus2Point33Sigma) {
  const auto q = draw_many(LatencyDistribution::kNormal, 200ms, 50ms);
  EXPECT_NEAR(q.median, 200, 5);
  EXPECT_NEAR(q.p99, 200 + kStandardNormalP99 * 50, 10);  // 316
}

TEST(LatencyDistribution, LognormalMedianIsDelayP99IsDelayPlusJitter) {
  const auto q = draw_many(LatencyDistribution::kLognormal, 100ms, 400ms);
  EXPECT_NEAR(q.median, 100, 6);
  EXPECT_NEAR(q.p99, 500, 60);
  EXPECT_GT(q.min, 0);
}

TEST(LatencyDistribution, DifferentSeedsAgreeWithinTolerance) {
  for (uint64_t seed : {1u, 7u, 1234u}) {
    const auto q = draw_many(LatencyDistribution::kLognormal, 50ms, 150ms, seed);
    EXPECT_NEAR(q.median, 50, 4) << seed;
    EXPECT_NEAR(q.p99, 200, 30) << seed;
  }
}

TEST(LatencyDistribution, NormalNeverDrawsBelowZero) {
  const auto q = draw_many(LatencyDistribution::kNormal, 10ms, 100ms);
  EXPECT_EQ(q.min, 0);
}

TEST(LatencyDistribution, NoJitterIsTheDelayExactly) {
  Rng rng(3);
  for (auto shape : {LatencyDistribution::kUniform, LatencyDistribution::kNormal,
                     LatencyDistribution::kLognormal})
    EXPECT_EQ(draw_latency(shape, 250ms, 0ms, rng), 250ms);
}

TEST(LatencyDistribution, LongTailDrawsAreCappedAtMaxDelay) {
  Primitive primitive;
  primitive.op = Op::kDelay;
  primitive.amount = 100ms;
  primitive.jitter = 1900ms;  // p99 2s: 1 % of draws above it
  primitive.distribution = LatencyDistribution::kLognormal;
  Rng rng(9);
  int64_t longest = 0;
  for (int i = 0; i < 2000; ++i) {
    Plan plan;
    apply(primitive, config::Protocol::kHttp, rng, plan, "latency", "e1");
    cap_delays(plan, 1s);
    longest = std::max<int64_t>(longest, plan.request_delay.count());
    ASSERT_LE(plan.request_delay, 1s);
    ASSERT_LE(plan.applied[0].ms, 1000);
  }
  EXPECT_EQ(longest, 1000) << "no draw reached the cap: the tail is missing";
}

TEST(LatencyDistribution, NamesRoundTrip) {
  for (std::string_view name : kLatencyDistributionNames)
    EXPECT_EQ(latency_distribution_name(*parse_latency_distribution(name)), name);
  EXPECT_FALSE(parse_latency_distribution("gaussian"));
}

bool compiles(config::FaultConfig f, config::Diagnostics& diags, CompiledExperiment& out) {
  auto config = make_config({}, {listener("inbound", config::Protocol::kHttp)});
  return compile_experiment(experiment("e1", {std::move(f)}), *config, Source::kConfig, out, diags);
}

TEST(LatencyDistributionConfig, CompilesEachDistribution) {
  for (auto [name, shape] : {std::pair{"uniform", LatencyDistribution::kUniform},
                             std::pair{"normal", LatencyDistribution::kNormal},
                             std::pair{"lognormal", LatencyDistribution::kLognormal}}) {
    config::Diagnostics diags;
    CompiledExperiment out;
    ASSERT_TRUE(compiles(
        fault("latency",
              {{"delay", str("100ms")}, {"jitter", str("50ms")}, {"distribution", str(name)}}),
        diags, out))
        << name;
    EXPECT_EQ(out.faults[0].primitives[0].distribution, shape) << name;
  }
  config::Diagnostics diags;
  CompiledExperiment out;
  ASSERT_TRUE(compiles(fault("latency", {{"delay", str("100ms")}}), diags, out));
  EXPECT_EQ(out.faults[0].primitives[0].distribution, LatencyDistribution::kUniform);
}

TEST(LatencyDistributionConfig, UnknownDistributionIsAnErrorAtItsPosition) {
  config::Diagnostics diags;
  CompiledExperiment out;
  EXPECT_FALSE(compiles(
      fault("latency", {{"delay", str("100ms")}, {"distribution", str("gaussian", 17, 16)}}), diags,
      out));
  ASSERT_FALSE(diags.items().empty());
  const auto& first = diags.items().front();
  EXPECT_EQ(first.path, "experiments[0].faults[0].distribution");
  EXPECT_NE(first.message.find("expected one of \"uniform\", \"normal\", \"lognormal\""),
            std::string::npos)
      << first.message;
  EXPECT_EQ(first.pos.line, 17);
  EXPECT_EQ(first.pos.column, 16);
}

TEST(LatencyDistributionConfig, LognormalNeedsAPositiveMedian) {
  config::Diagnostics diags;
  CompiledExperiment out;
  EXPECT_FALSE(compiles(fault("latency", {{"delay", str("0ms", 12, 9)},
                                          {"jitter", str("50ms")},
                                          {"distribution", str("lognormal")}}),
                        diags, out));
  ASSERT_FALSE(diags.items().empty());
  EXPECT_EQ(diags.items().front().path, "experiments[0].faults[0].delay");
  EXPECT_NE(diags.items().front().message.find("median"), std::string::npos);
  EXPECT_EQ(diags.items().front().pos.line, 12);
}

}  // namespace
}  // namespace faultline::faults
