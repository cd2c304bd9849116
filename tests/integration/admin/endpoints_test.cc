// Every admin endpoint of SPEC §4 and every error code it can answer, through the real
// binary: auth on and off (token and token_file), the experiment lifecycle, config
// experiments, body limits, content types, methods and the duration safety rules.
#include <gmock/gmock.h>

#include <csignal>
#include <cstdio>
#include <thread>

#include "tests/integration/admin/admin_support.h"

namespace faultline::harness::admin_test {
namespace {

constexpr const char* kToken = "s3cret-token";

// One config experiment that aborts /cfg, plus the safety limits the duration tests rely on.
const char* kTail = R"(
[safety]
default_duration = "10m"
max_duration = "1h"

[[experiments]]
name = "from-file"
[experiments.match]
paths = ["/cfg"]
[[experiments.faults]]
type = "abort"
status = 418
)";

std::string token_line() {
  return std::string("token = \"") + kToken + "\"\n";
}

std::string latency_experiment(const std::string& name, const std::string& path,
                               const std::string& delay) {
  return R"({"name": ")" + name + R"(", "match": {"paths": [")" + path +
         R"("]}, "faults": [{"type": "latency", "delay": ")" + delay + R"("}]})";
}

class AdminEndpoints : public ::testing::Test {
 protected:
  void SetUp() override {
    proxy_ = std::make_unique<ProxyProcess>(proxy_config(up_.address(), kTail, token_line()));
    ASSERT_TRUE(proxy_->ready()) << proxy_->failure() << proxy_->stderr_text();
    admin_ = proxy_->admin();
  }
  ApiReply get(const std::string& path) { return api_get(admin_, path, kToken); }
  ApiReply send(const std::string& method, const std::string& path, const std::string& body = {}) {
    return api_send(admin_, method, path, body, kToken);
  }

  HttpUpstream up_;
  std::unique_ptr<ProxyProcess> proxy_;
  Endpoint admin_;
};

TEST_F(AdminEndpoints, HealthReadyAndMetricsAreOpenWithoutTheToken) {
  ApiReply health = api_get(admin_, "/healthz");
  EXPECT_EQ(health.status(), 200) << health;
  EXPECT_NE(health.body().find("ok"), std::string::npos) << health;
  ApiReply ready = api_get(admin_, "/readyz");
  EXPECT_EQ(ready.status(), 200) << ready;
  ApiReply metrics = api_get(admin_, "/metrics");
  EXPECT_EQ(metrics.status(), 200) << metrics;
  const std::string* type = metrics.http.head.find("Content-Type");
  ASSERT_NE(type, nullptr);
  EXPECT_NE(type->find("text/plain"), std::string::npos) << *type;
  EXPECT_NE(type->find("version=0.0.4"), std::string::npos) << *type;
  EXPECT_TRUE(metric(metrics.body(), "faultline_halted").has_value()) << metrics.body();
  // A wrong token on an open endpoint changes nothing either.
  EXPECT_EQ(api_get(admin_, "/healthz", "wrong").status(), 200);
}

TEST_F(AdminEndpoints, EveryV1EndpointNeedsTheBearerToken) {
  for (const std::string path : {"/v1/status", "/v1/experiments", "/v1/experiments/from-file",
                                 "/v1/events", "/v1/experiments/unknown-name"}) {
    ApiReply none = api_get(admin_, path);
    EXPECT_EQ(none.status(), 401) << path << ": " << none;
    EXPECT_FALSE(none.str("error").empty()) << path << ": " << none;
    ApiReply wrong = api_get(admin_, path, std::string(kToken) + "x");
    EXPECT_EQ(wrong.status(), 401) << path << ": " << wrong;
    ApiReply basic;
    {
      ApiCall call;
      call.path = path;
      call.extra_headers = {{"Authorization", std::string("Basic ") + kToken}};
      basic = api(admin_, call);
    }
    EXPECT_EQ(basic.status(), 401) << path << ": " << basic;
  }
  EXPECT_EQ(get("/v1/status").status(), 200);
  EXPECT_EQ(get("/v1/experiments").status(), 200);
  EXPECT_EQ(get("/v1/experiments/from-file").status(), 200);
  EXPECT_EQ(get("/v1/events").status(), 200);

  // A refused mutation has no effect.
  EXPECT_EQ(api_send(admin_, "POST", "/v1/halt").status(), 401);
  EXPECT_EQ(
      api_send(admin_, "POST", "/v1/experiments", latency_experiment("sneaky", "/", "1s"), "wrong")
          .status(),
      401);
  EXPECT_EQ(metric(scrape(admin_), "faultline_halted"), 0.0);
  EXPECT_EQ(get("/v1/experiments/sneaky").status(), 404);
}

TEST_F(AdminEndpoints, TokenPrefixesAndChallengesAreRefused) {
  const std::string token = kToken;
  for (const std::string& wrong : {token.substr(0, token.size() - 1), token + token, std::string(),
                                   std::string(token.size(), 'x')}) {
    ApiCall call;
    call.path = "/v1/status";
    call.extra_headers = {{"Authorization", "Bearer " + wrong}};
    ApiReply r = api(admin_, call);
    EXPECT_EQ(r.status(), 401) << "token \"" << wrong << "\": " << r;
    EXPECT_TRUE(r.http.head.has("WWW-Authenticate")) << r;
  }
}

TEST_F(AdminEndpoints, KeepAliveAndChunkedBodiesWork) {
  RawClient client(admin_);
  ASSERT_TRUE(client.connected());
  const std::vector<Header> auth{{"Authorization", std::string("Bearer ") + kToken}};
  for (const char* path : {"/healthz", "/v1/status", "/v1/experiments"}) {
    HttpResponse r = client.request(get_request(path, auth));
    EXPECT_EQ(r.status(), 200) << path << ": " << r;
  }
  // A chunked body has no length up front; it is read, decoded and applied all the same.
  const std::string body = latency_experiment("chunked", "/c", "1ms");
  std::string raw = "POST /v1/experiments HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " +
                    std::string(kToken) +
                    "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
  const size_t half = body.size() / 2;
  for (const std::string& piece : {body.substr(0, half), body.substr(half)}) {
    char size[16];
    std::snprintf(size, sizeof size, "%zx", piece.size());
    raw += std::string(size) + "\r\n" + piece + "\r\n";
  }
  raw += "0\r\n\r\n";
  HttpResponse created = client.request(raw);
  EXPECT_EQ(created.status(), 201) << created;
  EXPECT_EQ(get("/v1/experiments/chunked").status(), 200);

  // Over 1 MiB in chunks: 413 as well.
  RawClient big(admin_);
  std::string chunked_big =
      "POST /v1/experiments HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " +
      std::string(kToken) +
      "\r\nContent-Type: application/json\r\nTransfer-Encoding: "
      "chunked\r\nConnection: close\r\n\r\n";
  const std::string chunk(64 * 1024, ' ');
  for (int i = 0; i < 17; ++i) chunked_big += "10000\r\n" + chunk + "\r\n";
  chunked_big += "0\r\n\r\n";
  HttpResponse refused = big.request(chunked_big);
  EXPECT_EQ(refused.status(), 413) << refused;
}

TEST_F(AdminEndpoints, StatusReportsVersionUptimeHaltedListenersAndCounts) {
  ASSERT_EQ(proxy_get(proxy_->listener("main"), "/hello").status(), 200);
  ApiReply status = get("/v1/status");
  ASSERT_EQ(status.status(), 200) << status;
  const auto& j = status.json;
  EXPECT_TRUE(j.contains("version")) << j.dump();
  EXPECT_TRUE(j.contains("uptime_seconds")) << j.dump();
  EXPECT_EQ(j.value("halted", true), false) << j.dump();
  ASSERT_TRUE(j.contains("listeners") && j["listeners"].is_array()) << j.dump();
  ASSERT_EQ(j["listeners"].size(), 1u) << j.dump();
  EXPECT_EQ(j["listeners"][0].value("name", ""), "main");
  EXPECT_EQ(j["listeners"][0].value("requests", -1), 1) << j.dump();
  ASSERT_TRUE(j.contains("experiments")) << j.dump();
  EXPECT_EQ(j["experiments"].value("active", -1), 1) << j.dump();
  EXPECT_TRUE(j.contains("last_reload")) << j.dump();
}

TEST_F(AdminEndpoints, CreateGetReplaceDeleteAnExperiment) {
  const std::string body = latency_experiment("slow-api", "/api/*", "1ms");
  ApiReply created = send("POST", "/v1/experiments", body);
  ASSERT_EQ(created.status(), 201) << created;
  EXPECT_EQ(created.str("name"), "slow-api");
  EXPECT_EQ(created.str("state"), "active");
  EXPECT_EQ(created.str("source"), "api");

  ApiReply duplicate = send("POST", "/v1/experiments", body);
  EXPECT_EQ(duplicate.status(), 409) << duplicate;
  EXPECT_FALSE(duplicate.str("error").empty()) << duplicate;

  ApiReply one = get("/v1/experiments/slow-api");
  ASSERT_EQ(one.status(), 200) << one;
  EXPECT_EQ(one.str("name"), "slow-api");
  ASSERT_TRUE(one.json.contains("counters")) << one;
  EXPECT_TRUE(one.json["counters"].contains("matched")) << one;
  EXPECT_TRUE(one.json.contains("started_at") && one.json.contains("expires_at")) << one;
  ASSERT_TRUE(one.json.contains("faults")) << one;
  EXPECT_EQ(one.json["faults"][0].value("delay", ""), "1ms") << one;

  ApiReply list = get("/v1/experiments");
  ASSERT_EQ(list.status(), 200) << list;
  ASSERT_TRUE(list.json.is_array()) << list;
  std::vector<std::string> names;
  for (const auto& e : list.json) names.push_back(e.value("name", ""));
  EXPECT_THAT(names, ::testing::UnorderedElementsAre("from-file", "slow-api"));

  ApiReply replaced =
      send("PUT", "/v1/experiments/slow-api", latency_experiment("slow-api", "/api/*", "2ms"));
  EXPECT_EQ(replaced.status(), 200) << replaced;
  EXPECT_EQ(get("/v1/experiments/slow-api").json["faults"][0].value("delay", ""), "2ms");

  ApiReply put_new =
      send("PUT", "/v1/experiments/put-made", latency_experiment("put-made", "/x", "1ms"));
  EXPECT_EQ(put_new.status(), 201) << put_new;
  // The body's name, when given, must agree with the path.
  ApiReply mismatch =
      send("PUT", "/v1/experiments/put-made", latency_experiment("other-name", "/x", "1ms"));
  EXPECT_EQ(mismatch.status(), 400) << mismatch;

  ApiReply removed = send("DELETE", "/v1/experiments/slow-api");
  EXPECT_EQ(removed.status(), 204) << removed;
  EXPECT_TRUE(removed.body().empty()) << removed;
  EXPECT_EQ(get("/v1/experiments/slow-api").status(), 404);
  EXPECT_EQ(send("DELETE", "/v1/experiments/slow-api").status(), 404);
  EXPECT_EQ(send("POST", "/v1/experiments/slow-api/pause").status(), 404);

  ApiReply unknown = get("/v1/experiments/never-was");
  EXPECT_EQ(unknown.status(), 404) << unknown;
  EXPECT_FALSE(unknown.str("error").empty()) << unknown;
}

TEST_F(AdminEndpoints, ValidationErrorsNameTheFieldAndCreateNothing) {
  ApiReply bad_delay =
      send("POST", "/v1/experiments", latency_experiment("bad-delay", "/", "soon"));
  EXPECT_EQ(bad_delay.status(), 400) << bad_delay;
  EXPECT_EQ(bad_delay.str("field"), "faults[0].delay") << bad_delay;
  EXPECT_FALSE(bad_delay.str("error").empty()) << bad_delay;
  EXPECT_EQ(get("/v1/experiments/bad-delay").status(), 404);

  ApiReply bad_listener = send(
      "POST", "/v1/experiments",
      R"({"name": "nowhere", "listeners": ["no-such-listener"], "faults": [{"type": "abort", "status": 503}]})");
  EXPECT_EQ(bad_listener.status(), 400) << bad_listener;
  EXPECT_EQ(bad_listener.str("field").rfind("listeners", 0), 0u) << bad_listener;
  EXPECT_NE(bad_listener.str("error").find("no-such-listener"), std::string::npos) << bad_listener;
  EXPECT_EQ(get("/v1/experiments/nowhere").status(), 404);

  ApiReply unknown_key =
      send("POST", "/v1/experiments", R"({"name": "typo", "durration": "1m", "faults": []})");
  EXPECT_EQ(unknown_key.status(), 400) << unknown_key;
  EXPECT_NE(unknown_key.str("field").find("durration"), std::string::npos) << unknown_key;

  ApiReply not_json = send("POST", "/v1/experiments", "{\"name\": ");
  EXPECT_EQ(not_json.status(), 400) << not_json;
  EXPECT_FALSE(not_json.str("error").empty()) << not_json;

  // Every error body is {"error": ...} JSON.
  for (const ApiReply& r : {bad_delay, bad_listener, unknown_key, not_json})
    EXPECT_TRUE(r.json.is_object() && r.json.contains("error")) << r;
}

TEST_F(AdminEndpoints, PauseAndResumeStopAndRestartInjectionSeenByTheClient) {
  const Endpoint listener = proxy_->listener("main");
  ASSERT_EQ(send("POST", "/v1/experiments", latency_experiment("lag", "/slow", "600ms")).status(),
            201);
  HttpResponse delayed = proxy_get(listener, "/slow");
  ASSERT_EQ(delayed.status(), 200) << delayed;
  EXPECT_GE(delayed.elapsed.count(), 600) << "latency experiment not applied";

  ApiReply paused = send("POST", "/v1/experiments/lag/pause");
  ASSERT_EQ(paused.status(), 200) << paused;
  EXPECT_EQ(get("/v1/experiments/lag").str("state"), "paused");
  HttpResponse fast = proxy_get(listener, "/slow");
  ASSERT_EQ(fast.status(), 200) << fast;
  // Anything under the 600 ms delay means it was not applied (the box may be slow).
  EXPECT_LT(fast.elapsed.count(), 600) << "a paused experiment still delays";

  ApiReply resumed = send("POST", "/v1/experiments/lag/resume");
  ASSERT_EQ(resumed.status(), 200) << resumed;
  EXPECT_EQ(get("/v1/experiments/lag").str("state"), "active");
  HttpResponse again = proxy_get(listener, "/slow");
  ASSERT_EQ(again.status(), 200) << again;
  EXPECT_GE(again.elapsed.count(), 600) << "a resumed experiment does not delay";
}

TEST_F(AdminEndpoints, ConfigExperimentsPauseButRefuseReplaceAndDelete) {
  const Endpoint listener = proxy_->listener("main");
  EXPECT_EQ(proxy_get(listener, "/cfg").status(), 418);
  ApiReply view = get("/v1/experiments/from-file");
  EXPECT_EQ(view.str("source"), "config") << view;

  EXPECT_EQ(send("POST", "/v1/experiments/from-file/pause").status(), 200);
  EXPECT_EQ(get("/v1/experiments/from-file").str("state"), "paused");
  EXPECT_EQ(proxy_get(listener, "/cfg").status(), 200);
  EXPECT_EQ(send("POST", "/v1/experiments/from-file/resume").status(), 200);
  EXPECT_EQ(get("/v1/experiments/from-file").str("state"), "active");
  EXPECT_EQ(proxy_get(listener, "/cfg").status(), 418);

  const std::string replacement = latency_experiment("from-file", "/cfg", "1ms");
  ApiReply put = send("PUT", "/v1/experiments/from-file", replacement);
  EXPECT_EQ(put.status(), 409) << put;
  ApiReply post = send("POST", "/v1/experiments", replacement);
  EXPECT_EQ(post.status(), 409) << post;
  ApiReply del = send("DELETE", "/v1/experiments/from-file");
  EXPECT_EQ(del.status(), 409) << del;
  EXPECT_FALSE(del.str("error").empty()) << del;
  // Still there and still injecting.
  EXPECT_EQ(get("/v1/experiments/from-file").status(), 200);
  EXPECT_EQ(proxy_get(listener, "/cfg").status(), 418);
}

TEST_F(AdminEndpoints, BodiesOverOneMebibyteGet413) {
  // Exactly 1 MiB is allowed: a valid experiment padded with spaces.
  std::string at_limit = latency_experiment("padded", "/p", "1ms");
  at_limit.insert(at_limit.size() - 1, std::string((1u << 20) - at_limit.size(), ' '));
  ASSERT_EQ(at_limit.size(), 1u << 20);
  ApiReply accepted = send("POST", "/v1/experiments", at_limit);
  EXPECT_EQ(accepted.status(), 201) << accepted.status() << " " << accepted.body().substr(0, 200);

  std::string over = latency_experiment("too-big", "/p", "1ms");
  over.insert(over.size() - 1, std::string((1u << 20) + 1 - over.size(), ' '));
  ApiReply refused = send("POST", "/v1/experiments", over);
  EXPECT_EQ(refused.status(), 413) << refused.status() << " " << refused.body().substr(0, 200);
  EXPECT_EQ(get("/v1/experiments/too-big").status(), 404);
}

TEST_F(AdminEndpoints, NonJsonContentTypeGets415) {
  ApiCall call;
  call.method = "POST";
  call.path = "/v1/experiments";
  call.token = kToken;
  call.body = latency_experiment("typed", "/t", "1ms");
  call.content_type = "text/plain";
  ApiReply r = api(admin_, call);
  EXPECT_EQ(r.status(), 415) << r;
  EXPECT_FALSE(r.str("error").empty()) << r;
  call.content_type = "application/x-www-form-urlencoded";
  EXPECT_EQ(api(admin_, call).status(), 415);
  EXPECT_EQ(get("/v1/experiments/typed").status(), 404);
  // With parameters it is still JSON.
  call.content_type = "application/json; charset=utf-8";
  EXPECT_EQ(api(admin_, call).status(), 201);
}

TEST_F(AdminEndpoints, WrongMethodGets405WithAllow) {
  struct Case {
    std::string method, path;
  };
  for (const Case& c : std::vector<Case>{{"DELETE", "/v1/status"},
                                         {"PATCH", "/v1/experiments"},
                                         {"POST", "/v1/experiments/from-file"},
                                         {"GET", "/v1/halt"},
                                         {"GET", "/v1/reload"},
                                         {"GET", "/v1/experiments/from-file/pause"},
                                         {"POST", "/healthz"}}) {
    ApiReply r = send(c.method, c.path);
    EXPECT_EQ(r.status(), 405) << c.method << " " << c.path << ": " << r;
    EXPECT_TRUE(r.http.head.has("Allow")) << c.method << " " << c.path;
  }
  EXPECT_EQ(get("/v1/no-such-endpoint").status(), 404);
}

TEST_F(AdminEndpoints, ApiExperimentsWithoutDurationGetTheDefault) {
  const auto before = std::chrono::system_clock::now();
  ApiReply created = send("POST", "/v1/experiments", latency_experiment("ttl", "/ttl", "1ms"));
  const auto after = std::chrono::system_clock::now();
  ASSERT_EQ(created.status(), 201) << created;
  auto started = parse_utc(created.str("started_at"));
  auto expires = parse_utc(created.str("expires_at"));
  ASSERT_TRUE(started && expires) << created;
  // safety.default_duration = 10m, counted from creation (timestamps have millisecond steps).
  EXPECT_GE(*expires, before + std::chrono::minutes(10) - std::chrono::milliseconds(1)) << created;
  EXPECT_LE(*expires, after + std::chrono::minutes(10) + std::chrono::milliseconds(1)) << created;
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::seconds>(*expires - *started).count(), 600);

  ApiReply explicit_duration = send(
      "POST", "/v1/experiments",
      R"({"name": "ttl-30m", "duration": "30m", "faults": [{"type": "latency", "delay": "1ms"}]})");
  ASSERT_EQ(explicit_duration.status(), 201) << explicit_duration;
  auto s2 = parse_utc(explicit_duration.str("started_at"));
  auto e2 = parse_utc(explicit_duration.str("expires_at"));
  ASSERT_TRUE(s2 && e2) << explicit_duration;
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::seconds>(*e2 - *s2).count(), 1800);
}

TEST_F(AdminEndpoints, DurationOverTheMaximumIsRefused) {
  ApiReply r = send(
      "POST", "/v1/experiments",
      R"({"name": "forever", "duration": "2h", "faults": [{"type": "latency", "delay": "1ms"}]})");
  EXPECT_EQ(r.status(), 400) << r;
  EXPECT_EQ(r.str("field"), "duration") << r;
  EXPECT_EQ(get("/v1/experiments/forever").status(), 404);
  // The maximum itself is allowed.
  ApiReply at_max = send(
      "POST", "/v1/experiments",
      R"({"name": "hour", "duration": "1h", "faults": [{"type": "latency", "delay": "1ms"}]})");
  EXPECT_EQ(at_max.status(), 201) << at_max;
}

TEST(AdminDrain, ReadyzTurns503WhileDrainingAndHealthzStays200) {
  HttpUpstream up;
  up.route("/hold", handlers::delayed(Millis(1500), handlers::fixed(200, "held")));
  ADMIN_START_PROXY(proxy, proxy_config(up.address()));
  HttpResponse held;
  std::thread client([&] { held = proxy_get(proxy.listener("main"), "/hold"); });
  const bool forwarded = eventually([&] { return up.requests_seen() == 1; }, Millis(3000));
  proxy.signal(SIGTERM);
  ApiReply ready;
  const bool not_ready = eventually(
      [&] {
        ready = api_get(proxy.admin(), "/readyz");
        return ready.status() == 503;
      },
      Millis(1000));
  ApiReply health = api_get(proxy.admin(), "/healthz");
  client.join();
  EXPECT_TRUE(forwarded);
  EXPECT_TRUE(not_ready) << "/readyz while draining: " << ready;
  EXPECT_EQ(health.status(), 200) << "/healthz while draining: " << health;
  EXPECT_EQ(held.status(), 200) << "the in-flight request finishes during the drain";
  auto exit = proxy.wait_exit(Millis(5000));
  ASSERT_TRUE(exit.has_value());
  EXPECT_TRUE(exit->exited && exit->code == 0) << exit->str();
}

TEST(AdminAuth, TokenFileGuardsV1) {
  HttpUpstream up;
  TempDir secrets;
  const std::string file = secrets.write("token", "from-a-file\n");
  ADMIN_START_PROXY(proxy, proxy_config(up.address(), "", "token_file = \"" + file + "\"\n"));
  EXPECT_EQ(api_get(proxy.admin(), "/v1/status").status(), 401);
  EXPECT_EQ(api_get(proxy.admin(), "/v1/status", "wrong").status(), 401);
  EXPECT_EQ(api_get(proxy.admin(), "/v1/status", "from-a-file").status(), 200);
  EXPECT_EQ(api_get(proxy.admin(), "/metrics").status(), 200);
}

TEST(AdminAuth, WithoutATokenV1IsOpen) {
  HttpUpstream up;
  ADMIN_START_PROXY(proxy, proxy_config(up.address()));
  EXPECT_EQ(api_get(proxy.admin(), "/v1/status").status(), 200);
  EXPECT_EQ(api_get(proxy.admin(), "/v1/experiments").status(), 200);
  ApiReply created =
      api_send(proxy.admin(), "POST", "/v1/experiments", latency_experiment("open", "/o", "1ms"));
  EXPECT_EQ(created.status(), 201) << created;
}

}  // namespace
}  // namespace faultline::harness::admin_test
