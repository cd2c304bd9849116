// The pass-through path allocates nothing: decide() with no experiments, with non-matching
// experiments and with header triggers enabled but absent. Counted by replacing operator new
// in this test binary.
#include <gtest/gtest.h>

#include "allocation_counter.h"
#include "faults_fixtures.h"

namespace faultline::faults {
namespace {

using namespace testing;
using allocation_counter::allocations;

long allocations_during_decides(const Engine& engine, const Request& request) {
  Rng rng(1);
  const RequestHead head = request.head();
  const long before = allocations.load();
  for (int i = 0; i < 100; ++i) {
    Plan plan = decide(*engine.snapshot, head, rng, t0(), 0);
    EXPECT_TRUE(plan.empty());
  }
  return allocations.load() - before;
}

TEST(DecideAllocations, NoneOnThePassThroughPath) {
  Request request;
  request.path = "/api/items?page=2";
  request.headers = {{"host", "example"}, {"accept", "*/*"}};

  Engine empty;
  ASSERT_TRUE(empty.build(make_config({})));
  EXPECT_EQ(allocations_during_decides(empty, request), 0);

  auto e = experiment("e1", {fault("latency", {{"delay", str("1s")}})});
  e.match.paths = {"/never/*"};
  auto config = make_config({e});
  Engine non_matching;
  ASSERT_TRUE(non_matching.build(config));
  EXPECT_EQ(allocations_during_decides(non_matching, request), 0);

  auto with_triggers = make_config({e});
  with_triggers->header_triggers.enabled = true;
  Engine triggers;
  ASSERT_TRUE(triggers.build(with_triggers));
  EXPECT_EQ(allocations_during_decides(triggers, request), 0);

  // The counter itself works: an injected abort copies its response body.
  Engine aborting;
  ASSERT_TRUE(aborting.build(make_config({experiment("e2", {fault("abort", {})})})));
  Rng rng(1);
  const long before = allocations.load();
  const Plan plan = decide(*aborting.snapshot, request.head(), rng, t0(), 0);
  EXPECT_EQ(plan.terminal, Terminal::kRespond);
  EXPECT_GT(allocations.load() - before, 0);
}

}  // namespace
}  // namespace faultline::faults
