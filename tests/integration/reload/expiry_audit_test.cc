// Expiry events: when an experiment's duration runs out, /v1/events records one "expiry"
// event for it — once per run, again after a reload or replace restarts its clock.
#include "tests/integration/reload/reload_support.h"

namespace faultline::harness {
namespace {

TEST(ExpiryAudit, AConfigExperimentThatRunsOutIsReportedOnce) {
  HttpUpstream up;
  START_PROXY(proxy, http_config(up.address(), "",
                                 abort_experiment("short-lived", "duration = \"1s\"\n") +
                                     abort_experiment("long-lived",
                                                      "duration = \"1h\"\n"
                                                      "trigger = \"header\"\n")));
  ASSERT_TRUE(eventually([&] { return count_events(proxy, "expiry", "short-lived") == 1; }, 6s))
      << admin_json(proxy, "/v1/events").dump();
  EXPECT_EQ(experiment_state(proxy, "short-lived"), "expired");
  EXPECT_EQ(one_request(proxy.listener("main"), get_request("/")).status(), 200);

  nlohmann::json events = admin_json(proxy, "/v1/events");
  for (const auto& e : events) {
    if (e.value("action", "") != "expiry") continue;
    EXPECT_EQ(e.value("client", ""), "faultline");
    EXPECT_EQ(e.value("result", ""), "ok");
    EXPECT_FALSE(e.value("time", "").empty());
  }

  // Several more ticks: still one event, and nothing for the experiment that is running.
  std::this_thread::sleep_for(2500ms);
  EXPECT_EQ(count_events(proxy, "expiry", "short-lived"), 1u)
      << admin_json(proxy, "/v1/events").dump();
  EXPECT_EQ(count_events(proxy, "expiry", "long-lived"), 0u);
  EXPECT_EQ(experiment_state(proxy, "long-lived"), "active");
}

TEST(ExpiryAudit, AReloadRestartsTheClockAndTheNextExpiryIsReportedAgain) {
  HttpUpstream up;
  START_PROXY(proxy,
              http_config(up.address(), "", abort_experiment("again", "duration = \"1s\"\n")));
  ASSERT_TRUE(eventually([&] { return count_events(proxy, "expiry", "again") == 1; }, 6s));

  proxy.signal(SIGHUP);
  ASSERT_TRUE(eventually([&] { return count_events(proxy, "reload") == 1; }, 3s));
  ASSERT_TRUE(eventually([&] { return count_events(proxy, "expiry", "again") == 2; }, 6s))
      << admin_json(proxy, "/v1/events").dump();
  std::this_thread::sleep_for(1500ms);
  EXPECT_EQ(count_events(proxy, "expiry", "again"), 2u);
}

TEST(ExpiryAudit, AnApiExperimentIsReportedAndAReplaceStartsANewRun) {
  HttpUpstream up;
  START_PROXY(proxy, http_config(up.address()));
  const std::string body =
      R"({"name": "api-short", "duration": "1s", "faults": [{"type": "abort", "status": 503}]})";
  int status = 0;
  admin_send(proxy, "PUT", "/v1/experiments/api-short", body, &status);
  ASSERT_EQ(status, 201);
  ASSERT_TRUE(eventually([&] { return count_events(proxy, "expiry", "api-short") == 1; }, 6s))
      << admin_json(proxy, "/v1/events").dump();

  admin_send(proxy, "PUT", "/v1/experiments/api-short", body, &status);
  ASSERT_EQ(status, 200);
  ASSERT_TRUE(eventually([&] { return count_events(proxy, "expiry", "api-short") == 2; }, 6s))
      << admin_json(proxy, "/v1/events").dump();

  // A deleted experiment is not reported again.
  admin_send(proxy, "DELETE", "/v1/experiments/api-short", "", &status);
  ASSERT_EQ(status, 204);
  std::this_thread::sleep_for(1500ms);
  EXPECT_EQ(count_events(proxy, "expiry", "api-short"), 2u);
}

}  // namespace
}  // namespace faultline::harness
