// upstream_idle_timeout (SPEC §7): once the upstream has started a response, at most this long
// between its bytes; then the client connection is closed and the timeout counted. Silence
// that is ours (a bandwidth fault or a response delay holding bytes, a client reading slowly)
// is not the upstream's.
#include <sstream>

#include "tests/integration/support.h"

namespace faultline::harness {
namespace {

// faultline_upstream_errors_total{listener="main",kind="timeout"}; -1 if absent.
long timeout_errors(const ProxyProcess& proxy) {
  auto r = admin_get(proxy, "/metrics");
  std::istringstream lines(r.body);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("faultline_upstream_errors_total{", 0) != 0) continue;
    if (line.find("kind=\"timeout\"") == std::string::npos) continue;
    if (line.find("listener=\"main\"") == std::string::npos) continue;
    return std::stol(line.substr(line.rfind(' ') + 1));
  }
  return -1;
}

// Sends `head_and_some` and then nothing for `silence` (or until the server stops).
Handler goes_silent(std::string head_and_some, Millis silence) {
  return [=](Exchange& ex) {
    ex.read_body();
    if (!ex.send(head_and_some)) return;
    ex.sleep(silence);
    ex.close_after();
  };
}

TEST(HttpSessionUpstreamIdle, UpstreamSilentAfterItsHeadIsCut) {
  HttpUpstream up;
  up.route("/silent",
           goes_silent("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nfirst bytes", 20s));
  START_PROXY(proxy, http_config(up.address(), "upstream_idle_timeout = \"500ms\"\n"));
  RawClient client(proxy.listener("main"));
  auto start = Clock::now();
  auto r = client.request(get_request("/silent"), 15s);
  long ms = elapsed_ms(start);
  EXPECT_FALSE(r.complete()) << r;
  EXPECT_TRUE(r.io == IoStatus::kEof || r.io == IoStatus::kReset) << r;
  EXPECT_EQ(r.status(), 200);
  EXPECT_EQ(r.body, "first bytes");
  EXPECT_GE(ms, 450);
  EXPECT_LT(ms, 10000) << "the client was held by a silent upstream";
  EXPECT_TRUE(eventually([&] { return timeout_errors(proxy) == 1; })) << timeout_errors(proxy);
}

TEST(HttpSessionUpstreamIdle, UpstreamSilentInAPartialHeadGets504AndClose) {
  HttpUpstream up;
  up.route("/half", goes_silent("HTTP/1.1 200 OK\r\nContent-Le", 20s));
  START_PROXY(proxy, http_config(up.address(), "upstream_idle_timeout = \"500ms\"\n"));
  RawClient client(proxy.listener("main"));
  auto r = client.request(get_request("/half"), 15s);
  ASSERT_TRUE(r.complete()) << r;
  EXPECT_EQ(r.status(), 504);
  EXPECT_EQ(client.wait_for_activity(5s), IoStatus::kEof);
  EXPECT_TRUE(eventually([&] { return timeout_errors(proxy) == 1; })) << timeout_errors(proxy);
}

TEST(HttpSessionUpstreamIdle, SilentMidChunkedBodyForHttp10IsAResetNotACompleteBody) {
  // The HTTP/1.0 client's body is close-delimited: a plain close would look complete.
  HttpUpstream up;
  up.route("/c",
           goes_silent("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n", 20s));
  START_PROXY(proxy, http_config(up.address(), "upstream_idle_timeout = \"500ms\"\n"));
  RawClient client(proxy.listener("main"));
  auto r = client.request("GET /c HTTP/1.0\r\nHost: x\r\n\r\n", 15s);
  EXPECT_EQ(r.io, IoStatus::kReset) << r;
  EXPECT_EQ(r.body, "hello");
}

TEST(HttpSessionUpstreamIdle, SlowButSteadyUpstreamIsNotCut) {
  HttpUpstream up;
  up.route("/drip", [](Exchange& ex) {
    ex.read_body();
    if (!ex.send("HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\n")) return;
    for (int i = 0; i < 8; ++i) {
      if (!ex.sleep(250ms) || !ex.send("x")) return;
    }
  });
  START_PROXY(proxy, http_config(up.address(), "upstream_idle_timeout = \"800ms\"\n"));
  auto r = one_request(proxy.listener("main"), get_request("/drip"), 15s);
  ASSERT_TRUE(r.complete()) << r;
  EXPECT_EQ(r.body, "xxxxxxxx");
  EXPECT_EQ(timeout_errors(proxy), 0);
}

TEST(HttpSessionUpstreamIdle, BytesHeldByABandwidthFaultAreNotUpstreamSilence) {
  constexpr size_t kBody = 96 * 1024;
  HttpUpstream up;
  up.route("/big", handlers::stream(kBody));
  // 32 KiB/s: about 3 s for a body the upstream sends at once, with a 400 ms idle limit.
  START_PROXY(proxy, http_config(up.address(), "upstream_idle_timeout = \"400ms\"\n",
                                 "\n[[experiments]]\nname = \"slow\"\n[[experiments.faults]]\n"
                                 "type = \"bandwidth\"\nrate = \"32KiB/s\"\n"));
  PatternChecker checker;
  RawClient client(proxy.listener("main"));
  client.send(get_request("/big"));
  auto r = client.read_response("GET", 30s, std::ref(checker), 0);
  ASSERT_TRUE(r.complete()) << r;
  EXPECT_EQ(checker.bytes(), kBody);
  EXPECT_TRUE(checker.intact());
  EXPECT_EQ(timeout_errors(proxy), 0);
}

TEST(HttpSessionUpstreamIdle, ResponseDelayIsNotUpstreamSilence) {
  HttpUpstream up;
  up.route("/d", handlers::fixed(200, "delayed"));
  START_PROXY(proxy, http_config(up.address(), "upstream_idle_timeout = \"300ms\"\n",
                                 "\n[[experiments]]\nname = \"late\"\n[[experiments.faults]]\n"
                                 "type = \"latency\"\ndelay = \"1200ms\"\nphase = \"response\"\n"));
  auto r = one_request(proxy.listener("main"), get_request("/d"), 15s);
  ASSERT_TRUE(r.complete()) << r;
  EXPECT_EQ(r.body, "delayed");
  EXPECT_GE(r.elapsed.count(), 1150);
  EXPECT_EQ(timeout_errors(proxy), 0);
}

TEST(HttpSessionUpstreamIdle, AClientThatReadsLateIsNotUpstreamSilence) {
  constexpr size_t kBody = 4u << 20;
  HttpUpstream up;
  up.route("/big", handlers::stream(kBody));
  START_PROXY(proxy, http_config(up.address(), "upstream_idle_timeout = \"300ms\"\n"));
  ConnectOptions small;
  small.rcvbuf = 32 * 1024;
  RawClient client(proxy.listener("main"), small);
  client.send(get_request("/big"));
  std::this_thread::sleep_for(1500ms);  // the proxy pauses the upstream meanwhile
  PatternChecker checker;
  auto r = client.read_response("GET", 30s, std::ref(checker), 0);
  ASSERT_TRUE(r.complete()) << r;
  EXPECT_EQ(checker.bytes(), kBody);
  EXPECT_EQ(timeout_errors(proxy), 0);
}

TEST(HttpSessionUpstreamIdle, AnUpstreamWaitingForASlowUploadAfter100ContinueIsNotCut) {
  HttpUpstream up;
  up.route("/upload", handlers::echo_body());
  START_PROXY(proxy, http_config(up.address(), "upstream_idle_timeout = \"300ms\"\n"));
  RawClient client(proxy.listener("main"));
  ASSERT_EQ(client.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n"
                        "Expect: 100-continue\r\n\r\n"),
            IoStatus::kOk);
  auto interim = client.read_response("POST", 5s);
  ASSERT_TRUE(interim.complete()) << interim;
  ASSERT_EQ(interim.status(), 100);
  // The upstream sent its 100 and now waits for the body, which comes slowly.
  for (char c : std::string("abcdef")) {
    std::this_thread::sleep_for(250ms);
    ASSERT_EQ(client.send(std::string(1, c)), IoStatus::kOk);
  }
  auto r = client.read_response("POST", 10s);
  ASSERT_TRUE(r.complete()) << r;
  EXPECT_EQ(r.status(), 200);
  EXPECT_EQ(r.body, "abcdef");
  EXPECT_EQ(timeout_errors(proxy), 0);
}

TEST(HttpSessionUpstreamIdle, ConfigRejectsANonPositiveValue) {
  HttpUpstream up;
  TempDir dir;
  auto path = dir.write("bad.toml", http_config(up.address(), "upstream_idle_timeout = \"0s\"\n"));
  auto r = run_faultline({"check", "--config", path});
  ASSERT_TRUE(r.status.has_value());
  EXPECT_NE(r.status->code, 0);
  EXPECT_NE((r.out + r.err).find("upstream_idle_timeout"), std::string::npos) << r.out << r.err;
}

}  // namespace
}  // namespace faultline::harness
