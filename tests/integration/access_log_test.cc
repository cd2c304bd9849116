// What operators see (SPEC §7, issue 8 items 14-16): one access-log line and one count per
// request, faulted or not, with the faults and their source named; code "000" when no HTTP
// response reached the client; our own waits apart from upstream time; with format = "json"
// every line the process writes is one JSON object; ignored header triggers said at debug.
// Everything is read from the real binary's stderr and /metrics.
#include <nlohmann/json.hpp>

#include <csignal>
#include <set>
#include <sstream>

#include "tests/integration/support.h"

namespace faultline::harness {
namespace {

using nlohmann::json;

constexpr const char* kQuietLog =
    "[log]\nlevel = \"warn\"\nformat = \"text\"\naccess_log = false\n";
constexpr const char* kJsonLog = "[log]\nlevel = \"debug\"\nformat = \"json\"\naccess_log = true\n";

// The harness writes quiet text logs; these tests want everything, as JSON.
std::string with_json_log(std::string toml) {
  const size_t at = toml.find(kQuietLog);
  EXPECT_NE(at, std::string::npos);
  if (at != std::string::npos) toml.replace(at, std::string(kQuietLog).size(), kJsonLog);
  return toml;
}

constexpr const char* kExperiments = R"(
[triggers.headers]
enabled = true
token = "s3cret"

[[experiments]]
name = "aborter"
listeners = ["main"]
[experiments.match]
paths = ["/abort"]
[[experiments.faults]]
type = "abort"
status = 503

[[experiments]]
name = "slowpoke"
listeners = ["main"]
[experiments.match]
paths = ["/slow"]
[[experiments.faults]]
type = "latency"
delay = "300ms"

[[experiments]]
name = "cutter"
listeners = ["main"]
[experiments.match]
paths = ["/reset"]
[[experiments.faults]]
type = "reset"
phase = "request"

[[experiments]]
name = "staller"
listeners = ["main"]
[experiments.match]
paths = ["/stall"]
[[experiments.faults]]
type = "stall"
duration = "300ms"

[[experiments]]
name = "trickle"
listeners = ["main"]
[experiments.match]
paths = ["/throttle"]
[[experiments.faults]]
type = "bandwidth"
rate = "8KiB/s"

[[experiments]]
name = "at-connect"
listeners = ["cx"]
[[experiments.faults]]
type = "reset"
phase = "connect"

[[experiments]]
name = "tcp-lag"
listeners = ["raw"]
[[experiments.faults]]
type = "latency"
delay = "100ms"
direction = "downstream"
)";

// Each line of `text` parsed as JSON; a line that is not one JSON object fails the test.
std::vector<json> json_lines(const std::string& text, const char* stream) {
  std::vector<json> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
    EXPECT_TRUE(j.is_object()) << stream << " line is not a JSON object: " << line;
    if (j.is_object()) out.push_back(std::move(j));
  }
  return out;
}

std::vector<json> access_lines(const std::vector<json>& lines) {
  std::vector<json> out;
  for (const json& j : lines)
    if (j.value("logger", "") == "access") out.push_back(j);
  return out;
}

// The access line of the request to `path` (the last one), or null.
json line_for(const std::vector<json>& access, const std::string& path) {
  json found;
  for (const json& j : access)
    if (j.value("path", "") == path) found = j;
  return found;
}

class AccessLog : public ::testing::Test {
 protected:
  void SetUp() override {
    up_.route("/real503", handlers::fixed(503, "upstream says no"));
    up_.route("/throttle", handlers::fixed(200, std::string(16 * 1024, 'x')));
    up_.route("/ws", handlers::upgrade_echo());
    up_.route("/die", handlers::die_mid_response(1000, 100));
    ConfigSpec spec;
    ListenerSpec main;
    main.upstream = up_.address();
    ListenerSpec dead;
    dead.name = "dead";
    dead.upstream = closed_port_address();
    ListenerSpec raw;
    raw.name = "raw";
    raw.protocol = "tcp";
    raw.upstream = tcp_up_.address();
    ListenerSpec cx;
    cx.name = "cx";
    cx.upstream = up_.address();
    spec.listeners = {main, dead, raw, cx};
    spec.admin_extra = "token = \"admintoken\"\n";
    spec.tail = kExperiments;
    proxy_ = std::make_unique<ProxyProcess>(with_json_log(config_toml(spec)));
    ASSERT_TRUE(proxy_->ready()) << proxy_->failure() << proxy_->stderr_text();
    main_ = proxy_->listener("main");
  }

  // Waits until the access log holds a line for every path in `paths` (lines are flushed
  // about once a second), then returns every stderr line parsed.
  std::vector<json> wait_for_paths(const std::set<std::string>& paths) {
    std::vector<json> lines;
    eventually(
        [&] {
          lines.clear();
          std::istringstream in(proxy_->stderr_text());
          std::string line;
          std::set<std::string> seen;
          while (std::getline(in, line)) {
            json j = json::parse(line, nullptr, false);
            if (j.is_object() && j.value("logger", "") == "access")
              seen.insert(j.value("path", ""));
          }
          for (const auto& p : paths)
            if (!seen.count(p)) return false;
          return true;
        },
        Millis(8000));
    return json_lines(proxy_->stderr_text(), "stderr");
  }

  std::string scrape() { return admin_get(*proxy_, "/metrics").body; }

  HttpUpstream up_;
  TcpUpstream tcp_up_{tcp_handlers::echo()};
  std::unique_ptr<ProxyProcess> proxy_;
  Endpoint main_;
};

TEST_F(AccessLog, NamesEachFaultItsSourceAndTellsInjectedFromRealErrors) {
  EXPECT_EQ(one_request(main_, get_request("/abort")).status(), 503);
  EXPECT_EQ(one_request(main_, get_request("/real503")).status(), 503);
  EXPECT_EQ(one_request(main_, get_request("/slow")).status(), 200);
  EXPECT_EQ(one_request(main_, get_request("/hdr", {{"x-chaos-delay", "200ms"},
                                                    {"x-chaos-token", "s3cret"}}))
                .status(),
            200);
  EXPECT_EQ(one_request(main_, get_request("/plain")).status(), 200);
  const auto access =
      access_lines(wait_for_paths({"/abort", "/real503", "/slow", "/hdr", "/plain"}));

  const json abort = line_for(access, "/abort");
  ASSERT_TRUE(abort.is_object());
  EXPECT_EQ(abort["status"], 503);
  EXPECT_EQ(abort["code"], "503");
  EXPECT_EQ(abort["injected"], true);
  EXPECT_EQ(abort["listener"], "main");
  EXPECT_EQ(abort["client"], "127.0.0.1");
  EXPECT_EQ(abort["method"], "GET");
  ASSERT_EQ(abort["faults"].size(), 1u) << abort;
  EXPECT_EQ(abort["faults"][0], json({{"type", "abort"},
                                      {"source", "experiment"},
                                      {"experiment", "aborter"},
                                      {"status", 503}}));

  const json real = line_for(access, "/real503");
  ASSERT_TRUE(real.is_object());
  EXPECT_EQ(real["status"], 503);
  EXPECT_EQ(real["injected"], false);
  EXPECT_TRUE(real["faults"].empty()) << real;

  const json slow = line_for(access, "/slow");
  ASSERT_TRUE(slow.is_object());
  ASSERT_EQ(slow["faults"].size(), 1u) << slow;
  EXPECT_EQ(slow["faults"][0], json({{"type", "latency"},
                                     {"source", "experiment"},
                                     {"experiment", "slowpoke"},
                                     {"phase", "request"},
                                     {"delay_ms", 300}}));
  EXPECT_EQ(slow["injected"], false) << "the status came from the upstream";
  EXPECT_GE(slow["fault_ms"].get<double>(), 290.0) << slow;
  EXPECT_LT(slow["upstream_ms"].get<double>(), slow["fault_ms"].get<double>()) << slow;
  EXPECT_GE(slow["duration_ms"].get<double>(), 290.0) << slow;

  const json hdr = line_for(access, "/hdr");
  ASSERT_TRUE(hdr.is_object());
  ASSERT_EQ(hdr["faults"].size(), 1u) << hdr;
  EXPECT_EQ(
      hdr["faults"][0],
      json({{"type", "latency"}, {"source", "header"}, {"phase", "request"}, {"delay_ms", 200}}));

  const json plain = line_for(access, "/plain");
  ASSERT_TRUE(plain.is_object());
  EXPECT_EQ(plain["status"], 200);
  EXPECT_TRUE(plain["faults"].empty());

  // Every line has its own request id.
  std::set<std::string> ids;
  for (const json& j : access) ids.insert(j.value("id", ""));
  EXPECT_EQ(ids.size(), access.size());
  EXPECT_FALSE(ids.count(""));

  // The metric tells injected from real 503s.
  const std::string text = scrape();
  EXPECT_NE(
      text.find(
          R"(faultline_requests_total{listener="main",code="503",injected="true",protocol="http1"} 1)"),
      std::string::npos)
      << text;
  EXPECT_NE(
      text.find(
          R"(faultline_requests_total{listener="main",code="503",injected="false",protocol="http1"} 1)"),
      std::string::npos)
      << text;
}

TEST_F(AccessLog, ResetsAndStallsAreLoggedAndCountedAs000) {
  HttpResponse reset = one_request(main_, get_request("/reset"));
  EXPECT_EQ(reset.io, IoStatus::kReset) << reset;
  RawClient stalled(main_);
  ASSERT_TRUE(stalled.connected());
  ASSERT_EQ(stalled.send(get_request("/stall")), IoStatus::kOk);
  const auto drained = stalled.read_until_close(Millis(5000));
  EXPECT_NE(drained.io, IoStatus::kTimeout);
  EXPECT_TRUE(drained.bytes.empty()) << drained.bytes;

  const auto access = access_lines(wait_for_paths({"/reset", "/stall"}));
  const json r = line_for(access, "/reset");
  ASSERT_TRUE(r.is_object());
  EXPECT_EQ(r["status"], 0);
  EXPECT_EQ(r["code"], "000");
  EXPECT_EQ(r["injected"], true);
  EXPECT_EQ(r["ending"], "reset");
  ASSERT_EQ(r["faults"].size(), 1u) << r;
  EXPECT_EQ(r["faults"][0]["type"], "reset");
  EXPECT_EQ(r["faults"][0]["experiment"], "cutter");
  EXPECT_EQ(r["faults"][0]["phase"], "request");

  const json s = line_for(access, "/stall");
  ASSERT_TRUE(s.is_object());
  EXPECT_EQ(s["code"], "000");
  EXPECT_EQ(s["ending"], "stall");
  EXPECT_EQ(s["injected"], true);
  EXPECT_GE(s["fault_ms"].get<double>(), 290.0) << s;
  EXPECT_EQ(s["faults"][0], json({{"type", "stall"},
                                  {"source", "experiment"},
                                  {"experiment", "staller"},
                                  {"duration_ms", 300}}));

  std::string text;
  EXPECT_TRUE(eventually([&] {
    text = scrape();
    return text.find(
               R"(faultline_requests_total{listener="main",code="000",injected="true",protocol="http1"} 2)") !=
           std::string::npos;
  })) << text;
}

// A bandwidth throttle is our time, not the upstream's.
TEST_F(AccessLog, ThrottleTimeIsNotUpstreamTime) {
  const HttpResponse r = one_request(main_, get_request("/throttle"), Millis(15000));
  ASSERT_EQ(r.status(), 200) << r;
  EXPECT_EQ(r.body.size(), 16u * 1024);
  const json line = line_for(access_lines(wait_for_paths({"/throttle"})), "/throttle");
  ASSERT_TRUE(line.is_object());
  // 16 KiB at 8 KiB/s: the throttle holds the body for about a second or more.
  EXPECT_GE(line["fault_ms"].get<double>(), 700.0) << line;
  EXPECT_LT(line["upstream_ms"].get<double>(), line["fault_ms"].get<double>() / 2) << line;
  EXPECT_EQ(line["faults"][0], json({{"type", "bandwidth"},
                                     {"source", "experiment"},
                                     {"experiment", "trickle"},
                                     {"direction", "downstream"},
                                     {"bytes_per_second", 8192}}));
}

// Local answers (400, 502) are requests too.
TEST_F(AccessLog, LocalRepliesAreLogged) {
  RawClient garbage(main_);
  ASSERT_TRUE(garbage.connected());
  ASSERT_EQ(garbage.send("NOT A REQUEST\r\n\r\n"), IoStatus::kOk);
  EXPECT_EQ(garbage.read_response().status(), 400);
  EXPECT_EQ(one_request(proxy_->listener("dead"), get_request("/gone")).status(), 502);
  const auto lines = wait_for_paths({"/gone"});
  bool saw_400 = false;
  eventually([&] {
    for (const json& j : access_lines(json_lines(proxy_->stderr_text(), "stderr")))
      saw_400 = saw_400 || j.value("status", 0) == 400;
    return saw_400;
  });
  EXPECT_TRUE(saw_400) << proxy_->stderr_text();
  const json gone = line_for(access_lines(lines), "/gone");
  EXPECT_EQ(gone["status"], 502);
  EXPECT_EQ(gone["listener"], "dead");
  EXPECT_EQ(gone["injected"], false);
}

// A client that leaves before its answer, a head over max_header_bytes and a request cut by
// the drain timeout are requests too.
TEST_F(AccessLog, ClientGoneOversizedHeadAndDrainAbortAreLogged) {
  {
    RawClient leaver(main_);
    ASSERT_TRUE(leaver.connected());
    ASSERT_EQ(leaver.send(get_request("/slow")), IoStatus::kOk);  // held 300 ms by a fault
    std::this_thread::sleep_for(Millis(50));
  }  // closed while the latency fault holds the request
  const HttpResponse big = one_request(
      main_, get_request("/big", {{"x-filler", std::string(100 * 1024, 'a')}}), Millis(10000));
  EXPECT_EQ(big.status(), 431) << big;

  up_.route("/forever", handlers::delayed(Millis(6000), handlers::fixed(200, "late")));
  RawClient waiting(main_);
  ASSERT_TRUE(waiting.connected());
  ASSERT_EQ(waiting.send(get_request("/forever")), IoStatus::kOk);
  std::this_thread::sleep_for(Millis(200));
  proxy_->signal(SIGTERM);  // drain_timeout = 2s, then the request is cut
  const auto status = proxy_->wait_exit(Millis(8000));
  ASSERT_TRUE(status.has_value());

  const auto access = access_lines(json_lines(proxy_->stderr_text(), "stderr"));
  const json gone = line_for(access, "/slow");
  ASSERT_TRUE(gone.is_object()) << proxy_->stderr_text();
  EXPECT_EQ(gone["code"], "000");
  EXPECT_EQ(gone["ending"], "client_closed");
  EXPECT_EQ(gone["injected"], false);
  EXPECT_EQ(gone["faults"][0]["type"], "latency");
  bool saw_431 = false;
  for (const json& j : access) saw_431 = saw_431 || j.value("status", 0) == 431;
  EXPECT_TRUE(saw_431) << proxy_->stderr_text();
  const json cut = line_for(access, "/forever");
  ASSERT_TRUE(cut.is_object()) << proxy_->stderr_text();
  EXPECT_EQ(cut["code"], "000");
  EXPECT_EQ(cut["ending"], "aborted");
  EXPECT_GE(cut["upstream_ms"].get<double>(), 1500.0) << cut;
}

// An upstream that dies mid-response: the client got no whole response, so "000", and the
// outcome was not a fault's.
TEST_F(AccessLog, AnUpstreamThatDiesMidResponseIsLoggedAs000) {
  const HttpResponse r = one_request(main_, get_request("/die"));
  EXPECT_FALSE(r.complete()) << r;
  const json line = line_for(access_lines(wait_for_paths({"/die"})), "/die");
  ASSERT_TRUE(line.is_object());
  EXPECT_EQ(line["code"], "000");
  EXPECT_EQ(line["ending"], "upstream_failed");
  EXPECT_EQ(line["injected"], false);
  std::string text;
  EXPECT_TRUE(eventually([&] {
    text = scrape();
    return text.find(
               R"(faultline_requests_total{listener="main",code="000",injected="false",protocol="http1"} 1)") !=
           std::string::npos;
  })) << text;
}

// A reset at accept (HTTP listener) and a WebSocket tunnel are one line each too: the reset
// as "000", the tunnel with its 101 once it closes.
TEST_F(AccessLog, ConnectResetsAndTunnelsAreLogged) {
  const HttpResponse cut = one_request(proxy_->listener("cx"), get_request("/never"));
  EXPECT_EQ(cut.io, IoStatus::kReset) << cut;
  {
    RawClient ws(main_);
    const HttpResponse up =
        ws.request(get_request("/ws", {{"Connection", "Upgrade"},
                                       {"Upgrade", "websocket"},
                                       {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="},
                                       {"Sec-WebSocket-Version", "13"}}));
    ASSERT_EQ(up.status(), 101) << up;
    ASSERT_EQ(ws.send("ping"), IoStatus::kOk);
    ws.shutdown_write();
    const auto echoed = ws.read_until_close(Millis(5000));
    EXPECT_EQ(echoed.bytes, "ping");
  }
  const auto access = access_lines(wait_for_paths({"/ws"}));
  const json tunnel = line_for(access, "/ws");
  EXPECT_EQ(tunnel["status"], 101) << tunnel;
  EXPECT_EQ(tunnel["ending"], "complete") << tunnel;
  json reset;
  EXPECT_TRUE(eventually([&] {
    for (const json& j : access_lines(json_lines(proxy_->stderr_text(), "stderr")))
      if (j.value("listener", "") == "cx") reset = j;
    return reset.is_object();
  })) << proxy_->stderr_text();
  EXPECT_EQ(reset["code"], "000");
  EXPECT_EQ(reset["ending"], "reset");
  EXPECT_EQ(reset["injected"], true);
  EXPECT_EQ(reset["faults"][0], json({{"type", "reset"},
                                      {"source", "experiment"},
                                      {"experiment", "at-connect"},
                                      {"phase", "connect"},
                                      {"after_bytes", 0}}));
}

// TCP: one line per connection, with the faults applied.
TEST_F(AccessLog, TcpConnectionsAreLoggedWithTheirFaults) {
  RawClient client(proxy_->listener("raw"));
  ASSERT_TRUE(client.connected());
  ASSERT_EQ(client.send("hello"), IoStatus::kOk);
  client.shutdown_write();
  const auto drained = client.read_until_close(Millis(5000));
  EXPECT_EQ(drained.bytes, "hello");
  json line;
  EXPECT_TRUE(eventually(
      [&] {
        for (const json& j : access_lines(json_lines(proxy_->stderr_text(), "stderr")))
          if (j.value("protocol", "") == "tcp") line = j;
        return line.is_object();
      },
      Millis(8000)))
      << proxy_->stderr_text();
  ASSERT_TRUE(line.is_object());
  EXPECT_EQ(line["listener"], "raw");
  EXPECT_EQ(line["bytes_in"], 5);
  EXPECT_EQ(line["bytes"], 5);
  ASSERT_EQ(line["faults"].size(), 1u) << line;
  EXPECT_EQ(line["faults"][0], json({{"type", "latency"},
                                     {"source", "experiment"},
                                     {"experiment", "tcp-lag"},
                                     {"direction", "downstream"},
                                     {"delay_ms", 100}}));
  EXPECT_GE(line["fault_ms"].get<double>(), 90.0) << line;
}

// Issue 8 item 16: ignored triggers are said at debug, with the reason.
TEST_F(AccessLog, IgnoredTriggersAreLoggedAtDebugWithTheReason) {
  EXPECT_EQ(
      one_request(main_, get_request("/t1", {{"x-chaos-abort", "500"}, {"x-chaos-token", "wrong"}}))
          .status(),
      200);
  EXPECT_EQ(one_request(main_, get_request("/t2", {{"x-chaos-experiment", "no-such-thing"},
                                                   {"x-chaos-token", "s3cret"}}))
                .status(),
            200);
  const auto lines = wait_for_paths({"/t1", "/t2"});
  bool token = false, unknown = false;
  for (const json& j : lines) {
    if (j.value("level", "") != "debug") continue;
    const std::string msg = j.value("msg", "");
    token = token || msg.find("x-chaos-token missing or wrong") != std::string::npos;
    unknown = unknown || msg.find("no-such-thing") != std::string::npos;
  }
  EXPECT_TRUE(token) << proxy_->stderr_text();
  EXPECT_TRUE(unknown) << proxy_->stderr_text();
}

// Issue 8 item 15: with format = "json", every line on stdout and stderr is one JSON object:
// start-up, access, audit, admin warnings, errors and shutdown.
TEST_F(AccessLog, EveryLineIsOneJsonObject) {
  EXPECT_EQ(one_request(main_, get_request("/x")).status(), 200);
  // An admin warning (unauthorized) and audit events (halt, unhalt).
  EXPECT_EQ(admin_get(*proxy_, "/v1/status").status(), 401);
  for (const char* method : {"POST", "DELETE"}) {
    const HttpResponse r =
        one_request(proxy_->admin(), make_request(method, "/v1/halt",
                                                  {{"Authorization", "Bearer admintoken"},
                                                   {"Content-Type", "application/json"},
                                                   {"Connection", "close"}},
                                                  "{}"));
    EXPECT_EQ(r.status() / 100, 2) << r;
  }
  EXPECT_EQ(one_request(proxy_->listener("dead"), get_request("/y")).status(), 502);
  proxy_->signal(SIGTERM);
  const auto status = proxy_->wait_exit(Millis(8000));
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(status->exited && status->code == 0) << status->str();

  const auto lines = json_lines(proxy_->stderr_text(), "stderr");
  json_lines(proxy_->stdout_text(), "stdout");
  std::set<std::string> loggers;
  bool unauthorized = false;
  for (const json& j : lines) {
    EXPECT_TRUE(j.contains("time") && j.contains("level") && j.contains("logger")) << j;
    loggers.insert(j.value("logger", ""));
    unauthorized = unauthorized || j.value("msg", "").find("unauthorized") != std::string::npos;
  }
  EXPECT_TRUE(loggers.count("audit")) << proxy_->stderr_text();
  EXPECT_TRUE(loggers.count("access")) << proxy_->stderr_text();
  EXPECT_TRUE(loggers.count("main")) << proxy_->stderr_text();
  EXPECT_TRUE(unauthorized) << proxy_->stderr_text();
}

// A start-up error after the config is read (a port in use) follows [log] too.
TEST(AccessLogStartup, BindFailureIsAJsonLine) {
  Fd taken;
  uint16_t port = 0;
  taken = listen_tcp(0, 1, &port);
  HttpUpstream up;
  ConfigSpec spec;
  ListenerSpec main;
  main.upstream = up.address();
  main.listen = "127.0.0.1:" + std::to_string(port);
  spec.listeners = {main};
  TempDir dir;
  const std::string path = dir.write("faultline.toml", with_json_log(config_toml(spec)));
  const CommandResult result = run_faultline({"run", "--config", path});
  ASSERT_TRUE(result.status.has_value());
  EXPECT_EQ(result.status->code, 2) << result.err;
  const auto lines = json_lines(result.err, "stderr");
  ASSERT_FALSE(lines.empty()) << result.err;
  EXPECT_NE(lines.back().value("msg", "").find(std::to_string(port)), std::string::npos)
      << result.err;
}

}  // namespace
}  // namespace faultline::harness
