// The admin API as a pure function over a stateful fake Backend: the routing table (every
// path x method), auth, content-type and JSON errors, backend outcomes and the audit trail.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "proxy/admin/api.h"
#include "tests/unit/admin_fake_backend.h"

namespace faultline::proxy::admin {
namespace {

using testing::FakeBackend;

AdminRequest req(std::string method, std::string target, std::string body = {},
                 std::string content_type = "application/json") {
  AdminRequest r;
  r.method = std::move(method);
  r.target = std::move(target);
  r.body = std::move(body);
  if (!r.body.empty()) r.content_type = std::move(content_type);
  r.client = "192.0.2.7";
  return r;
}

std::string experiment_body(const std::string& name) {
  return R"({"name": ")" + name + R"(", "faults": [{"type": "latency", "delay": "10ms"}]})";
}

std::string header(const AdminResponse& r, const std::string& name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return {};
}

nlohmann::json body_json(const AdminResponse& r) {
  return nlohmann::json::parse(r.body);
}

struct Fixture : ::testing::Test {
  FakeBackend backend;
  AuditLog audit;
  AdminApi api{backend, audit, ""};
};

TEST(AdminRoutes, MatchRoute) {
  EXPECT_EQ(match_route("/v1/experiments/a-b")->route, Route::kExperiment);
  EXPECT_EQ(match_route("/v1/experiments/a-b")->name, "a-b");
  EXPECT_EQ(match_route("/v1/experiments/x/pause")->route, Route::kPause);
  EXPECT_EQ(match_route("/v1/experiments/x/resume")->name, "x");
  EXPECT_FALSE(match_route("/v1/experiments/"));
  EXPECT_FALSE(match_route("/v1/experiments/x/"));
  EXPECT_FALSE(match_route("/v1/experiments/x/pause/now"));
  EXPECT_FALSE(match_route("/v1/status/"));
  EXPECT_FALSE(match_route("/healthz/"));
  EXPECT_FALSE(match_route(""));
  EXPECT_FALSE(route_requires_token(Route::kHealthz));
  EXPECT_FALSE(route_requires_token(Route::kReadyz));
  EXPECT_FALSE(route_requires_token(Route::kMetrics));
  EXPECT_TRUE(route_requires_token(Route::kStatus));
  EXPECT_TRUE(route_requires_token(Route::kHalt));
}

// Every path x method -> status, each on a fresh backend holding API experiment "e1".
TEST(AdminRoutes, EveryPathAndMethod) {
  const std::vector<std::string> methods = {"GET", "POST", "PUT", "DELETE", "PATCH"};
  const std::map<std::string, std::map<std::string, int>> allowed = {
      {"/healthz", {{"GET", 200}}},
      {"/readyz", {{"GET", 200}}},
      {"/metrics", {{"GET", 200}}},
      {"/v1/status", {{"GET", 200}}},
      {"/v1/experiments", {{"GET", 200}, {"POST", 201}}},
      {"/v1/experiments/e1", {{"GET", 200}, {"PUT", 200}, {"DELETE", 204}}},
      {"/v1/experiments/e1/pause", {{"POST", 200}}},
      {"/v1/experiments/e1/resume", {{"POST", 200}}},
      {"/v1/halt", {{"POST", 200}, {"DELETE", 200}}},
      {"/v1/reload", {{"POST", 200}}},
      {"/v1/events", {{"GET", 200}}},
      {"/", {}},
      {"/nope", {}},
      {"/v1", {}},
      {"/v1/nope", {}},
      {"/v1/experiments/", {}},
      {"/v1/experiments/e1/explode", {}},
  };
  for (const auto& [path, codes] : allowed) {
    for (const std::string& method : methods) {
      FakeBackend backend;
      AuditLog audit;
      AdminApi api(backend, audit, "");
      AdminResponse seed = api.handle(req("PUT", "/v1/experiments/e1", experiment_body("e1")));
      ASSERT_EQ(seed.status, 201) << seed.body;
      const bool has_body = method == "POST" || method == "PUT";
      const std::string name = path == "/v1/experiments/e1" ? "e1" : "e2";
      AdminResponse r = api.handle(req(method, path, has_body ? experiment_body(name) : ""));
      int expected = 404;
      if (!codes.empty()) {
        auto it = codes.find(method);
        expected = it == codes.end() ? 405 : it->second;
      }
      EXPECT_EQ(r.status, expected) << method << " " << path << ": " << r.body;
      if (expected == 405) {
        EXPECT_FALSE(header(r, "Allow").empty()) << method << " " << path;
      }
      if (expected >= 400) {
        EXPECT_TRUE(body_json(r).contains("error")) << r.body;
      }
    }
  }
}

TEST_F(Fixture, HealthReadyMetrics) {
  AdminResponse h = api.handle(req("GET", "/healthz"));
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(h.body, "ok");
  EXPECT_EQ(api.handle(req("GET", "/readyz")).status, 200);
  backend.set_ready(false);
  EXPECT_EQ(api.handle(req("GET", "/readyz")).status, 503);
  AdminResponse m = api.handle(req("GET", "/metrics?x=1"));
  EXPECT_EQ(m.status, 200);
  EXPECT_EQ(m.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(m.body.find("faultline_halted 0\n"), std::string::npos);
}

TEST_F(Fixture, MethodNotAllowedNamesTheAllowedMethods) {
  AdminResponse r = api.handle(req("PATCH", "/v1/experiments/e1"));
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(header(r, "Allow"), "GET, PUT, DELETE");
  EXPECT_EQ(header(api.handle(req("GET", "/v1/halt")), "Allow"), "POST, DELETE");
}

TEST(AdminAuthRoutes, TokenGuardsEveryV1RouteOnly) {
  FakeBackend backend;
  AuditLog audit;
  AdminApi api(backend, audit, "s3cret");
  for (const char* path : {"/v1/status", "/v1/experiments", "/v1/events", "/v1/nope"}) {
    AdminResponse r = api.handle(req("GET", path));
    EXPECT_EQ(r.status, 401) << path;  // even unknown /v1 paths: no probing without the token
    EXPECT_EQ(header(r, "WWW-Authenticate"), "Bearer realm=\"faultline\"");
    EXPECT_TRUE(body_json(r).contains("error"));
    AdminRequest wrong = req("GET", path);
    wrong.authorization = "Bearer s3creT";
    EXPECT_EQ(api.handle(wrong).status, 401) << path;
  }
  AdminRequest halt = req("POST", "/v1/halt");
  EXPECT_EQ(api.handle(halt).status, 401);
  EXPECT_FALSE(backend.halted());  // refused before reaching the backend
  halt.authorization = "Bearer s3cret";
  EXPECT_EQ(api.handle(halt).status, 200);
  EXPECT_TRUE(backend.halted());
  for (const char* path : {"/healthz", "/readyz", "/metrics"})
    EXPECT_EQ(api.handle(req("GET", path)).status, 200) << path;
  EXPECT_EQ(api.handle(req("GET", "/nope")).status, 404);

  api.set_token("");  // a reload may turn auth off
  EXPECT_EQ(api.handle(req("GET", "/v1/status")).status, 200);
  api.set_token("other");
  EXPECT_EQ(api.handle(req("GET", "/v1/status")).status, 401);
}

TEST_F(Fixture, NonJsonBodyIs415) {
  AdminResponse r = api.handle(req("POST", "/v1/experiments", experiment_body("e2"), "text/plain"));
  EXPECT_EQ(r.status, 415);
  EXPECT_EQ(api.handle(req("POST", "/v1/experiments", experiment_body("e2"),
                           "application/x-www-form-urlencoded"))
                .status,
            415);
  EXPECT_EQ(api.handle(req("POST", "/v1/halt", "{}", "")).status, 415);  // body without a type
  EXPECT_FALSE(backend.halted());
  EXPECT_FALSE(backend.has("e2"));
  EXPECT_EQ(api.handle(req("POST", "/v1/experiments", experiment_body("e2"),
                           "Application/JSON; charset=utf-8"))
                .status,
            201);
}

TEST_F(Fixture, BadJsonIs400WithoutField) {
  for (const char* body : {"{", "not json", "[1,2]", "\"name\"", "{\"name\": \"x\",}"}) {
    AdminResponse r = api.handle(req("POST", "/v1/experiments", body));
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_TRUE(body_json(r).contains("error")) << body;
    EXPECT_FALSE(body_json(r).contains("field")) << body;
  }
  AdminResponse empty = api.handle(req("POST", "/v1/experiments"));
  EXPECT_EQ(empty.status, 400);
}

TEST_F(Fixture, InvalidExperimentNamesTheField) {
  AdminResponse r = api.handle(
      req("POST", "/v1/experiments", R"({"name": "e2", "duration": "soon", "faults": []})"));
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(body_json(r).value("field", ""), "duration") << r.body;
  EXPECT_FALSE(backend.has("e2"));
}

TEST_F(Fixture, PutTakesTheNameFromThePath) {
  AdminResponse r = api.handle(
      req("PUT", "/v1/experiments/from-path", R"({"faults": [{"type": "abort", "status": 503}]})"));
  EXPECT_EQ(r.status, 201) << r.body;
  EXPECT_TRUE(backend.has("from-path"));
  AdminResponse mismatch = api.handle(req("PUT", "/v1/experiments/a", experiment_body("b")));
  EXPECT_EQ(mismatch.status, 400);
  EXPECT_EQ(body_json(mismatch)["field"], "name");
  EXPECT_FALSE(backend.has("a"));
  EXPECT_FALSE(backend.has("b"));
}

TEST_F(Fixture, CreateConflictsReplaceAndDelete) {
  EXPECT_EQ(api.handle(req("POST", "/v1/experiments", experiment_body("e1"))).status, 201);
  AdminResponse again = api.handle(req("POST", "/v1/experiments", experiment_body("e1")));
  EXPECT_EQ(again.status, 409);
  EXPECT_NE(body_json(again)["error"].get<std::string>().find("already exists"), std::string::npos);
  EXPECT_EQ(api.handle(req("PUT", "/v1/experiments/e1", experiment_body("e1"))).status, 200);

  AdminResponse got = api.handle(req("GET", "/v1/experiments/e1"));
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(body_json(got)["state"], "active");
  EXPECT_EQ(body_json(got)["source"], "api");

  EXPECT_EQ(api.handle(req("POST", "/v1/experiments/e1/pause")).status, 200);
  EXPECT_TRUE(backend.paused("e1"));
  EXPECT_EQ(body_json(api.handle(req("GET", "/v1/experiments/e1")))["state"], "paused");
  EXPECT_EQ(api.handle(req("POST", "/v1/experiments/e1/resume")).status, 200);
  EXPECT_FALSE(backend.paused("e1"));

  AdminResponse deleted = api.handle(req("DELETE", "/v1/experiments/e1"));
  EXPECT_EQ(deleted.status, 204);
  EXPECT_TRUE(deleted.body.empty());
  EXPECT_FALSE(backend.has("e1"));
  EXPECT_EQ(api.handle(req("GET", "/v1/experiments/e1")).status, 404);
  EXPECT_EQ(api.handle(req("DELETE", "/v1/experiments/e1")).status, 404);
  EXPECT_EQ(api.handle(req("POST", "/v1/experiments/e1/pause")).status, 404);
}

TEST_F(Fixture, ConfigExperimentsCannotBeReplacedOrDeleted) {
  backend.add_config_experiment("from-file");
  EXPECT_EQ(
      api.handle(req("PUT", "/v1/experiments/from-file", experiment_body("from-file"))).status,
      409);
  EXPECT_EQ(api.handle(req("DELETE", "/v1/experiments/from-file")).status, 409);
  EXPECT_EQ(api.handle(req("POST", "/v1/experiments/from-file/pause")).status, 200);
  EXPECT_TRUE(backend.has("from-file"));
}

TEST_F(Fixture, ListStatusAndEvents) {
  ASSERT_EQ(api.handle(req("POST", "/v1/experiments", experiment_body("e1"))).status, 201);
  nlohmann::json list = body_json(api.handle(req("GET", "/v1/experiments")));
  ASSERT_TRUE(list.is_array());
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["name"], "e1");
  EXPECT_EQ(body_json(api.handle(req("GET", "/v1/status")))["halted"], false);
}

TEST_F(Fixture, EveryMutationIsAuditedIncludingFailures) {
  api.handle(req("POST", "/v1/experiments", experiment_body("e1")));
  api.handle(req("POST", "/v1/experiments", experiment_body("e1")));  // 409
  api.handle(req("PUT", "/v1/experiments/e1", experiment_body("e1")));
  api.handle(req("PUT", "/v1/experiments/e3", experiment_body("e3")));
  api.handle(req("POST", "/v1/experiments", R"({"name": "bad", "duration": "soon"})"));
  api.handle(req("POST", "/v1/experiments/e1/pause"));
  api.handle(req("POST", "/v1/experiments/e1/resume"));
  api.handle(req("DELETE", "/v1/experiments/e1"));
  api.handle(req("DELETE", "/v1/experiments/missing"));
  api.handle(req("POST", "/v1/halt"));
  api.handle(req("DELETE", "/v1/halt"));
  backend.fail_next_reload("listeners[0].listen: bad address");
  api.handle(req("POST", "/v1/reload"));
  api.handle(req("POST", "/v1/reload"));
  api.handle(req("GET", "/v1/status"));  // reads are not audited

  const nlohmann::json events = audit.to_json();
  const std::vector<std::tuple<std::string, std::string, std::string>> expected = {
      {"create", "e1", "ok"},
      {"create", "e1", "error: experiment \"e1\" already exists"},
      {"replace", "e1", "ok"},
      {"create", "e3", "ok"},  // PUT that created
      {"create", "bad", "error: "},
      {"pause", "e1", "ok"},
      {"resume", "e1", "ok"},
      {"delete", "e1", "ok"},
      {"delete", "missing", "error: experiment \"missing\" not found"},
      {"halt", "", "ok"},
      {"unhalt", "", "ok"},
      {"reload", "", "error: listeners[0].listen: bad address"},
      {"reload", "", "ok"},
  };
  ASSERT_EQ(events.size(), expected.size()) << events.dump(2);
  for (size_t i = 0; i < expected.size(); ++i) {
    const auto& [action, experiment, result] = expected[i];
    EXPECT_EQ(events[i]["action"], action) << i;
    EXPECT_EQ(events[i]["experiment"], experiment) << i;
    EXPECT_EQ(events[i]["result"].get<std::string>().rfind(result, 0), 0u)
        << i << ": " << events[i]["result"];
    EXPECT_EQ(events[i]["client"], "192.0.2.7");
    EXPECT_EQ(events[i]["time"].get<std::string>().size(), 24u);  // 2026-11-21T22:31:05.123Z
  }
  EXPECT_EQ(body_json(api.handle(req("GET", "/v1/events"))), events);
}

// A Backend answers in verdicts; the API turns each into one HTTP status, the error body
// {"error", "field"} for a failure, and an audit entry.
TEST(AdminVerdicts, EachVerdictIsOneHttpStatus) {
  struct Scripted : FakeBackend {
    Outcome next;
    Outcome remove(const std::string&) override { return next; }
  };
  const std::vector<std::pair<Verdict, int>> cases = {
      {Verdict::kOk, 200},      {Verdict::kCreated, 201},  {Verdict::kRemoved, 204},
      {Verdict::kInvalid, 400}, {Verdict::kNotFound, 404}, {Verdict::kConflict, 409},
      {Verdict::kFailed, 500},
  };
  for (const auto& [verdict, status] : cases) {
    Scripted backend;
    AuditLog audit;
    AdminApi api(backend, audit, "");
    Outcome outcome;
    outcome.verdict = verdict;
    if (!outcome.ok()) outcome = Outcome::failure(verdict, "why not", "faults[0].delay");
    backend.next = outcome;
    const AdminResponse r = api.handle(req("DELETE", "/v1/experiments/x"));
    EXPECT_EQ(r.status, status) << static_cast<int>(verdict);
    const nlohmann::json events = audit.to_json();
    ASSERT_EQ(events.size(), 1u);
    if (outcome.ok()) {
      EXPECT_EQ(events[0]["result"], "ok");
      if (status == 204)
        EXPECT_TRUE(r.body.empty()) << r.body;
      else
        EXPECT_EQ(body_json(r), nlohmann::json({{"ok", true}}));
      continue;
    }
    EXPECT_EQ(body_json(r), nlohmann::json({{"error", "why not"}, {"field", "faults[0].delay"}}));
    EXPECT_EQ(events[0]["result"], "error: why not");
  }
}

TEST_F(Fixture, HaltAnswersTheSwitchAndAWarningWhenItWasNotPersisted) {
  AdminResponse r = api.handle(req("POST", "/v1/halt"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(body_json(r), nlohmann::json({{"halted", true}}));
  backend.warn_on_next_halt("not persisted in runtime.state_dir: disk full");
  r = api.handle(req("DELETE", "/v1/halt"));
  EXPECT_EQ(r.status, 200);  // it took effect
  EXPECT_EQ(body_json(r),
            nlohmann::json(
                {{"halted", false}, {"warning", "not persisted in runtime.state_dir: disk full"}}));
  EXPECT_FALSE(backend.halted());
  r = api.handle(req("POST", "/v1/reload"));
  EXPECT_EQ(body_json(r), nlohmann::json({{"result", "ok"}}));
}

TEST(AdminAudit, RingIsBounded) {
  AuditLog audit(3);
  for (int i = 0; i < 5; ++i) audit.record("c", "halt", std::to_string(i), "ok");
  const nlohmann::json events = audit.to_json();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0]["experiment"], "2");
  EXPECT_EQ(events[2]["experiment"], "4");
  EXPECT_EQ(audit.dropped(), 2u);
}

// --- Untrusted bodies (issue 8 items 1 and 19): refused while parsing, never crashing. ---

std::string nested_arrays(size_t depth) {
  return R"({"name": "deep", "faults": [{"type": "abort", "x": )" + std::string(depth, '[') +
         std::string(depth, ']') + "}]}";
}

TEST_F(Fixture, DeeplyNestedBodyIs400NotACrash) {
  for (size_t depth : {33u, 5'000u, 200'000u}) {
    AdminResponse r = api.handle(req("POST", "/v1/experiments", nested_arrays(depth)));
    EXPECT_EQ(r.status, 400) << depth;
    EXPECT_NE(r.body.find("nested deeper than 32 levels"), std::string::npos) << r.body;
  }
  EXPECT_FALSE(backend.has("deep"));
  // 32 levels in all pass the reader (here 3 objects/arrays + 29 arrays); fault parameters
  // are the fault kinds' business, and this fake backend takes any.
  AdminResponse ok_depth = api.handle(req("POST", "/v1/experiments", nested_arrays(29)));
  EXPECT_EQ(ok_depth.status, 201) << ok_depth.body;
}

TEST_F(Fixture, DeepObjectsAndPutAreRefusedToo) {
  std::string deep = R"({"name": "d", "match": )";
  for (int i = 0; i < 5000; ++i) deep += R"({"a": )";
  deep += "1" + std::string(5000, '}') + "}";
  EXPECT_EQ(api.handle(req("POST", "/v1/experiments", deep)).status, 400);
  EXPECT_EQ(api.handle(req("PUT", "/v1/experiments/d", deep)).status, 400);
}

TEST_F(Fixture, DuplicateKeysAre400NamingTheKeyAndPosition) {
  AdminResponse r = api.handle(req("POST", "/v1/experiments",
                                   R"({"name": "a", "faults": [{"type": "abort"}], "name": "b"})"));
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(body_json(r).value("error", ""),
            "invalid JSON: duplicate key \"name\" at line 1, column 46");
  EXPECT_EQ(body_json(r).value("field", ""), "name");
  EXPECT_FALSE(backend.has("a"));
  EXPECT_FALSE(backend.has("b"));

  r = api.handle(req("PUT", "/v1/experiments/p",
                     "{\"faults\": [{\"type\": \"abort\",\n \"status\": 500, \"status\": 503}]}"));
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(body_json(r).value("error", ""),
            "invalid JSON: duplicate key \"status\" at line 2, column 17");
  EXPECT_EQ(body_json(r).value("field", ""), "faults[0].status");
  EXPECT_FALSE(backend.has("p"));
}

TEST_F(Fixture, DuplicateKeysSpelledWithEscapesAreStillDuplicates) {
  AdminResponse r =
      api.handle(req("POST", "/v1/experiments",
                     R"({"name": "a", "faults": [{"type": "abort"}], "n\u0061me": "b"})"));
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("duplicate key \\\"name\\\""), std::string::npos) << r.body;
}

TEST_F(Fixture, HugeFlatBodyIsRefusedByValueCount) {
  std::string flat = R"({"name": "flat", "faults": [{"type": "abort"}], "x": [)";
  for (int i = 0; i < 150'000; ++i) flat += i == 0 ? "0" : ",0";
  flat += "]}";
  AdminResponse r = api.handle(req("POST", "/v1/experiments", flat));
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("more than 100000 values"), std::string::npos) << r.body;
}

// --- Browsers (issue 8 item 11): Host, Origin, Sec-Fetch-Site and content types. ---

AdminRequest from(std::string method, std::string target, std::string host,
                  std::string origin = {}) {
  AdminRequest r = req(std::move(method), std::move(target));
  r.host = std::move(host);
  r.origin = std::move(origin);
  return r;
}

TEST_F(Fixture, ForeignHostIs421OnEveryRoute) {
  for (const char* host : {"evil.example", "evil.example:9901", "localhost.evil.example",
                           "127.0.0.1.nip.io", "[::1", "a b", "localhost:port"}) {
    for (const char* path : {"/healthz", "/metrics", "/v1/status"}) {
      AdminResponse r = api.handle(from("GET", path, host));
      EXPECT_EQ(r.status, 421) << host << " " << path;
    }
    EXPECT_EQ(api.handle(from("POST", "/v1/halt", host)).status, 421) << host;
  }
  EXPECT_FALSE(backend.halted());
  AdminResponse r = api.handle(from("GET", "/healthz", "evil.example"));
  EXPECT_NE(r.body.find("[admin] hosts"), std::string::npos) << r.body;
}

TEST_F(Fixture, LoopbackHostsPass) {
  for (const char* host : {"localhost", "LOCALHOST:9901", "localhost.", "app.localhost:1",
                           "127.0.0.1", "127.0.0.1:9901", "127.9.9.9", "[::1]", "[::1]:9901",
                           "[::ffff:127.0.0.1]:80", "0.0.0.0:9901", "[::]:9901"}) {
    EXPECT_EQ(api.handle(from("GET", "/healthz", host)).status, 200) << host;
  }
  // No Host at all is not a browser (HTTP/1.0 clients, raw probes).
  EXPECT_EQ(api.handle(from("GET", "/healthz", "")).status, 200);
}

TEST_F(Fixture, ConfiguredHostNamesPass) {
  EXPECT_EQ(api.handle(from("GET", "/healthz", "faultline.example.com:9901")).status, 421);
  api.set_allowed_hosts({"Faultline.Example.com", "admin.internal"});
  EXPECT_EQ(api.handle(from("GET", "/healthz", "faultline.example.com:9901")).status, 200);
  EXPECT_EQ(api.handle(from("GET", "/healthz", "ADMIN.internal")).status, 200);
  EXPECT_EQ(api.handle(from("GET", "/healthz", "other.internal")).status, 421);
}

TEST_F(Fixture, ThisMachinesInterfaceAddressesPass) {
  std::vector<std::string> own = interface_addresses();
  ASSERT_FALSE(own.empty()) << "getifaddrs found no address (not even loopback)";
  for (const std::string& address : own) {
    const bool v6 = address.find(':') != std::string::npos;
    const std::string host = v6 ? "[" + address + "]:9901" : address + ":9901";
    if (v6 && address.starts_with("fe80")) continue;  // link-local needs a zone in a URL
    EXPECT_EQ(api.handle(from("GET", "/healthz", host)).status, 200) << host;
  }
  // TEST-NET-3 is never assigned to a machine.
  EXPECT_EQ(api.handle(from("GET", "/healthz", "203.0.113.9:9901")).status, 421);
}

TEST_F(Fixture, WritesFromAnotherOriginAre403) {
  for (const char* origin : {"http://evil.example", "null", "http://localhost:3000",
                             "https://localhost", "http://127.0.0.1:9901, http://evil.example"}) {
    EXPECT_EQ(api.handle(from("POST", "/v1/halt", "localhost:9901", origin)).status, 403) << origin;
    EXPECT_EQ(api.handle(from("DELETE", "/v1/halt", "localhost:9901", origin)).status, 403);
    AdminRequest put = from("PUT", "/v1/experiments/x", "localhost:9901", origin);
    put.body = experiment_body("x");
    put.content_type = "application/json";
    EXPECT_EQ(api.handle(put).status, 403) << origin;
  }
  EXPECT_FALSE(backend.halted());
  EXPECT_FALSE(backend.has("x"));
  // Reads are not state-changing: a foreign Origin on GET is harmless (no CORS headers are
  // ever sent, so the page cannot read the answer).
  EXPECT_EQ(api.handle(from("GET", "/v1/status", "localhost:9901", "http://evil.example")).status,
            200);
  // The admin's own origin may write.
  EXPECT_EQ(api.handle(from("POST", "/v1/halt", "localhost:9901", "http://localhost:9901")).status,
            200);
  EXPECT_TRUE(backend.halted());
}

TEST_F(Fixture, CrossSiteFetchMetadataIs403) {
  AdminRequest halt = from("POST", "/v1/halt", "127.0.0.1:9901");
  halt.sec_fetch_site = "cross-site";
  EXPECT_EQ(api.handle(halt).status, 403);
  halt.sec_fetch_site = "same-origin, Cross-Site";
  EXPECT_EQ(api.handle(halt).status, 403);
  EXPECT_FALSE(backend.halted());
  halt.sec_fetch_site = "none";  // typed into the address bar or a tool
  EXPECT_EQ(api.handle(halt).status, 200);
}

TEST_F(Fixture, EveryWriteThatDeclaresATypeMustDeclareJson) {
  // What an HTML form or a preflight-free fetch() can send, even with an empty body.
  for (const char* type :
       {"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"}) {
    AdminRequest halt = req("POST", "/v1/halt");
    halt.content_type = type;
    EXPECT_EQ(api.handle(halt).status, 415) << type;
    AdminRequest reload = req("POST", "/v1/reload");
    reload.content_type = type;
    EXPECT_EQ(api.handle(reload).status, 415) << type;
  }
  EXPECT_FALSE(backend.halted());
  EXPECT_EQ(backend.reloads(), 0);
  // A bodiless write without a type (curl -X POST, faultline ctl) and one declared JSON work.
  EXPECT_EQ(api.handle(req("POST", "/v1/halt")).status, 200);
  AdminRequest unhalt = req("DELETE", "/v1/halt");
  unhalt.content_type = "application/json";
  EXPECT_EQ(api.handle(unhalt).status, 200);
  EXPECT_FALSE(backend.halted());
}

// --- SPEC §7: the token also as x-faultline-token. ---

TEST(AdminAuthHeader, XFaultlineTokenIsAccepted) {
  FakeBackend backend;
  AuditLog audit;
  AdminApi api{backend, audit, "s3cret"};
  AdminRequest r = req("GET", "/v1/status");
  r.faultline_token = "s3cret";
  EXPECT_EQ(api.handle(r).status, 200);
  r.faultline_token = "s3creT";
  EXPECT_EQ(api.handle(r).status, 401);
  r.faultline_token = "s3cret, s3cret";  // a repeated header is joined and never matches
  EXPECT_EQ(api.handle(r).status, 401);
  r.faultline_token = "Bearer s3cret";  // the bare token, no scheme
  EXPECT_EQ(api.handle(r).status, 401);
  r.faultline_token.clear();
  AdminResponse refused = api.handle(r);
  EXPECT_EQ(refused.status, 401);
  EXPECT_NE(refused.body.find("x-faultline-token"), std::string::npos) << refused.body;
}

}  // namespace
}  // namespace faultline::proxy::admin
