// Fault counters seen through the admin API: dry_run counts matches without injecting.
#include <nlohmann/json.hpp>

#include "tests/integration/support.h"

namespace faultline::harness {
namespace {

TEST(FaultAdmin, DryRunCountsMatchesWithoutInjecting) {
  HttpUpstream up;
  START_PROXY(proxy, http_config(up.address(), "", R"(
[[experiments]]
name = "rehearsal"
dry_run = true
[experiments.match]
paths = ["/api/*"]
[[experiments.faults]]
type = "abort"
status = 503
)"));
  RawClient client(proxy.listener("main"));
  for (int i = 0; i < 25; ++i) ASSERT_EQ(client.request(get_request("/api/x")).status(), 200);
  for (int i = 0; i < 5; ++i) ASSERT_EQ(client.request(get_request("/other")).status(), 200);
  EXPECT_EQ(up.requests_seen(), 30u);
  nlohmann::json view;
  // Counters are summed across workers at read time; allow a moment for them to settle.
  bool settled = eventually([&] {
    auto r = admin_get(proxy, "/v1/experiments/rehearsal");
    if (r.status() != 200) return false;
    view = nlohmann::json::parse(r.body, nullptr, false);
    return !view.is_discarded() && view.contains("counters") &&
           view["counters"].value("matched", 0) == 25;
  });
  EXPECT_TRUE(settled) << "view: " << view.dump();
  ASSERT_TRUE(view.contains("counters"));
  EXPECT_EQ(view["counters"].value("matched", -1), 25);
  EXPECT_EQ(view.value("state", ""), "active");
  EXPECT_EQ(view.value("source", ""), "config");
}

TEST(FaultAdmin, InjectedCountersCountRealFaults) {
  HttpUpstream up;
  START_PROXY(proxy, http_config(up.address(), "", R"(
[[experiments]]
name = "errors"
[[experiments.faults]]
type = "abort"
status = 503
)"));
  RawClient client(proxy.listener("main"));
  for (int i = 0; i < 10; ++i) ASSERT_EQ(client.request(get_request("/")).status(), 503);
  nlohmann::json view;
  bool settled = eventually([&] {
    auto r = admin_get(proxy, "/v1/experiments/errors");
    view = nlohmann::json::parse(r.body, nullptr, false);
    return !view.is_discarded() && view.contains("counters") &&
           view["counters"].value("matched", 0) == 10;
  });
  EXPECT_TRUE(settled) << view.dump();
  EXPECT_NE(view.dump().find("\"abort\":10"), std::string::npos)
      << "expected counters.injected abort = 10: " << view.dump();
}

}  // namespace
}  // namespace faultline::harness
