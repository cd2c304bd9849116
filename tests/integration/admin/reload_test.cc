// Reload (SPEC §1 signals, §4; issue 4 point 4): SIGHUP and POST /v1/reload apply a changed
// config; a config that fails validation is not applied and is reported by /v1/status, the
// reload answer and faultline_config_reloads_total{result="error"}; API experiments
// survive. Listener changes by reload: reload_listeners_test.cc.
#include <csignal>

#include "tests/integration/admin/admin_support.h"

namespace faultline::harness::admin_test {
namespace {

std::string abort_experiment(const std::string& name, const std::string& path, int status) {
  return "\n[[experiments]]\nname = \"" + name + "\"\n[experiments.match]\npaths = [\"" + path +
         "\"]\n[[experiments.faults]]\ntype = \"abort\"\nstatus = " + std::to_string(status) + "\n";
}

class Reload : public ::testing::Test {
 protected:
  void SetUp() override {
    proxy_ = std::make_unique<ProxyProcess>(config(abort_experiment("first", "/first", 501)));
    ASSERT_TRUE(proxy_->ready()) << proxy_->failure() << proxy_->stderr_text();
    admin_ = proxy_->admin();
    listener_ = proxy_->listener("main");
  }
  std::string config(const std::string& tail) const { return proxy_config(up_.address(), tail); }
  void rewrite(const std::string& tail) { replace_file(proxy_->config_path(), config(tail)); }
  double reloads(const std::string& result) {
    return metric(scrape(admin_), "faultline_config_reloads_total", {{"result", result}})
        .value_or(-1);
  }
  int status_of(const std::string& path) { return proxy_get(listener_, path).status(); }

  HttpUpstream up_;
  std::unique_ptr<ProxyProcess> proxy_;
  Endpoint admin_;
  Endpoint listener_;
};

TEST_F(Reload, PostReloadAppliesAChangedConfig) {
  ASSERT_EQ(status_of("/first"), 501);
  rewrite(abort_experiment("first", "/first", 502) + abort_experiment("second", "/second", 503));
  ApiReply r = api_send(admin_, "POST", "/v1/reload");
  ASSERT_EQ(r.status(), 200) << r;
  // The reload is in force when it is answered.
  EXPECT_EQ(status_of("/first"), 502);
  EXPECT_EQ(status_of("/second"), 503);
  EXPECT_EQ(api_get(admin_, "/v1/experiments/second").str("source"), "config");
  EXPECT_EQ(reloads("ok"), 1.0);
  EXPECT_EQ(reloads("error"), 0.0);
  ApiReply status = api_get(admin_, "/v1/status");
  EXPECT_EQ(status.json["last_reload"].value("result", ""), "ok") << status;

  // Removing an experiment from the file removes it from the proxy.
  rewrite(abort_experiment("second", "/second", 503));
  ASSERT_EQ(api_send(admin_, "POST", "/v1/reload").status(), 200);
  EXPECT_EQ(status_of("/first"), 200);
  EXPECT_EQ(api_get(admin_, "/v1/experiments/first").status(), 404);
}

TEST_F(Reload, SighupAppliesAChangedConfig) {
  rewrite(abort_experiment("first", "/first", 501) + abort_experiment("hup", "/hup", 504));
  proxy_->signal(SIGHUP);
  EXPECT_TRUE(eventually([&] { return status_of("/hup") == 504; }, Millis(3000)))
      << "SIGHUP did not apply the new experiment";
  EXPECT_TRUE(eventually([&] { return reloads("ok") == 1.0; }, Millis(1000)));
  EXPECT_EQ(status_of("/first"), 501);
}

TEST_F(Reload, AnInvalidConfigIsNotAppliedAndIsReported) {
  rewrite(abort_experiment("first", "/first", 502) + R"(
[[experiments]]
name = "broken"
[[experiments.faults]]
type = "latency"
delay = "a while"
)");
  ApiReply r = api_send(admin_, "POST", "/v1/reload");
  EXPECT_GE(r.status(), 400) << r;
  EXPECT_LT(r.status(), 600) << r;
  EXPECT_NE(r.str("error").find("delay"), std::string::npos) << r;
  // The old config keeps running: 501 from the old experiment, not 502 from the new file.
  EXPECT_EQ(status_of("/first"), 501);
  EXPECT_EQ(api_get(admin_, "/v1/experiments/broken").status(), 404);
  EXPECT_EQ(reloads("error"), 1.0);
  EXPECT_EQ(reloads("ok"), 0.0);
  ApiReply status = api_get(admin_, "/v1/status");
  ASSERT_TRUE(status.json.contains("last_reload")) << status;
  EXPECT_EQ(status.json["last_reload"].value("result", ""), "error") << status;
  EXPECT_NE(status.json["last_reload"].value("error", "").find("delay"), std::string::npos)
      << status;

  // SIGHUP with the same bad file: another error, still the old config.
  proxy_->signal(SIGHUP);
  EXPECT_TRUE(eventually([&] { return reloads("error") == 2.0; }, Millis(3000)));
  EXPECT_EQ(status_of("/first"), 501);

  // A syntax error is refused the same way.
  replace_file(proxy_->config_path(), "[[listeners]\nname = ");
  EXPECT_GE(api_send(admin_, "POST", "/v1/reload").status(), 400);
  EXPECT_EQ(reloads("error"), 3.0);
  EXPECT_EQ(status_of("/first"), 501);

  // Fixing the file recovers, and the status says so.
  rewrite(abort_experiment("first", "/first", 502));
  ASSERT_EQ(api_send(admin_, "POST", "/v1/reload").status(), 200);
  EXPECT_EQ(status_of("/first"), 502);
  EXPECT_EQ(api_get(admin_, "/v1/status").json["last_reload"].value("result", ""), "ok");
}

// Issue 8 leftover: reloads used the plain loader, which stops at the first decode error, so
// a reload named a later experiment's key while `check` named the earlier fault first. A reload
// now validates like `run` and `check`: the same first error, and how many more there are.
TEST_F(Reload, ARefusedReloadNamesWhatCheckNames) {
  rewrite(abort_experiment("first", "/first", 999) + R"(
[[experiments]]
name = "later"
duration = "soon"
[[experiments.faults]]
type = "abort"
)");
  CommandResult check = run_faultline({"check", proxy_->config_path()});
  ASSERT_TRUE(check.status && check.status->exited && check.status->code == 1) << check.err;
  const std::string first_error = check.err.substr(0, check.err.find('\n'));
  ASSERT_NE(first_error.find("experiments[0].faults[0].status"), std::string::npos) << check.err;

  ApiReply r = api_send(admin_, "POST", "/v1/reload");
  EXPECT_EQ(r.status(), 400) << r;
  EXPECT_EQ(r.str("error"), first_error + " (and 1 more; `faultline check " +
                                proxy_->config_path() + "` lists them)")
      << r;
  // The old config keeps working, and the status reports the refusal.
  EXPECT_EQ(status_of("/first"), 501);
  EXPECT_EQ(api_get(admin_, "/v1/experiments/later").status(), 404);
  EXPECT_EQ(reloads("error"), 1.0);
  ApiReply status = api_get(admin_, "/v1/status");
  EXPECT_EQ(status.json["last_reload"].value("error", ""), r.str("error")) << status;

  // SIGHUP (and the file watch, which calls the same reload) refuses it the same way.
  proxy_->signal(SIGHUP);
  EXPECT_TRUE(eventually([&] { return reloads("error") == 2.0; }, Millis(3000)));
  EXPECT_EQ(status_of("/first"), 501);
}

TEST_F(Reload, ApiExperimentsSurviveReloads) {
  ApiReply created = api_send(admin_, "POST", "/v1/experiments",
                              R"({"name": "from-api", "match": {"paths": ["/api"]},
                                  "faults": [{"type": "abort", "status": 507}]})");
  ASSERT_EQ(created.status(), 201) << created;
  ASSERT_EQ(status_of("/api"), 507);
  const std::string started = created.str("started_at");

  rewrite(abort_experiment("second", "/second", 503));
  ASSERT_EQ(api_send(admin_, "POST", "/v1/reload").status(), 200);
  proxy_->signal(SIGHUP);
  ASSERT_TRUE(eventually([&] { return reloads("ok") == 2.0; }, Millis(3000)));

  ApiReply after = api_get(admin_, "/v1/experiments/from-api");
  ASSERT_EQ(after.status(), 200) << after;
  EXPECT_EQ(after.str("source"), "api");
  EXPECT_EQ(after.str("started_at"), started) << "a reload restarted an API experiment's clock";
  EXPECT_EQ(status_of("/api"), 507);
  EXPECT_EQ(status_of("/second"), 503);
}

}  // namespace
}  // namespace faultline::harness::admin_test
