// Audit trail entries for changes that do not come through an API call: a SIGHUP reload
// and an experiment running out of time (issue 4 point 6 lists reload and expiry).
#include <csignal>

#include "tests/integration/admin/admin_support.h"

namespace faultline::harness::admin_test {
namespace {

// The first event whose action is `action`, or null.
nlohmann::json find_event(const Endpoint& admin, const std::string& action) {
  ApiReply events = api_get(admin, "/v1/events");
  if (!events.json.is_array()) return nullptr;
  for (const auto& e : events.json)
    if (e.value("action", "") == action) return e;
  return nullptr;
}

TEST(SignalAndExpiryEvents, SighupReloadIsAudited) {
  HttpUpstream up;
  ADMIN_START_PROXY(proxy, proxy_config(up.address()));
  proxy.signal(SIGHUP);
  nlohmann::json event;
  EXPECT_TRUE(eventually(
      [&] {
        event = find_event(proxy.admin(), "reload");
        return !event.is_null();
      },
      Millis(3000)))
      << "no reload event after SIGHUP: " << api_get(proxy.admin(), "/v1/events").body();
  if (!event.is_null()) {
    EXPECT_EQ(event.value("result", ""), "ok") << event.dump();
    EXPECT_TRUE(parse_utc(event.value("time", "")).has_value()) << event.dump();
  }
  // A failing SIGHUP reload is audited as an error.
  replace_file(proxy.config_path(), "[admin\n");
  proxy.signal(SIGHUP);
  EXPECT_TRUE(eventually(
      [&] {
        ApiReply events = api_get(proxy.admin(), "/v1/events");
        for (const auto& e : events.json)
          if (e.value("action", "") == "reload" && e.value("result", "").rfind("error", 0) == 0)
            return true;
        return false;
      },
      Millis(3000)))
      << api_get(proxy.admin(), "/v1/events").body();
}

TEST(SignalAndExpiryEvents, ExpiryIsAudited) {
  HttpUpstream up;
  ADMIN_START_PROXY(proxy, proxy_config(up.address()));
  ASSERT_EQ(api_send(proxy.admin(), "POST", "/v1/experiments",
                     R"({"name": "short-lived", "duration": "1s",
                         "faults": [{"type": "latency", "delay": "1ms"}]})")
                .status(),
            201);
  EXPECT_TRUE(eventually(
      [&] {
        return api_get(proxy.admin(), "/v1/experiments/short-lived").str("state") == "expired";
      },
      Millis(3000)));
  nlohmann::json event;
  EXPECT_TRUE(eventually(
      [&] {
        event = find_event(proxy.admin(), "expire");
        if (event.is_null()) event = find_event(proxy.admin(), "expiry");
        return !event.is_null();
      },
      Millis(3000)))
      << "no expiry event: " << api_get(proxy.admin(), "/v1/events").body();
  if (!event.is_null()) {
    EXPECT_EQ(event.value("experiment", ""), "short-lived") << event.dump();
  }
}

}  // namespace
}  // namespace faultline::harness::admin_test
