// AdminServer on a real libuv loop over 127.0.0.1: every endpoint and error code, auth on
// and off, keep-alive and pipelining, bounds (413, 431, 408), limits, and clean teardown
// (uv_loop_close == 0).
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/loop/admin_live_server.h"

namespace faultline::proxy::admin::testing {
namespace {

using Clock = std::chrono::steady_clock;

const std::string kExperiment =
    R"({"name": "e1", "faults": [{"type": "latency", "delay": "10ms"}]})";

nlohmann::json parse(const RawClient::Response& r) {
  return nlohmann::json::parse(r.body);
}

TEST(AdminServerLoop, EveryEndpointOnOneKeepAliveConnection) {
  LiveAdmin admin;
  ASSERT_TRUE(admin.listening());
  ASSERT_NE(admin.port(), 0);
  RawClient c(admin.port());
  ASSERT_TRUE(c.connected());

  auto r = c.request("GET", "/healthz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "ok");
  EXPECT_EQ(c.request("GET", "/readyz").status, 200);
  admin.backend.set_ready(false);
  EXPECT_EQ(c.request("GET", "/readyz").status, 503);
  r = c.request("GET", "/metrics");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(r.body.find("# TYPE faultline_halted gauge"), std::string::npos);

  r = c.request("GET", "/v1/status");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("Content-Type"), "application/json");
  EXPECT_EQ(parse(r)["halted"], false);

  r = c.request("POST", "/v1/experiments", kExperiment);
  EXPECT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(parse(r)["name"], "e1");
  r = c.request("POST", "/v1/experiments", kExperiment);
  EXPECT_EQ(r.status, 409);
  EXPECT_TRUE(parse(r).contains("error"));
  EXPECT_EQ(c.request("PUT", "/v1/experiments/e1", kExperiment).status, 200);
  r = c.request("GET", "/v1/experiments");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(parse(r).size(), 1u);
  r = c.request("GET", "/v1/experiments/e1");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(parse(r)["state"], "active");
  EXPECT_EQ(c.request("POST", "/v1/experiments/e1/pause").status, 200);
  EXPECT_TRUE(admin.backend.paused("e1"));
  EXPECT_EQ(c.request("POST", "/v1/experiments/e1/resume").status, 200);
  EXPECT_FALSE(admin.backend.paused("e1"));

  r = c.request("DELETE", "/v1/experiments/e1");
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(r.header("Content-Length"), "");
  EXPECT_TRUE(r.body.empty());
  EXPECT_FALSE(admin.backend.has("e1"));
  r = c.request("GET", "/v1/experiments/e1");
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(parse(r)["error"].get<std::string>().find("not found"), std::string::npos);

  EXPECT_EQ(c.request("POST", "/v1/halt").status, 200);
  EXPECT_TRUE(admin.backend.halted());
  EXPECT_EQ(c.request("DELETE", "/v1/halt").status, 200);
  EXPECT_FALSE(admin.backend.halted());
  EXPECT_EQ(c.request("POST", "/v1/reload").status, 200);
  EXPECT_EQ(admin.backend.reloads(), 1);
  admin.backend.fail_next_reload("experiments[0].faults[0].delay: bad duration");
  r = c.request("POST", "/v1/reload");
  EXPECT_EQ(r.status, 400);

  r = c.request("PATCH", "/v1/halt");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.header("Allow"), "POST, DELETE");
  EXPECT_EQ(c.request("GET", "/nope").status, 404);
  r = c.request("POST", "/v1/experiments", "name=e1", "Content-Type: text/plain\r\n");
  EXPECT_EQ(r.status, 415);
  r = c.request("POST", "/v1/experiments", "{\"name\":");
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(parse(r).contains("error"));
  r = c.request("POST", "/v1/experiments", R"({"name": "e2", "duration": "soon"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(parse(r)["field"], "duration");

  r = c.request("GET", "/v1/events");
  ASSERT_EQ(r.status, 200);
  const nlohmann::json events = parse(r);
  ASSERT_GE(events.size(), 8u);
  EXPECT_EQ(events[0]["action"], "create");
  EXPECT_EQ(events[0]["client"], "127.0.0.1");
  EXPECT_EQ(events[0]["result"], "ok");

  r = c.request("GET", "/healthz", "", "Connection: close\r\n");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("Connection"), "close");
  EXPECT_TRUE(c.closed_by_peer());
  EXPECT_EQ(admin.stop(), 0);
}

TEST(AdminServerLoop, AuthOnAndOff) {
  LiveAdmin admin("s3cret");
  RawClient c(admin.port());
  auto r = c.request("GET", "/v1/status");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.header("WWW-Authenticate"), "Bearer realm=\"faultline\"");
  EXPECT_EQ(c.request("GET", "/v1/status", "", "Authorization: Bearer wrong\r\n").status, 401);
  EXPECT_EQ(c.request("POST", "/v1/halt", "", "Authorization: Bearer s3cret\r\n").status, 200);
  EXPECT_TRUE(admin.backend.halted());
  EXPECT_EQ(c.request("GET", "/healthz").status, 200);
  EXPECT_EQ(c.request("GET", "/readyz").status, 200);
  EXPECT_EQ(c.request("GET", "/metrics").status, 200);
  admin.server().set_token("");  // from another thread, as a reload would
  EXPECT_EQ(c.request("GET", "/v1/status").status, 200);
  EXPECT_EQ(admin.stop(), 0);
}

TEST(AdminServerLoop, BodyOverOneMebibyteIs413) {
  LiveAdmin admin;
  {  // declared length: answered before the body is sent
    RawClient c(admin.port());
    ASSERT_TRUE(c.send(
        "POST /v1/experiments HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        "Content-Length: 1048577\r\n\r\n"));
    auto r = c.read_response();
    EXPECT_EQ(r.status, 413);
    EXPECT_TRUE(parse(r).contains("error"));
    EXPECT_TRUE(c.closed_by_peer());
  }
  {  // chunked: counted while it arrives
    RawClient c(admin.port());
    std::string text =
        "POST /v1/experiments HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\n";
    const std::string chunk(64 * 1024, 'x');
    for (int i = 0; i < 17; ++i) text += "10000\r\n" + chunk + "\r\n";
    c.send(text);  // the server may stop reading part-way; that is the point
    auto r = c.read_response();
    EXPECT_EQ(r.status, 413);
  }
  {  // exactly 1 MiB is accepted by the transport (and then refused as bad JSON)
    RawClient c(admin.port());
    auto r = c.request("POST", "/v1/experiments", std::string(1 << 20, ' '));
    EXPECT_EQ(r.status, 400);
  }
  EXPECT_FALSE(admin.backend.has("e1"));
  EXPECT_EQ(admin.stop(), 0);
}

TEST(AdminServerLoop, HeaderBlockOverLimitIs431) {
  LiveAdmin admin;
  RawClient c(admin.port());
  const std::string big(70 * 1024, 'a');
  auto r = c.request("GET", "/v1/status", "", "X-Big: " + big + "\r\n");
  EXPECT_EQ(r.status, 431);
  EXPECT_TRUE(c.closed_by_peer());
  EXPECT_EQ(admin.stop(), 0);
}

TEST(AdminServerLoop, MalformedAndSmugglingShapesAre400AndClose) {
  LiveAdmin admin;
  for (const std::string& bad :
       {std::string("NOT HTTP AT ALL\r\n\r\n"),
        std::string("POST /v1/halt HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\n"
                    "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
        std::string("GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Folded: a\r\n b\r\n\r\n"),
        std::string(
            "POST /v1/halt HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
            "zz\r\n")}) {
    RawClient c(admin.port());
    ASSERT_TRUE(c.send(bad));
    auto r = c.read_response();
    EXPECT_EQ(r.status, 400) << bad;
    EXPECT_TRUE(c.closed_by_peer()) << bad;
  }
  EXPECT_FALSE(admin.backend.halted());
  EXPECT_EQ(admin.stop(), 0);
}

// The obs-fold check must not misfire on legal shapes: whitespace around values, empty
// values, and a request that arrives one byte at a time.
TEST(AdminServerLoop, LegalHeaderShapesAndByteByByteRequestsWork) {
  LiveAdmin admin("s3cret");
  RawClient c(admin.port());
  auto r = c.request("GET", "/v1/status", "",
                     "X-Trailing: a \t \r\nX-Empty:\r\nX-Inner: a b\tc\r\n"
                     "Authorization:   Bearer s3cret  \r\n");
  EXPECT_EQ(r.status, 200) << r.body;
  const std::string text =
      "POST /v1/experiments HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer s3cret\r\n"
      "Content-Type: application/json\r\nContent-Length: " +
      std::to_string(kExperiment.size()) + "\r\n\r\n" + kExperiment;
  for (char ch : text) {
    ASSERT_TRUE(c.send(std::string(1, ch)));
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  EXPECT_EQ(c.read_response().status, 201);
  EXPECT_TRUE(admin.backend.has("e1"));
  EXPECT_EQ(admin.stop(), 0);
}

// The status the server answers to `bytes` sent in one write, or one byte at a time (the
// server may refuse and close before the last byte: later sends may fail, that is fine).
int status_for(uint16_t port, const std::string& bytes, bool byte_by_byte) {
  RawClient c(port);
  if (!byte_by_byte) {
    c.send(bytes);
  } else {
    for (char ch : bytes) {
      if (!c.send(std::string(1, ch))) break;
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  }
  return c.read_response().status;
}

// The raw head bytes are counted against max_header_bytes, so a bad byte before the budget
// ends is a 400 and one after it a 431 however the head is split into reads.
TEST(AdminServerLoop, HeadVerdictDoesNotDependOnReadSplitting) {
  AdminServer::Limits limits;
  limits.max_header_bytes = 256;
  LiveAdmin admin("", limits);
  const std::string start = "GET /healthz HTTP/1.1\r\nHost: localhost\r\n";
  const std::string past_budget = start + std::string(400, 'X') + "\x01: v\r\n\r\n";
  const std::string within_budget = start + std::string(100, 'X') + "\x01: v\r\n\r\n";
  EXPECT_EQ(status_for(admin.port(), past_budget, false), 431);
  EXPECT_EQ(status_for(admin.port(), past_budget, true), 431);
  EXPECT_EQ(status_for(admin.port(), within_budget, false), 400);
  EXPECT_EQ(status_for(admin.port(), within_budget, true), 400);
  // A head of exactly the budget is fine; one byte more is not.
  const std::string pad = "X-Pad: ";
  const size_t fill = 256 - start.size() - pad.size() - 4;
  const std::string exact = start + pad + std::string(fill, 'p') + "\r\n\r\n";
  ASSERT_EQ(exact.size(), 256u);
  EXPECT_EQ(status_for(admin.port(), exact, false), 200);
  const std::string over = start + pad + std::string(fill + 1, 'p') + "\r\n\r\n";
  EXPECT_EQ(status_for(admin.port(), over, false), 431);
  EXPECT_EQ(status_for(admin.port(), over, true), 431);
  EXPECT_EQ(admin.stop(), 0);
}

// obs-fold (including the fold of an empty value) and empty field names are 400, in one
// read or byte by byte.
TEST(AdminServerLoop, ObsFoldAndEmptyFieldNamesAre400) {
  LiveAdmin admin;
  const std::string start = "GET /healthz HTTP/1.1\r\nHost: localhost\r\n";
  for (const std::string& bad :
       {start + "X:\r\n\tv\r\n\r\n", start + "X:\r\n v\r\n\r\n", start + "X: a\r\n\tb\r\n\r\n",
        start + ": value\r\n\r\n", start + ":\r\n\r\n"}) {
    EXPECT_EQ(status_for(admin.port(), bad, false), 400) << bad;
    EXPECT_EQ(status_for(admin.port(), bad, true), 400) << bad;
  }
  // A body that looks like a fold is only a body.
  RawClient c(admin.port());
  auto r = c.request(
      "POST", "/v1/experiments",
      "{\n \"name\": \"e1\",\n\t\"faults\": [{\"type\": \"latency\", \"delay\": \"10ms\"}]}");
  EXPECT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(admin.stop(), 0);
}

TEST(AdminServerLoop, AFailingBackendCallIs500AndTheServerKeepsGoing) {
  LiveAdmin admin;
  RawClient c(admin.port());
  admin.backend.throw_on_next_status();
  auto r = c.request("GET", "/v1/status");
  EXPECT_EQ(r.status, 500);
  EXPECT_NE(parse(r)["error"].get<std::string>().find("status snapshot unavailable"),
            std::string::npos);
  EXPECT_EQ(c.request("GET", "/v1/status").status, 200);
  EXPECT_EQ(admin.stop(), 0);
}

TEST(AdminServerLoop, PipelinedRequestsAnswerInOrder) {
  LiveAdmin admin;
  RawClient c(admin.port());
  ASSERT_TRUE(
      c.send("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"
             "POST /v1/halt HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n"
             "GET /v1/status HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"));
  auto a = c.read_response();
  auto b = c.read_response();
  auto s = c.read_response();
  EXPECT_EQ(a.body, "ok");
  EXPECT_EQ(b.status, 200);
  EXPECT_EQ(s.status, 200);
  EXPECT_EQ(parse(s)["halted"], true);  // answered after the halt
  EXPECT_TRUE(c.closed_by_peer());
  EXPECT_EQ(admin.stop(), 0);
}

TEST(AdminServerLoop, ExpectContinue) {
  LiveAdmin admin;
  RawClient c(admin.port());
  ASSERT_TRUE(c.send(
      "POST /v1/experiments HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
      "Expect: 100-continue\r\nContent-Length: " +
      std::to_string(kExperiment.size()) + "\r\n\r\n"));
  EXPECT_EQ(c.read_response().status, 100);
  ASSERT_TRUE(c.send(kExperiment));
  EXPECT_EQ(c.read_response().status, 201);
  EXPECT_TRUE(admin.backend.has("e1"));
  EXPECT_EQ(admin.stop(), 0);
}

TEST(AdminServerLoop, Http10ClosesAfterTheAnswerUnlessAskedToKeepAlive) {
  LiveAdmin admin;
  RawClient c(admin.port());
  ASSERT_TRUE(c.send("GET /healthz HTTP/1.0\r\n\r\n"));
  EXPECT_EQ(c.read_response().status, 200);
  EXPECT_TRUE(c.closed_by_peer());
  RawClient k(admin.port());
  ASSERT_TRUE(k.send("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  auto r = k.read_response();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("Connection"), "keep-alive");
  ASSERT_TRUE(k.send("GET /healthz HTTP/1.0\r\n\r\n"));
  EXPECT_EQ(k.read_response().status, 200);
  EXPECT_TRUE(k.closed_by_peer());
  EXPECT_EQ(admin.stop(), 0);
}

TEST(AdminServerLoop, SlowRequestGets408AndIdleConnectionIsClosed) {
  AdminServer::Limits limits;
  limits.request_timeout_ms = 200;
  limits.idle_timeout_ms = 300;
  LiveAdmin admin("", limits);
  {
    RawClient c(admin.port());
    const auto start = Clock::now();
    ASSERT_TRUE(c.send("GET /v1/status HTTP/1.1\r\nHost: localhost\r\n"));  // never finished
    auto r = c.read_response();
    const auto elapsed = Clock::now() - start;
    EXPECT_EQ(r.status, 408);
    EXPECT_TRUE(c.closed_by_peer());
    EXPECT_GE(elapsed, std::chrono::milliseconds(150));
    EXPECT_LT(elapsed, std::chrono::seconds(3));
  }
  {
    RawClient c(admin.port());
    EXPECT_EQ(c.request("GET", "/healthz").status, 200);
    const auto start = Clock::now();
    EXPECT_TRUE(c.closed_by_peer());  // keep-alive idle timeout
    const auto elapsed = Clock::now() - start;
    EXPECT_GE(elapsed, std::chrono::milliseconds(250));
    EXPECT_LT(elapsed, std::chrono::seconds(3));
  }
  {
    RawClient c(admin.port());  // connects and says nothing
    EXPECT_TRUE(c.closed_by_peer());
  }
  EXPECT_EQ(admin.stop(), 0);
}

// Issue 8 item 7: idle clients must never lock out a probe or the kill switch. At the cap
// the newest connection is served and the oldest idle one is closed to make room.
TEST(AdminServerLoop, AtTheCapTheOldestIdleConnectionMakesRoom) {
  AdminServer::Limits limits;
  limits.max_connections = 2;
  LiveAdmin admin("", limits);
  RawClient a(admin.port());
  EXPECT_EQ(a.request("GET", "/healthz").status, 200);  // then idle (keep-alive)
  RawClient b(admin.port());
  EXPECT_EQ(b.request("GET", "/healthz").status, 200);
  RawClient c(admin.port());
  auto r = c.request("POST", "/v1/halt");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(admin.backend.halted());
  EXPECT_TRUE(a.closed_by_peer());                      // the oldest idle one made room
  EXPECT_EQ(b.request("GET", "/healthz").status, 200);  // the others keep working
  EXPECT_EQ(c.request("GET", "/healthz").status, 200);
  EXPECT_EQ(admin.stop(), 0);
}

TEST(AdminServerLoop, IdleConnectionsGoBeforeOnesBeingRead) {
  AdminServer::Limits limits;
  limits.max_connections = 2;
  LiveAdmin admin("", limits);
  RawClient reading(admin.port());
  ASSERT_TRUE(reading.send("GET /v1/status HTTP/1.1\r\nHost: localhost\r\n"));  // unfinished
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  RawClient idle(admin.port());  // newer, but idle
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  RawClient probe(admin.port());
  EXPECT_EQ(probe.request("GET", "/healthz").status, 200);
  EXPECT_TRUE(idle.closed_by_peer());
  ASSERT_TRUE(reading.send("\r\n"));  // the request being read survived
  EXPECT_EQ(reading.read_response().status, 200);
  EXPECT_EQ(admin.stop(), 0);
}

TEST(AdminServerLoop, ManyIdleConnectionsNeverBlockHealthzOrHalt) {
  LiveAdmin admin;  // production limits
  const size_t idle_count = admin.server().limits().max_connections * 2 + 10;
  std::vector<std::unique_ptr<RawClient>> idle;
  for (size_t i = 0; i < idle_count; ++i) idle.push_back(std::make_unique<RawClient>(admin.port()));
  for (int round = 0; round < 3; ++round) {
    const auto start = Clock::now();
    RawClient probe(admin.port());
    ASSERT_TRUE(probe.connected());
    EXPECT_EQ(probe.request("GET", "/healthz").status, 200) << round;
    RawClient halt(admin.port());
    EXPECT_EQ(halt.request("POST", "/v1/halt").status, 200) << round;
    EXPECT_LT(Clock::now() - start, std::chrono::seconds(3)) << round;
  }
  EXPECT_TRUE(admin.backend.halted());
  EXPECT_GE(admin.server().evicted(), idle_count - admin.server().limits().max_connections);
  EXPECT_EQ(admin.stop(), 0);
}

TEST(AdminServerLoop, ASilentConnectionGetsTheShortIdleTimeout) {
  AdminServer::Limits limits;
  limits.request_timeout_ms = 10'000;
  limits.idle_timeout_ms = 200;
  LiveAdmin admin("", limits);
  RawClient silent(admin.port());
  const auto start = Clock::now();
  EXPECT_TRUE(silent.closed_by_peer());
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(5));  // not the 10 s request timeout
  EXPECT_EQ(admin.stop(), 0);
}

// The header-derived checks run through the real parser: Host, Origin, Sec-Fetch-Site,
// x-faultline-token, and repeated headers that must not pass.
TEST(AdminServerLoop, BrowserAndTokenHeadersAreParsed) {
  LiveAdmin admin("s3cret");
  RawClient c(admin.port());
  EXPECT_EQ(c.request("GET", "/v1/status", "", "x-faultline-token: s3cret\r\n").status, 200);
  EXPECT_EQ(c.request("GET", "/v1/status", "",
                      "X-Faultline-Token: s3cret\r\nx-faultline-token: s3cret\r\n")
                .status,
            401);
  RawClient foreign(admin.port());
  ASSERT_TRUE(foreign.send("GET /healthz HTTP/1.1\r\nHost: rebind.example:9901\r\n\r\n"));
  EXPECT_EQ(foreign.read_response().status, 421);
  RawClient twice(admin.port());
  ASSERT_TRUE(twice.send("GET /healthz HTTP/1.1\r\nHost: localhost\r\nHost: evil\r\n\r\n"));
  EXPECT_EQ(twice.read_response().status, 421);
  RawClient origin(admin.port());
  EXPECT_EQ(origin
                .request("POST", "/v1/halt", "",
                         "Authorization: Bearer s3cret\r\nOrigin: http://evil.example\r\n")
                .status,
            403);
  EXPECT_EQ(origin
                .request("POST", "/v1/halt", "",
                         "Authorization: Bearer s3cret\r\nSec-Fetch-Site: cross-site\r\n")
                .status,
            403);
  EXPECT_FALSE(admin.backend.halted());
  EXPECT_EQ(origin
                .request("POST", "/v1/halt", "",
                         "x-faultline-token: s3cret\r\nOrigin: http://localhost\r\n")
                .status,
            200);
  EXPECT_TRUE(admin.backend.halted());
  EXPECT_EQ(admin.stop(), 0);
}

// Issue 8 item 1 through the real server: a 5,000-deep body is a 400 and the loop lives on.
TEST(AdminServerLoop, DeeplyNestedBodyIs400AndTheServerStaysUp) {
  LiveAdmin admin;
  const std::string deep =
      R"({"name": "deep", "faults": )" + std::string(5000, '[') + std::string(5000, ']') + "}";
  RawClient c(admin.port());
  auto r = c.request("POST", "/v1/experiments", deep);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("nested deeper than 32"), std::string::npos) << r.body;
  EXPECT_EQ(c.request("GET", "/healthz").status, 200);
  EXPECT_EQ(admin.stop(), 0);
}

// Sibling of item 7: many slow uploads together must not exhaust memory; the bodies all
// connections hold share one budget, and a body beyond it is a 503 while the others proceed.
TEST(AdminServerLoop, BodiesInFlightShareOneBudget) {
  AdminServer::Limits limits;
  limits.max_buffered_body_bytes = 100'000;
  LiveAdmin admin("", limits);
  const std::string head =
      "POST /v1/experiments HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
      "Content-Length: 80000\r\n\r\n";
  RawClient slow(admin.port());
  ASSERT_TRUE(slow.send(head + std::string(60'000, ' ')));  // held, not finished
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  RawClient second(admin.port());
  ASSERT_TRUE(second.send(head + std::string(80'000, ' ')));
  auto r = second.read_response();
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_NE(r.body.find("busy"), std::string::npos) << r.body;
  // The first upload finishes and is answered; its bytes return to the budget.
  ASSERT_TRUE(slow.send(std::string(20'000, ' ')));
  EXPECT_EQ(slow.read_response().status, 400);  // whitespace is not JSON
  RawClient third(admin.port());
  EXPECT_EQ(third.request("POST", "/v1/experiments", std::string(80'000, ' ')).status, 400);
  EXPECT_EQ(admin.stop(), 0);
}

TEST(AdminServerLoop, CloseWithOpenConnectionsReleasesEverything) {
  LiveAdmin admin;
  RawClient idle(admin.port());
  EXPECT_EQ(idle.request("GET", "/healthz").status, 200);
  RawClient half(admin.port());
  half.send("GET /v1/sta");
  RawClient silent(admin.port());
  EXPECT_EQ(admin.stop(), 0);
  EXPECT_TRUE(idle.closed_by_peer());
}

TEST(AdminServerLoop, ListenOnABusyPortFailsWithAReason) {
  LiveAdmin first;
  uv_loop_t loop;
  uv_loop_init(&loop);
  FakeBackend backend;
  AuditLog audit;
  {
    AdminServer second(&loop, backend, audit, "");
    Status st = second.listen(config::HostPort{"127.0.0.1", first.port()});
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().find("127.0.0.1:" + std::to_string(first.port())), std::string::npos);
    EXPECT_NE(st.error().find("address already in use"), std::string::npos) << st.error();
    bool closed = false;
    second.close([&] { closed = true; });
    uv_run(&loop, UV_RUN_DEFAULT);
    EXPECT_TRUE(closed);
  }
  EXPECT_EQ(uv_loop_close(&loop), 0);
  EXPECT_EQ(first.stop(), 0);
}

}  // namespace
}  // namespace faultline::proxy::admin::testing
