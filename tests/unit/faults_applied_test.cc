// The access log's facts from decide() (issue 8 items 14 and 16): every fault applied, its
// source and the value applied (after jitter and the safety.max_delay cap), and why header
// triggers were ignored (unknown x-chaos-experiment names are counted).
#include <gtest/gtest.h>

#include "faults/decide.h"
#include "faults/views.h"
#include "faults_fixtures.h"

namespace faultline::faults {
namespace {

using namespace testing;
using namespace std::chrono_literals;

size_t rejected(const RunState& run, RejectReason reason) {
  return header_totals(run).rejected[static_cast<size_t>(reason)];
}

TEST(AppliedFaults, NamesEachFaultItsExperimentAndItsValue) {
  Engine engine;
  ASSERT_TRUE(engine.build(make_config({experiment(
      "checkout", {fault("latency", {{"delay", str("300ms")}, {"phase", str("response")}}),
                   fault("abort", {{"status", integer(503)}})})})))
      << engine.errors();
  Rng rng(1);
  const Plan plan = decide(*engine.snapshot, Request{}.head(), rng, t0(), 0);
  ASSERT_EQ(plan.applied.size(), 2u);
  EXPECT_EQ(plan.applied[0].kind, "latency");
  EXPECT_EQ(plan.applied[0].experiment, "checkout");
  EXPECT_EQ(plan.applied[0].where, "response");
  EXPECT_EQ(plan.applied[0].ms, 300);
  EXPECT_EQ(plan.applied[1].kind, "abort");
  EXPECT_EQ(plan.applied[1].experiment, "checkout");
  EXPECT_EQ(plan.applied[1].status, 503);
}

TEST(AppliedFaults, HeaderFaultsHaveNoExperimentAndJitterIsTheValueApplied) {
  auto config = make_config({});
  config->header_triggers.enabled = true;
  Engine engine;
  ASSERT_TRUE(engine.build(config));
  Rng rng(7);
  Request r;
  r.headers = {{"x-chaos-delay", "200ms"}, {"x-chaos-jitter", "100ms"}, {"x-chaos-abort", "418"}};
  const Plan plan = decide(*engine.snapshot, r.head(), rng, t0(), 0);
  ASSERT_EQ(plan.applied.size(), 2u);
  EXPECT_EQ(plan.applied[0].kind, "latency");
  EXPECT_TRUE(plan.applied[0].experiment.empty());
  EXPECT_EQ(plan.applied[0].ms, plan.request_delay.count()) << "the sampled delay, not 200";
  EXPECT_GE(plan.applied[0].ms, 100);
  EXPECT_LE(plan.applied[0].ms, 300);
  EXPECT_EQ(plan.applied[1].kind, "abort");
  EXPECT_EQ(plan.applied[1].status, 418);
}

TEST(AppliedFaults, RecordsShareTheMaxDelayCapInOrder) {
  auto config = make_config({experiment("slow", {fault("latency", {{"delay", str("800ms")}})})});
  config->header_triggers.enabled = true;
  config->safety.max_delay = 1s;
  Engine engine;
  ASSERT_TRUE(engine.build(config)) << engine.errors();
  Rng rng(1);
  Request r;
  r.headers = {{"x-chaos-delay", "500ms"}};
  const Plan plan = decide(*engine.snapshot, r.head(), rng, t0(), 0);
  EXPECT_EQ(plan.request_delay, 1000ms);
  ASSERT_EQ(plan.applied.size(), 2u);
  EXPECT_EQ(plan.applied[0].ms, 500);  // header triggers come first
  EXPECT_EQ(plan.applied[1].ms, 500);  // what was left of the cap, not 800
}

TEST(IgnoredTriggers, UnknownExperimentNamesAreCountedAndReported) {
  auto opt_in = experiment("beta", {fault("latency", {{"delay", str("10ms")}})});
  opt_in.trigger = config::Trigger::kHeader;
  auto config = make_config({opt_in});
  config->header_triggers.enabled = true;
  Engine engine;
  ASSERT_TRUE(engine.build(config)) << engine.errors();
  Rng rng(1);
  Request r;
  r.headers = {{"x-chaos-experiment", "beta, betta"}};
  const Plan plan = decide(*engine.snapshot, r.head(), rng, t0(), 0);
  EXPECT_EQ(plan.request_delay, 10ms) << "the known name still applies";
  EXPECT_EQ(plan.unknown_experiment, "betta");
  EXPECT_EQ(plan.trigger_rejected, static_cast<int8_t>(RejectReason::kUnknownExperiment));
  EXPECT_EQ(rejected(*engine.run, RejectReason::kUnknownExperiment), 1u);

  r.headers = {{"x-chaos-experiment", "beta"}};
  const Plan known = decide(*engine.snapshot, r.head(), rng, t0(), 0);
  EXPECT_EQ(known.trigger_rejected, kNoRejection);
  EXPECT_EQ(rejected(*engine.run, RejectReason::kUnknownExperiment), 1u);
  EXPECT_EQ(reject_reason_name(RejectReason::kUnknownExperiment), "unknown_experiment");
}

TEST(IgnoredTriggers, AWrongTokenSaysWhy) {
  auto config = make_config({});
  config->header_triggers.enabled = true;
  config->header_triggers.token = "s3cret";
  Engine engine;
  ASSERT_TRUE(engine.build(config));
  Rng rng(1);
  Request r;
  r.headers = {{"x-chaos-experiment", "nope"}, {"x-chaos-token", "guess"}};
  const Plan plan = decide(*engine.snapshot, r.head(), rng, t0(), 0);
  EXPECT_EQ(plan.trigger_rejected, static_cast<int8_t>(RejectReason::kToken));
  // Names are not checked for a request that may not use triggers.
  EXPECT_EQ(rejected(*engine.run, RejectReason::kUnknownExperiment), 0u);
}

}  // namespace
}  // namespace faultline::faults
