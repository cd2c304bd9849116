// The time series behind GET /v1/timeseries (SPEC §11): latency buckets, per-worker counters,
// deltas between samples, quantiles and the fixed-capacity ring.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "proxy/series_stats.h"
#include "proxy/timeseries.h"

namespace faultline::proxy {
namespace {

TEST(LatencyBuckets, IndexIsTheFirstBoundAtOrAbove) {
  EXPECT_EQ(LatencyBuckets::index(0), 0u);
  EXPECT_EQ(LatencyBuckets::index(50), 0u);
  EXPECT_EQ(LatencyBuckets::index(51), 1u);
  for (size_t i = 1; i < LatencyBuckets::kCount; ++i) {
    const auto upper = static_cast<uint64_t>(LatencyBuckets::kUpperUs[i]);
    EXPECT_LE(LatencyBuckets::kUpperUs[i - 1], static_cast<double>(upper)) << i;
    EXPECT_EQ(LatencyBuckets::index(upper), i) << i;
  }
  EXPECT_GT(LatencyBuckets::kUpperUs.back(), 60e6);  // a minute fits
  EXPECT_EQ(LatencyBuckets::index(3'600'000'000), LatencyBuckets::kCount);
}

TEST(SeriesCounters, SplitsInjectedRealAndUnfaulted) {
  SeriesCounters c;
  c.record(200, false, false, 1000);   // plain success
  c.record(503, false, false, 2000);   // real error, unfaulted
  c.record(0, false, false, 2000);     // no response at all: real error
  c.record(503, true, true, 100);      // injected abort
  c.record(200, false, true, 500000);  // latency fault, upstream fine
  c.record(500, false, true, 500000);  // latency fault and a real error: not unfaulted
  c.record(404, false, false, 1000);   // a 4xx is the client's problem, not an error
  SeriesTotals t;
  c.add_to(t);
  EXPECT_EQ(t.requests, 7u);
  EXPECT_EQ(t.errors_injected, 1u);
  EXPECT_EQ(t.errors_real, 3u);
  EXPECT_EQ(t.unfaulted_requests, 4u);
  EXPECT_EQ(t.unfaulted_errors, 2u);
  uint64_t hist = 0, unfaulted_hist = 0;
  for (uint64_t n : t.latency) hist += n;
  for (uint64_t n : t.unfaulted_latency) unfaulted_hist += n;
  EXPECT_EQ(hist, 7u);
  EXPECT_EQ(unfaulted_hist, 4u);
  EXPECT_EQ(t.unfaulted_latency[LatencyBuckets::index(500000)], 0u);
}

TEST(Timeseries, BucketIsTheDifferenceOfTwoSamples) {
  SeriesCounters c;
  SeriesTotals before;
  c.record(200, false, false, 1000);
  c.add_to(before);
  for (int i = 0; i < 5; ++i) c.record(502, false, false, 3000);
  c.record(503, true, true, 10);
  SeriesTotals after;
  c.add_to(after);
  SecondBucket b = bucket_between(before, after, 1234);
  EXPECT_EQ(b.time, 1234);
  EXPECT_EQ(b.requests, 6u);
  EXPECT_EQ(b.errors_real, 5u);
  EXPECT_EQ(b.errors_injected, 1u);
  EXPECT_EQ(b.unfaulted_requests, 5u);
  EXPECT_EQ(b.unfaulted_errors, 5u);
  EXPECT_EQ(b.latency[LatencyBuckets::index(3000)], 5u);
  EXPECT_EQ(b.latency[LatencyBuckets::index(1000)], 0u);
  // A counter that went backwards is a 0, never a huge unsigned number.
  SecondBucket reversed = bucket_between(after, before, 1235);
  EXPECT_EQ(reversed.requests, 0u);
}

TEST(Timeseries, QuantilesLandWithinABucketOfTheTruth) {
  SeriesCounters c;
  // 1..1000 ms, one each: p50 = 500 ms, p99 = 990 ms.
  for (uint64_t ms = 1; ms <= 1000; ++ms) c.record(200, false, false, ms * 1000);
  SeriesTotals t;
  c.add_to(t);
  const double p50 = latency_quantile(std::span<const uint64_t>(t.latency), 0.5).value();
  const double p99 = latency_quantile(std::span<const uint64_t>(t.latency), 0.99).value();
  EXPECT_NEAR(p50, 0.5, 0.5 * 0.25);
  EXPECT_NEAR(p99, 0.99, 0.99 * 0.25);
  EXPECT_LT(p50, p99);
  std::array<uint64_t, LatencyBuckets::kCount + 1> empty{};
  EXPECT_FALSE(latency_quantile(std::span<const uint64_t>(empty), 0.5).has_value());
}

TEST(Timeseries, AllInOneBucketStaysInsideIt) {
  std::array<uint32_t, LatencyBuckets::kCount + 1> counts{};
  const size_t i = LatencyBuckets::index(200000);  // 200 ms
  counts[i] = 10;
  const double p50 = latency_quantile(std::span<const uint32_t>(counts), 0.5).value() * 1e6;
  EXPECT_GT(p50, LatencyBuckets::kUpperUs[i - 1]);
  EXPECT_LE(p50, LatencyBuckets::kUpperUs[i]);
}

TEST(SecondsRing, KeepsTheNewestCapacitySeconds) {
  SecondsRing ring(600);
  for (int64_t t = 1; t <= 700; ++t) {
    SecondBucket b;
    b.time = t;
    b.requests = static_cast<uint64_t>(t);
    ring.push(b);
  }
  EXPECT_EQ(ring.size(), 600u);
  std::vector<SecondBucket> all = ring.last(700, 600);
  ASSERT_EQ(all.size(), 600u);
  EXPECT_EQ(all.front().time, 101);  // oldest first
  EXPECT_EQ(all.back().time, 700);
  std::vector<SecondBucket> minute = ring.last(700, 60);
  ASSERT_EQ(minute.size(), 60u);
  EXPECT_EQ(minute.front().time, 641);
  EXPECT_TRUE(ring.last(800, 60).empty());  // nothing sampled in the last minute
}

TEST(SecondsRing, TwoTicksInOneSecondMerge) {
  SecondsRing ring(10);
  SecondBucket a;
  a.time = 5;
  a.requests = 2;
  a.latency[3] = 2;
  ring.push(a);
  a.requests = 3;
  a.latency[3] = 3;
  ring.push(a);
  std::vector<SecondBucket> all = ring.last(5, 10);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].requests, 5u);
  EXPECT_EQ(all[0].latency[3], 5u);
}

TEST(TimeseriesStore, KeepsTenMinutesPerListener) {
  EXPECT_GE(TimeseriesStore::kSeconds, 600u);
  TimeseriesStore store;
  for (int64_t t = 1; t <= 1000; ++t) {
    SecondBucket b;
    b.time = t;
    store.push("web", b);
    if (t % 2 == 0) store.push("api", b);
  }
  EXPECT_EQ(store.last("web", 1000, 600)->size(), 600u);
  EXPECT_EQ(store.last("api", 1000, 600)->size(), 300u);
  EXPECT_FALSE(store.last("nope", 1000, 600).has_value());
  store.retain({"web"});
  EXPECT_FALSE(store.last("api", 1000, 600).has_value());
  EXPECT_EQ(store.listeners(), std::vector<std::string>{"web"});
}

}  // namespace
}  // namespace faultline::proxy
