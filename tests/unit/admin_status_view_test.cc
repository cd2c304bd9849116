// GET /v1/status as the admin layer renders it from the runtime's typed report: the SPEC §4
// keys and their JSON types, exactly, so that a change to the layout is a deliberate one.
#include <gtest/gtest.h>

#include "proxy/admin/status_view.h"

namespace faultline::proxy::admin {
namespace {

StatusReport sample_report() {
  StatusReport r;
  r.version = "1.2.3";
  r.uptime = std::chrono::seconds(3725);
  r.halted = true;
  r.draining = false;
  StatusReport::Listener web;
  web.name = "web";
  web.listen = {"127.0.0.1", 15001};
  web.upstream = {"::1", 8080};
  web.protocol = config::Protocol::kHttp;
  web.requests = 120;
  web.connections_active = 3;
  web.upstream_errors_connect = 1;
  web.upstream_errors_timeout = 2;
  web.upstream_errors_reset = 4;
  StatusReport::Listener db;
  db.name = "db";
  db.listen = {"0.0.0.0", 16379};
  db.upstream = {"redis.internal", 6379};
  db.protocol = config::Protocol::kTcp;
  r.listeners = {web, db};
  r.experiments = {.active = 2, .paused = 1, .expired = 4};
  return r;
}

TEST(AdminStatusView, EveryKeyWithItsType) {
  const nlohmann::json j = status_view(sample_report());
  EXPECT_EQ(j.dump(),
            R"({"draining":false,"experiments":{"active":2,"expired":4,"paused":1,"total":7},)"
            R"("halted":true,"last_reload":{"result":"none"},"listeners":[)"
            R"({"connections_active":3,"enabled":true,"listen":"127.0.0.1:15001","name":"web",)"
            R"("protocol":"http","requests":120,"source":"config","upstream":"[::1]:8080",)"
            R"("upstream_errors":{"connect":1,"reset":4,"timeout":2}},)"
            R"({"connections_active":0,"enabled":true,"listen":"0.0.0.0:16379","name":"db",)"
            R"("protocol":"tcp","requests":0,"source":"config","upstream":"redis.internal:6379",)"
            R"("upstream_errors":{"connect":0,"reset":0,"timeout":0}}],)"
            R"("uptime_seconds":3725,"version":"1.2.3"})");
  EXPECT_TRUE(j["uptime_seconds"].is_number_integer());
  EXPECT_TRUE(j["listeners"][0]["requests"].is_number_unsigned());
}

TEST(AdminStatusView, ABoundListenerShowsItsAddressAndADisabledOneNone) {
  StatusReport r = sample_report();
  r.listeners[0].address = "127.0.0.1:15001";
  r.listeners[1].enabled = false;
  r.listeners[1].source = "toxiproxy";
  const nlohmann::json j = status_view(r);
  EXPECT_EQ(j["listeners"][0]["address"], "127.0.0.1:15001");
  EXPECT_FALSE(j["listeners"][1].contains("address"));
  EXPECT_EQ(j["listeners"][1]["enabled"], false);
  EXPECT_EQ(j["listeners"][1]["source"], "toxiproxy");
}

TEST(AdminStatusView, LastReloadNamesItsResultAndOnlyAnErrorCarriesIt) {
  StatusReport r = sample_report();
  r.last_reload = {StatusReport::ReloadResult::kOk, {}};
  EXPECT_EQ(status_view(r)["last_reload"], nlohmann::json({{"result", "ok"}}));
  r.last_reload = {StatusReport::ReloadResult::kError, "c.toml:3:1: expected value"};
  EXPECT_EQ(status_view(r)["last_reload"],
            nlohmann::json({{"result", "error"}, {"error", "c.toml:3:1: expected value"}}));
}

TEST(AdminStatusView, NoListenersIsAnEmptyArray) {
  StatusReport r;
  const nlohmann::json j = status_view(r);
  EXPECT_TRUE(j["listeners"].is_array());
  EXPECT_TRUE(j["listeners"].empty());
  EXPECT_EQ(j["experiments"]["total"], 0);
}

}  // namespace
}  // namespace faultline::proxy::admin

namespace faultline::proxy::admin {
namespace {

// Why the proxy is halted (an operator, a stop condition, a restart): only while halted.
TEST(AdminStatusView, HaltReasonOnlyWhileHalted) {
  StatusReport r;
  r.halted = true;
  r.halt_reason = "auto-halt: stop condition \"users-failing\": error_rate 0.213 above 0.1";
  EXPECT_EQ(status_view(r)["halt_reason"], r.halt_reason);
  r.halted = false;
  EXPECT_FALSE(status_view(r).contains("halt_reason"));
  r.halted = true;
  r.halt_reason.clear();
  EXPECT_FALSE(status_view(r).contains("halt_reason"));
}

}  // namespace
}  // namespace faultline::proxy::admin
