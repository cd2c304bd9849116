// The harness tested against itself (no proxy in between), so a failing integration test
// points at the proxy and not at the client or the upstream.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>

#include "tests/harness/byte_pattern.h"
#include "tests/harness/concurrent_client.h"
#include "tests/harness/http_upstream.h"
#include "tests/harness/proc_stats.h"
#include "tests/harness/raw_client.h"
#include "tests/harness/tcp_upstream.h"

namespace faultline::harness {
namespace {

TEST(HarnessSelfTest, KeepAliveRequestsShareOneUpstreamConnection) {
  HttpUpstream up;
  up.route("/a", handlers::fixed(200, "alpha", {{"X-Test", "1"}}));
  RawClient client(up.endpoint());
  ASSERT_TRUE(client.connected());
  for (int i = 0; i < 3; ++i) {
    auto r = client.request(get_request("/a"));
    ASSERT_TRUE(r.complete()) << r;
    EXPECT_EQ(r.status(), 200);
    EXPECT_EQ(r.body, "alpha");
    EXPECT_EQ(*r.head.find("x-test"), "1");
  }
  EXPECT_EQ(up.connections_accepted(), 1u);
  EXPECT_EQ(up.requests_seen(), 3u);
}

TEST(HarnessSelfTest, ChunkedAndStreamedBodiesAreDecoded) {
  HttpUpstream up;
  up.route("/chunks", handlers::chunked({"hello ", "chunked ", "world"}));
  up.route("/big", handlers::stream(10u << 20, true));
  RawClient client(up.endpoint());
  auto r = client.request(get_request("/chunks"));
  ASSERT_TRUE(r.complete()) << r;
  EXPECT_TRUE(r.chunked);
  EXPECT_EQ(r.body, "hello chunked world");
  PatternChecker checker;
  client.send(get_request("/big"));
  r = client.read_response("GET", Millis(10000), std::ref(checker), 0);
  ASSERT_TRUE(r.complete()) << r;
  EXPECT_EQ(checker.bytes(), 10u << 20);
  EXPECT_TRUE(checker.intact()) << checker.first_bad();
}

TEST(HarnessSelfTest, UpstreamVerifiesAPatternRequestBody) {
  HttpUpstream up;
  up.route("/upload", handlers::verify_pattern_body());
  RawClient client(up.endpoint());
  std::string body(1 << 20, '\0');
  fill_pattern(0, body.data(), body.size());
  auto r = client.request(make_request("POST", "/upload", {}, body));
  ASSERT_TRUE(r.complete()) << r;
  EXPECT_EQ(r.body, "bytes=1048576 intact=1");
}

TEST(HarnessSelfTest, ExpectContinueGetsAnInterimResponse) {
  HttpUpstream up;
  up.route("/echo", handlers::echo_body());
  RawClient client(up.endpoint());
  client.send(
      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
  auto interim = client.read_response("POST");
  ASSERT_TRUE(interim.complete()) << interim;
  EXPECT_EQ(interim.status(), 100);
  client.send("hello");
  auto r = client.read_response("POST");
  EXPECT_EQ(r.status(), 200);
  EXPECT_EQ(r.body, "hello");
}

TEST(HarnessSelfTest, UpgradeEchoesBytes) {
  HttpUpstream up;
  up.route("/ws", handlers::upgrade_echo());
  RawClient client(up.endpoint());
  auto r =
      client.request(get_request("/ws", {{"Connection", "Upgrade"}, {"Upgrade", "websocket"}}));
  ASSERT_EQ(r.status(), 101) << r;
  client.send("ping");
  std::string got;
  while (got.size() < 4 && client.wait_for_activity(Millis(2000)) == IoStatus::kOk) {
    got += client.stream().buffer();
    client.stream().buffer().clear();
  }
  EXPECT_EQ(got, "ping");
}

TEST(HarnessSelfTest, DyingUpstreamIsSeenAsAnIncompleteBody) {
  HttpUpstream up;
  up.route("/die", handlers::die_mid_response(1000, 100));
  up.route("/reset", handlers::die_mid_response(1000, 100, true));
  RawClient a(up.endpoint());
  auto r = a.request(get_request("/die"));
  EXPECT_EQ(r.io, IoStatus::kEof) << r;
  EXPECT_EQ(r.body_bytes, 100u);
  RawClient b(up.endpoint());
  r = b.request(get_request("/reset"));
  EXPECT_EQ(r.io, IoStatus::kReset) << r;
}

TEST(HarnessSelfTest, DelayIsMeasuredOnTheClientClock) {
  HttpUpstream up;
  up.route("/slow", handlers::delayed(Millis(200), handlers::fixed(200, "late")));
  RawClient client(up.endpoint());
  auto r = client.request(get_request("/slow"));
  ASSERT_TRUE(r.complete()) << r;
  EXPECT_GE(r.elapsed.count(), 200);
  EXPECT_LT(r.elapsed.count(), 2000);
  RawClient idle(up.endpoint());
  idle.send(get_request("/slow"));
  EXPECT_EQ(idle.wait_for_activity(Millis(50)), IoStatus::kTimeout);
}

TEST(HarnessSelfTest, TcpEchoHonoursHalfClose) {
  TcpUpstream up(tcp_handlers::echo("bye"));
  RawClient client(up.endpoint());
  client.send("abc");
  client.shutdown_write();
  auto d = client.read_until_close(Millis(5000));
  EXPECT_EQ(d.io, IoStatus::kOk);
  EXPECT_EQ(d.bytes, "abcbye");
  EXPECT_EQ(up.received_bytes(), "abc");
}

TEST(HarnessSelfTest, ConcurrentClientCompletesEveryRequest) {
  HttpUpstream up;
  up.route("/c", handlers::delayed(Millis(100), handlers::fixed(200, "x")));
  std::vector<std::string> reqs(200, get_request("/c", {{"Connection", "close"}}));
  auto results = run_concurrent(up.endpoint(), reqs, Millis(10000));
  for (const auto& r : results) {
    EXPECT_EQ(r.io, IoStatus::kOk);
    EXPECT_EQ(r.status, 200);
    EXPECT_GE(r.latency.count(), 100);
  }
}

TEST(HarnessSelfTest, BurstAnswersEveryRequest) {
  HttpUpstream up;
  std::vector<std::string> reqs(300, get_request("/b", {{"Connection", "close"}}));
  const Clock::time_point before = Clock::now();
  auto burst = run_burst(up.endpoint(), reqs, Millis(10000));
  const double total_ms = std::chrono::duration<double, std::milli>(Clock::now() - before).count();
  for (const auto& r : burst.results) EXPECT_EQ(r.status, 200);
  EXPECT_EQ(up.recorded().size(), reqs.size());
  EXPECT_GT(burst.elapsed_ms, 0.0);
  EXPECT_LT(burst.elapsed_ms, total_ms);
}

TEST(HarnessSelfTest, BurstSendsNothingWhileAConnectionIsStillOpening) {
  // An accept queue with room for 5 that nobody drains: the other 15 connects wait for a SYN
  // retry (1 s), so the 5 that are open must stay silent meanwhile.
  uint16_t port = 0;
  Fd listener = listen_tcp(0, 4, &port);
  ::fcntl(listener.get(), F_SETFL, O_NONBLOCK);
  std::thread client([&] {
    run_burst(Endpoint{"127.0.0.1", port}, std::vector<std::string>(20, get_request("/b")),
              Millis(800));
  });
  std::this_thread::sleep_for(Millis(300));
  int open = 0, with_data = 0;
  for (;;) {
    Fd conn(::accept4(listener.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!conn.valid()) break;
    ++open;
    char byte;
    if (::recv(conn.get(), &byte, 1, MSG_DONTWAIT) > 0) ++with_data;
  }
  client.join();
  EXPECT_GE(open, 1);
  EXPECT_LT(open, 20);
  EXPECT_EQ(with_data, 0);
}

TEST(HarnessSelfTest, ProcStatsReadTheKernel) {
  EXPECT_GT(rss_kib(::getpid()), 0);
  EXPECT_GE(cpu_seconds(::getpid()), 0.0);
  RssSampler sampler(::getpid());
  std::this_thread::sleep_for(Millis(30));
  EXPECT_GT(sampler.peak_kib(), 0);
}

}  // namespace
}  // namespace faultline::harness

namespace faultline::harness {
namespace {

TEST(HarnessSelfTest, HeadAnd204And304CarryNoBody) {
  HttpUpstream up;
  up.route("/doc", handlers::fixed(200, std::string(1000, 'd')));
  up.route("/empty", handlers::fixed(204, ""));
  up.route("/cached", handlers::fixed(304, "", {{"ETag", "\"v1\""}}));
  RawClient client(up.endpoint());
  auto r = client.request(make_request("HEAD", "/doc"));
  ASSERT_TRUE(r.complete()) << r;
  EXPECT_EQ(*r.head.find("content-length"), "1000");
  EXPECT_EQ(r.body_bytes, 0u);
  EXPECT_EQ(client.request(get_request("/empty")).status(), 204);
  EXPECT_EQ(client.request(get_request("/cached")).status(), 304);
  r = client.request(get_request("/doc"));
  EXPECT_EQ(r.body.size(), 1000u);
  EXPECT_EQ(client.wait_for_activity(Millis(100)), IoStatus::kTimeout);
}

TEST(HarnessSelfTest, RequestsAreVisibleWhileStillBeingHandled) {
  HttpUpstream up;
  up.route("/ws", handlers::upgrade_echo());
  RawClient client(up.endpoint());
  auto r = client.request(get_request("/ws", {{"Connection", "Upgrade"}, {"Upgrade", "x"}}));
  ASSERT_EQ(r.status(), 101);
  EXPECT_TRUE(up.wait_for_request("/ws", Millis(2000), true).has_value());
  EXPECT_FALSE(up.wait_for_request("/ws", Millis(50)).has_value());
}

}  // namespace
}  // namespace faultline::harness
