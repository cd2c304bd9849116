// Toxiproxy 2.x's REST API (SPEC §10.2, issue 12): golden responses for every endpoint and
// error (status, content type, body), and from the client's side what proxies and toxics do
// on the data plane; with faultline's rails on top (halt, TTL, events, reload).
#include <nlohmann/json.hpp>

#include <cerrno>

#include "tests/integration/support.h"

namespace faultline::harness {
namespace {

using Json = nlohmann::json;

std::string toxi_config(const std::string& tail = {}) {
  ConfigSpec spec;
  spec.workers = 2;
  spec.tail = "[compat.toxiproxy]\nenabled = true\nlisten = \"127.0.0.1:0\"\n" + tail;
  return config_toml(spec);
}

struct Reply {
  HttpResponse http;
  int status() const { return http.status(); }
  const std::string& body() const { return http.body; }
  std::string content_type() const {
    const std::string* v = http.head.find("Content-Type");
    return v ? *v : std::string();
  }
  Json json() const { return Json::parse(http.body, nullptr, false); }
};

std::ostream& operator<<(std::ostream& os, const Reply& r) {
  return os << r.http.status() << " " << r.content_type() << " " << r.http.body;
}

Reply call(const ProxyProcess& p, const std::string& method, const std::string& path,
           const std::string& body = {}, std::vector<Header> headers = {}) {
  headers.push_back({"Connection", "close"});
  if (!body.empty()) headers.push_back({"Content-Type", "application/json"});
  return {one_request(p.toxiproxy(), make_request(method, path, headers, body))};
}

Endpoint listen_of(const Reply& created) {
  auto ep = Endpoint::parse(created.json().value("listen", ""));
  return ep.value_or(Endpoint{});
}

// Sends `text` through the proxy to an echo upstream and reads it back; the time it took.
std::optional<Millis> echo_round_trip(const Endpoint& to, const std::string& text) {
  RawClient client(to);
  if (!client.connected()) return std::nullopt;
  auto start = Clock::now();
  if (client.send(text) != IoStatus::kOk) return std::nullopt;
  if (client.stream().read_exact(text.size(), {}, Clock::now() + 10s) != IoStatus::kOk)
    return std::nullopt;
  return std::chrono::duration_cast<Millis>(Clock::now() - start);
}

class ToxiproxyApi : public ::testing::Test {
 protected:
  void SetUp() override {
    proxy_ = std::make_unique<ProxyProcess>(toxi_config());
    ASSERT_TRUE(proxy_->ready()) << proxy_->failure() << proxy_->stderr_text();
    ASSERT_NE(proxy_->toxiproxy().port, 0) << "no toxiproxy address in the ready file";
  }
  Reply create(const std::string& name, const std::string& extra = {}) {
    return call(*proxy_, "POST", "/proxies",
                R"({"name":")" + name + R"(","listen":"127.0.0.1:0","upstream":")" +
                    echo_.address() + "\"" + extra + "}");
  }

  TcpUpstream echo_{tcp_handlers::echo()};
  std::unique_ptr<ProxyProcess> proxy_;
};

TEST_F(ToxiproxyApi, VersionIsAPlainSemanticVersion) {
  Reply r = call(*proxy_, "GET", "/version");
  EXPECT_EQ(r.status(), 200);
  EXPECT_EQ(r.content_type(), "text/plain; charset=utf-8");
  EXPECT_EQ(r.body(), "2.12.0");
}

TEST_F(ToxiproxyApi, ABrowserUserAgentIsRefused) {
  Reply r = call(*proxy_, "GET", "/proxies", {}, {{"User-Agent", "Mozilla/5.0 (X11)"}});
  EXPECT_EQ(r.status(), 403);
  EXPECT_EQ(r.content_type(), "text/plain; charset=utf-8");
  EXPECT_EQ(r.body(), "User agent not allowed\n");
  // Other clients are served.
  EXPECT_EQ(call(*proxy_, "GET", "/proxies", {}, {{"User-Agent", "curl/8"}}).status(), 200);
}

TEST_F(ToxiproxyApi, CreateAnswers201WithTheBoundAddressAndRelays) {
  Reply created = create("redis");
  ASSERT_EQ(created.status(), 201) << created;
  EXPECT_EQ(created.content_type(), "application/json");
  Json j = created.json();
  EXPECT_EQ(j["name"], "redis");
  EXPECT_EQ(j["upstream"], echo_.address());
  EXPECT_EQ(j["enabled"], true);
  EXPECT_EQ(j["toxics"], Json::array());
  const Endpoint at = listen_of(created);
  EXPECT_EQ(at.host, "127.0.0.1");
  EXPECT_NE(at.port, 0) << "listen was not resolved to the bound port: " << created;
  EXPECT_TRUE(echo_round_trip(at, "hello"));
  // Keys in Toxiproxy's order.
  EXPECT_EQ(created.body().find("\"name\""), 1u) << created;

  Reply one = call(*proxy_, "GET", "/proxies/redis");
  EXPECT_EQ(one.status(), 200);
  EXPECT_EQ(one.json(), j);
  Reply all = call(*proxy_, "GET", "/proxies");
  EXPECT_EQ(all.status(), 200);
  EXPECT_EQ(all.json(), (Json{{"redis", j}}));
}

TEST_F(ToxiproxyApi, ErrorsHaveToxiproxysStatusAndBody) {
  auto expect_error = [&](const Reply& r, int status, const std::string& message) {
    EXPECT_EQ(r.status(), status) << r;
    EXPECT_EQ(r.content_type(), "text/plain; charset=utf-8") << r;
    EXPECT_EQ(r.body(), Json({{"error", message}, {"status", status}}).dump() + "\n") << r;
  };
  expect_error(call(*proxy_, "POST", "/proxies", "{"), 400,
               "bad request body: invalid character '{' looking for beginning of value");
  expect_error(call(*proxy_, "POST", "/proxies", R"({"upstream":"127.0.0.1:1"})"), 400,
               "missing required field: name");
  expect_error(call(*proxy_, "POST", "/proxies", R"({"name":"x"})"), 400,
               "missing required field: upstream");
  // A field of the wrong JSON type: Go's decoder names the kind it found and the field's type.
  expect_error(
      call(*proxy_, "POST", "/proxies", R"({"name":"x","upstream":"127.0.0.1:1","enabled":"yes"})"),
      400,
      "bad request body: json: cannot unmarshal string into Go struct field "
      "Proxy.enabled of type bool");
  expect_error(call(*proxy_, "POST", "/proxies", R"({"name":["x"],"upstream":"127.0.0.1:1"})"), 400,
               "bad request body: json: cannot unmarshal array into Go struct field "
               "Proxy.name of type string");
  ASSERT_EQ(create("dup").status(), 201);
  expect_error(create("dup"), 409, "proxy already exists");
  expect_error(call(*proxy_, "GET", "/proxies/nope"), 404, "proxy not found");
  expect_error(call(*proxy_, "DELETE", "/proxies/nope"), 404, "proxy not found");
  expect_error(call(*proxy_, "GET", "/proxies/dup/toxics/nope"), 404, "toxic not found");
  expect_error(call(*proxy_, "POST", "/proxies/dup/toxics", R"({"type":"latency","stream":"up"})"),
               400, "stream was invalid, can be either upstream or downstream");
  expect_error(call(*proxy_, "POST", "/proxies/dup/toxics", R"({"type":"lag"})"), 400,
               "invalid toxic type");
  ASSERT_EQ(call(*proxy_, "POST", "/proxies/dup/toxics", R"({"type":"noop"})").status(), 200);
  expect_error(call(*proxy_, "POST", "/proxies/dup/toxics", R"({"type":"noop"})"), 409,
               "toxic already exists");
  Reply bad_attr = call(*proxy_, "POST", "/proxies/dup/toxics",
                        R"({"type":"latency","attributes":{"latency":"1s"}})");
  EXPECT_EQ(bad_attr.status(), 400) << bad_attr;
  EXPECT_NE(bad_attr.body().find("bad request body: json: cannot unmarshal string"),
            std::string::npos)
      << bad_attr;
  // Unknown routes and methods, as Go's router answers them.
  EXPECT_EQ(call(*proxy_, "GET", "/nothing").status(), 404);
  EXPECT_EQ(call(*proxy_, "PUT", "/proxies").status(), 405);
  // Nothing of the failed calls was created.
  Reply all = call(*proxy_, "GET", "/proxies");
  EXPECT_EQ(all.json().size(), 1u) << all;
  EXPECT_EQ(all.json()["dup"]["toxics"].size(), 1u) << all;
}

TEST_F(ToxiproxyApi, APortInUseIsAnErrorAndCreatesNothing) {
  uint16_t taken_port = 0;
  Fd taken = listen_tcp(0, 8, &taken_port);
  Reply r = call(*proxy_, "POST", "/proxies",
                 R"({"name":"busy","listen":"127.0.0.1:)" + std::to_string(taken_port) +
                     R"(","upstream":")" + echo_.address() + "\"}");
  EXPECT_EQ(r.status(), 500) << r;
  EXPECT_NE(r.body().find(std::to_string(taken_port)), std::string::npos) << r;
  EXPECT_EQ(call(*proxy_, "GET", "/proxies/busy").status(), 404);
}

TEST_F(ToxiproxyApi, ToxicsEchoEveryAttributeWithItsDefault) {
  ASSERT_EQ(create("db").status(), 201);
  const std::vector<std::pair<std::string, Json>> defaults = {
      {"latency", {{"latency", 0}, {"jitter", 0}}},
      {"bandwidth", {{"rate", 0}}},
      {"slow_close", {{"delay", 0}}},
      {"timeout", {{"timeout", 0}}},
      {"reset_peer", {{"timeout", 0}}},
      {"slicer", {{"average_size", 0}, {"size_variation", 0}, {"delay", 0}}},
      {"limit_data", {{"bytes", 0}}},
      {"noop", Json::object()},
  };
  for (const auto& [type, attributes] : defaults) {
    // slicer needs a size to do anything; the others may stay at their defaults.
    std::string body = type == "slicer" ? R"({"type":"slicer","attributes":{"average_size":10}})"
                                        : R"({"type":")" + type + R"(","stream":"upstream"})";
    Reply r = call(*proxy_, "POST", "/proxies/db/toxics", body);
    ASSERT_EQ(r.status(), 200) << type << ": " << r;
    Json j = r.json();
    Json expected = attributes;
    if (type == "slicer") expected["average_size"] = 10;
    EXPECT_EQ(j["attributes"], expected) << type;
    const std::string stream = type == "slicer" ? "downstream" : "upstream";
    EXPECT_EQ(j["name"], type + "_" + stream);
    EXPECT_EQ(j["stream"], stream);
    EXPECT_EQ(j["toxicity"], 1);
    EXPECT_EQ(r.body().find("\"toxicity\":1,"), r.body().find("\"toxicity\"")) << r;
  }
  Reply list = call(*proxy_, "GET", "/proxies/db/toxics");
  ASSERT_EQ(list.status(), 200);
  ASSERT_EQ(list.json().size(), defaults.size());
  // The upstream chain first, then the downstream one.
  EXPECT_EQ(list.json().back()["name"], "slicer_downstream");

  // Update: only attributes and toxicity change, by POST or PATCH.
  Reply patched = call(*proxy_, "PATCH", "/proxies/db/toxics/latency_upstream",
                       R"({"attributes":{"latency":50},"toxicity":0.5,"stream":"downstream"})");
  ASSERT_EQ(patched.status(), 200) << patched;
  EXPECT_EQ(patched.json()["attributes"], (Json{{"latency", 50}, {"jitter", 0}}));
  EXPECT_EQ(patched.json()["toxicity"], 0.5);
  EXPECT_EQ(patched.json()["stream"], "upstream");
  Reply posted = call(*proxy_, "POST", "/proxies/db/toxics/latency_upstream",
                      R"({"attributes":{"jitter":5}})");
  EXPECT_EQ(posted.json()["attributes"], (Json{{"latency", 50}, {"jitter", 5}}));
  Reply removed = call(*proxy_, "DELETE", "/proxies/db/toxics/latency_upstream");
  EXPECT_EQ(removed.status(), 204);
  EXPECT_EQ(removed.body(), "");
  EXPECT_EQ(call(*proxy_, "GET", "/proxies/db/toxics/latency_upstream").status(), 404);
}

TEST_F(ToxiproxyApi, LatencyToxicDelaysTheStreamAndHaltNeutralisesIt) {
  Reply created = create("slow");
  const Endpoint at = listen_of(created);
  ASSERT_EQ(call(*proxy_, "POST", "/proxies/slow/toxics",
                 R"({"type":"latency","attributes":{"latency":300}})")
                .status(),
            200);
  auto delayed = echo_round_trip(at, "ping");
  ASSERT_TRUE(delayed);
  EXPECT_GE(delayed->count(), 300);
  // The toxic is an experiment with source "toxiproxy", in the audit trail.
  HttpResponse experiments = admin_get(*proxy_, "/v1/experiments");
  EXPECT_NE(experiments.body.find("\"source\":\"toxiproxy\""), std::string::npos)
      << experiments.body;
  HttpResponse events = admin_get(*proxy_, "/v1/events");
  EXPECT_NE(events.body.find("toxiproxy.toxic.create"), std::string::npos) << events.body;

  ASSERT_EQ(
      one_request(proxy_->admin(), make_request("POST", "/v1/halt", {{"Connection", "close"}}))
          .status(),
      200);
  auto halted = echo_round_trip(at, "ping");
  ASSERT_TRUE(halted);
  EXPECT_LT(halted->count(), 300) << "halt did not stop the toxic";
}

TEST_F(ToxiproxyApi, DisablingRefusesAndClosesAndResetRestores) {
  Reply created = create("flaky");
  const Endpoint at = listen_of(created);
  RawClient open(at);
  ASSERT_TRUE(open.connected());
  ASSERT_EQ(open.send("x"), IoStatus::kOk);
  ASSERT_EQ(open.stream().read_exact(1, {}, Clock::now() + 5s), IoStatus::kOk);

  Reply disabled = call(*proxy_, "POST", "/proxies/flaky", R"({"enabled":false})");
  ASSERT_EQ(disabled.status(), 200) << disabled;
  EXPECT_EQ(disabled.json()["enabled"], false);
  EXPECT_EQ(RawClient(at).connect_errno(), ECONNREFUSED);
  EXPECT_NE(open.read_until_close(5000ms).io, IoStatus::kTimeout);

  ASSERT_EQ(call(*proxy_, "POST", "/proxies/flaky/toxics",
                 R"({"type":"latency","attributes":{"latency":400}})")
                .status(),
            200);
  Reply reset = call(*proxy_, "POST", "/reset");
  EXPECT_EQ(reset.status(), 204);
  // Enabled again on the same address, without its toxics.
  Reply after = call(*proxy_, "GET", "/proxies/flaky");
  EXPECT_EQ(after.json()["enabled"], true);
  EXPECT_EQ(after.json()["listen"], created.json()["listen"]);
  EXPECT_EQ(after.json()["toxics"], Json::array());
  auto trip = echo_round_trip(at, "back");
  ASSERT_TRUE(trip) << "the proxy did not come back on " << at.str();
  EXPECT_LT(trip->count(), 400);
}

TEST_F(ToxiproxyApi, DeleteClosesTheListener) {
  const Endpoint at = listen_of(create("gone"));
  ASSERT_TRUE(echo_round_trip(at, "x"));
  Reply deleted = call(*proxy_, "DELETE", "/proxies/gone");
  EXPECT_EQ(deleted.status(), 204);
  EXPECT_EQ(RawClient(at).connect_errno(), ECONNREFUSED);
  EXPECT_EQ(call(*proxy_, "GET", "/proxies").json(), Json::object());
}

TEST_F(ToxiproxyApi, PopulateValidatesAllBeforeCreatingAny) {
  const std::string up = echo_.address();
  Reply bad = call(*proxy_, "POST", "/populate",
                   R"([{"name":"a","listen":"127.0.0.1:0","upstream":")" + up +
                       R"("},{"name":"b","listen":"127.0.0.1:0"}])");
  EXPECT_EQ(bad.status(), 400) << bad;
  EXPECT_EQ(bad.json(), (Json{{"error", "missing required field: upstream at proxy 2"},
                              {"status", 400},
                              {"proxies", nullptr}}));
  EXPECT_EQ(call(*proxy_, "GET", "/proxies").json(), Json::object()) << "half-created";

  Reply good = call(*proxy_, "POST", "/populate",
                    R"([{"name":"a","listen":"127.0.0.1:0","upstream":")" + up +
                        R"("},{"name":"b","listen":"127.0.0.1:0","upstream":")" + up +
                        R"(","enabled":false}])");
  ASSERT_EQ(good.status(), 201) << good;
  ASSERT_EQ(good.json()["proxies"].size(), 2u);
  EXPECT_EQ(good.json()["proxies"][0]["name"], "a");
  EXPECT_EQ(good.json()["proxies"][1]["enabled"], false);
  auto a = Endpoint::parse(good.json()["proxies"][0].value("listen", ""));
  ASSERT_TRUE(a);
  EXPECT_TRUE(echo_round_trip(*a, "x"));
}

TEST_F(ToxiproxyApi, AReloadKeepsProxiesAndToxics) {
  const Endpoint at = listen_of(create("kept"));
  ASSERT_EQ(call(*proxy_, "POST", "/proxies/kept/toxics",
                 R"({"type":"latency","attributes":{"latency":300}})")
                .status(),
            200);
  HttpResponse reloaded =
      one_request(proxy_->admin(), make_request("POST", "/v1/reload", {{"Connection", "close"}}));
  ASSERT_EQ(reloaded.status(), 200) << reloaded.body;
  auto trip = echo_round_trip(at, "ping");
  ASSERT_TRUE(trip);
  EXPECT_GE(trip->count(), 300);
  EXPECT_EQ(call(*proxy_, "GET", "/proxies/kept/toxics").json().size(), 1u);
  // And the proxy shows in /v1/status.
  EXPECT_NE(admin_get(*proxy_, "/v1/status").body.find("\"source\":\"toxiproxy\""),
            std::string::npos);
}

// As in Toxiproxy, a toxic added while a connection is open acts on its next bytes, and
// removing it stops the delay (the worker re-plans open connections when experiments change).
TEST_F(ToxiproxyApi, AToxicActsOnConnectionsAlreadyOpen) {
  const Endpoint at = listen_of(create("pool"));
  RawClient pooled(at);  // opened before the toxic
  ASSERT_TRUE(pooled.connected());
  ASSERT_EQ(pooled.send("a"), IoStatus::kOk);
  ASSERT_EQ(pooled.stream().read_exact(1, {}, Clock::now() + 5s), IoStatus::kOk);
  ASSERT_EQ(call(*proxy_, "POST", "/proxies/pool/toxics",
                 R"({"name":"slow","type":"latency","attributes":{"latency":400}})")
                .status(),
            200);
  auto start = Clock::now();
  ASSERT_EQ(pooled.send("b"), IoStatus::kOk);
  ASSERT_EQ(pooled.stream().read_exact(1, {}, Clock::now() + 5s), IoStatus::kOk);
  EXPECT_GE(elapsed_ms(start), 400) << "the open connection did not pick up the toxic";
  ASSERT_EQ(call(*proxy_, "DELETE", "/proxies/pool/toxics/slow").status(), 204);
  start = Clock::now();
  ASSERT_EQ(pooled.send("c"), IoStatus::kOk);
  ASSERT_EQ(pooled.stream().read_exact(1, {}, Clock::now() + 5s), IoStatus::kOk);
  EXPECT_LT(elapsed_ms(start), 400) << "the removed toxic still delays the open connection";
}

TEST(ToxiproxyConfig, AReloadThatChangesItsListenSaysToRestart) {
  START_PROXY(proxy, toxi_config());
  ConfigSpec spec;
  spec.workers = 2;
  spec.tail = "[compat.toxiproxy]\nenabled = true\nlisten = \"127.0.0.2:0\"\n";
  {
    std::string path = proxy.config_path();
    std::string tmp = path + ".new";
    FILE* f = std::fopen(tmp.c_str(), "w");
    ASSERT_NE(f, nullptr);
    const std::string text = config_toml(spec);
    std::fwrite(text.data(), 1, text.size(), f);
    std::fclose(f);
    ASSERT_EQ(std::rename(tmp.c_str(), path.c_str()), 0);
  }
  HttpResponse r =
      one_request(proxy.admin(), make_request("POST", "/v1/reload", {{"Connection", "close"}}));
  EXPECT_EQ(r.status(), 400) << r.body;
  EXPECT_NE(r.body.find("restart"), std::string::npos) << r.body;
  // Still answering where it was.
  EXPECT_EQ(call(proxy, "GET", "/version").status(), 200);
}

}  // namespace
}  // namespace faultline::harness
