// /v1/events (SPEC §4, issue 4 point 6): every change made through the API — create,
// replace, pause, resume, delete, halt, unhalt, reload — is in the audit trail with time,
// client address, action, experiment and result, failed ones included.
#include "tests/integration/admin/admin_support.h"

namespace faultline::harness::admin_test {
namespace {

struct Expected {
  std::string action;
  std::string experiment;
  bool ok;
};

// The events caused by API clients (the runtime may add its own, e.g. for a SIGHUP reload).
nlohmann::json api_events(const nlohmann::json& events) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& e : events)
    if (e.value("client", "") == "127.0.0.1") out.push_back(e);
  return out;
}

std::string describe(const nlohmann::json& events) {
  std::string out;
  for (const auto& e : events) out += e.dump() + "\n";
  return out;
}

TEST(Events, EveryChangeIsAuditedWithItsResult) {
  HttpUpstream up;
  const std::string experiment =
      R"({"name": "audited", "faults": [{"type": "latency", "delay": "1ms"}]})";
  ADMIN_START_PROXY(proxy, proxy_config(up.address()));
  const Endpoint admin = proxy.admin();
  const auto start = std::chrono::system_clock::now() - std::chrono::milliseconds(1);

  ApiReply initial = api_get(admin, "/v1/events");
  ASSERT_EQ(initial.status(), 200) << initial;
  ASSERT_TRUE(initial.json.is_array()) << initial;
  EXPECT_TRUE(api_events(initial.json).empty()) << describe(initial.json);

  std::vector<Expected> expected;
  auto expect_status = [&](ApiReply r, int status, Expected e) {
    EXPECT_EQ(r.status(), status) << e.action << " " << e.experiment << ": " << r;
    expected.push_back(std::move(e));
  };
  expect_status(api_send(admin, "POST", "/v1/experiments", experiment), 201,
                {"create", "audited", true});
  expect_status(api_send(admin, "POST", "/v1/experiments", experiment), 409,
                {"create", "audited", false});
  expect_status(api_send(admin, "POST", "/v1/experiments",
                         R"({"name": "invalid", "faults": [{"type": "latency", "delay": "x"}]})"),
                400, {"create", "invalid", false});
  expect_status(api_send(admin, "PUT", "/v1/experiments/audited", experiment), 200,
                {"replace", "audited", true});
  expect_status(api_send(admin, "POST", "/v1/experiments/audited/pause"), 200,
                {"pause", "audited", true});
  expect_status(api_send(admin, "POST", "/v1/experiments/audited/resume"), 200,
                {"resume", "audited", true});
  expect_status(api_send(admin, "POST", "/v1/experiments/ghost/pause"), 404,
                {"pause", "ghost", false});
  expect_status(api_send(admin, "DELETE", "/v1/experiments/audited"), 204,
                {"delete", "audited", true});
  expect_status(api_send(admin, "DELETE", "/v1/experiments/audited"), 404,
                {"delete", "audited", false});
  expect_status(api_send(admin, "POST", "/v1/halt"), 200, {"halt", "", true});
  expect_status(api_send(admin, "DELETE", "/v1/halt"), 200, {"unhalt", "", true});
  expect_status(api_send(admin, "POST", "/v1/reload"), 200, {"reload", "", true});
  replace_file(proxy.config_path(), "[admin\n");
  ApiReply failed_reload = api_send(admin, "POST", "/v1/reload");
  EXPECT_GE(failed_reload.status(), 400) << failed_reload;
  expected.push_back({"reload", "", false});
  // Reads are not changes.
  api_get(admin, "/v1/experiments");
  api_get(admin, "/v1/status");
  const auto end = std::chrono::system_clock::now() + std::chrono::milliseconds(1);

  ApiReply events = api_get(admin, "/v1/events");
  ASSERT_EQ(events.status(), 200) << events;
  ASSERT_TRUE(events.json.is_array()) << events;
  // Every event of the trail is checked for its fields; the API's own must be exactly ours.
  for (const auto& e : events.json)
    for (const char* key : {"time", "client", "action", "experiment", "result"})
      EXPECT_TRUE(e.contains(key)) << key << " missing: " << e.dump();
  const nlohmann::json list = api_events(events.json);
  ASSERT_EQ(list.size(), expected.size()) << describe(events.json);
  std::optional<std::chrono::system_clock::time_point> previous;
  for (size_t i = 0; i < expected.size(); ++i) {
    const auto& e = list[i];
    SCOPED_TRACE("event " + std::to_string(i) + ": " + e.dump());
    EXPECT_EQ(e.value("action", ""), expected[i].action);
    EXPECT_EQ(e.value("experiment", ""), expected[i].experiment);
    EXPECT_EQ(e.value("client", ""), "127.0.0.1");
    const std::string result = e.value("result", "");
    if (expected[i].ok) {
      EXPECT_EQ(result, "ok");
    } else {
      EXPECT_EQ(result.rfind("error", 0), 0u) << "a failure must read as an error";
      EXPECT_GT(result.size(), std::string("error: ").size()) << "and say why";
    }
    auto time = parse_utc(e.value("time", ""));
    ASSERT_TRUE(time.has_value()) << "time is not RFC 3339 UTC";
    EXPECT_GE(*time, start);
    EXPECT_LE(*time, end);
    if (previous) {
      EXPECT_GE(*time, *previous) << "events out of order";
    }
    previous = time;
  }
}

TEST(Events, UnauthorizedCallsChangeNothingAndTheTrailNeedsTheToken) {
  HttpUpstream up;
  ADMIN_START_PROXY(proxy, proxy_config(up.address(), "", "token = \"t0ken\"\n"));
  EXPECT_EQ(api_get(proxy.admin(), "/v1/events").status(), 401);
  EXPECT_EQ(api_send(proxy.admin(), "POST", "/v1/halt", {}, "bad").status(), 401);
  ASSERT_EQ(api_send(proxy.admin(), "POST", "/v1/halt", {}, "t0ken").status(), 200);
  ApiReply events = api_get(proxy.admin(), "/v1/events", "t0ken");
  ASSERT_EQ(events.status(), 200) << events;
  const nlohmann::json list = api_events(events.json);
  ASSERT_EQ(list.size(), 1u) << describe(events.json);
  EXPECT_EQ(list[0].value("action", ""), "halt");
  EXPECT_EQ(list[0].value("result", ""), "ok");
}

}  // namespace
}  // namespace faultline::harness::admin_test
