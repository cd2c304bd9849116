// SPEC §2: "Within an experiment faults apply in the order written". A latency written
// before an abort delays the abort (as Envoy's fault filter does: delay, then abort).
#include "tests/integration/support.h"

namespace faultline::harness {
namespace {

TEST(FaultOrder, LatencyWrittenBeforeAnAbortDelaysTheAbort) {
  HttpUpstream up;
  START_PROXY(proxy, http_config(up.address(), "", R"(
[[experiments]]
name = "slow-errors"
[[experiments.faults]]
type = "latency"
delay = "400ms"
[[experiments.faults]]
type = "abort"
status = 503
)"));
  auto r = one_request(proxy.listener("main"), get_request("/"));
  ASSERT_TRUE(r.complete()) << r;
  EXPECT_EQ(r.status(), 503);
  EXPECT_GE(r.elapsed.count(), 400) << "the abort skipped the latency written before it";
  EXPECT_EQ(up.requests_seen(), 0u);
}

TEST(FaultOrder, HeaderDelayWithHeaderAbortDelaysTheAbort) {
  HttpUpstream up;
  START_PROXY(proxy, http_config(up.address(), "", header_triggers()));
  auto r = one_request(proxy.listener("main"),
                       get_request("/", {{"x-chaos-delay", "400"}, {"x-chaos-abort", "503"}}));
  ASSERT_TRUE(r.complete()) << r;
  EXPECT_EQ(r.status(), 503);
  EXPECT_GE(r.elapsed.count(), 400) << "x-chaos-abort ignored x-chaos-delay";
}

}  // namespace
}  // namespace faultline::harness
