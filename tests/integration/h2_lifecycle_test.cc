// HTTP/2 connections over their life (SPEC §8): the goaway fault as the client sees it and its
// process-wide rate limit, the kill switch releasing a held stream, SIGTERM drain letting an
// open stream finish, and the concurrent-stream limit.
#include <signal.h>

#include <atomic>
#include <future>

#include "h2_frames.h"
#include "h2_support.h"

namespace faultline::harness {
namespace {

HttpResponse admin_call(const ProxyProcess& proxy, std::string_view method, std::string_view path) {
  return one_request(proxy.admin(), make_request(method, path, {{"Connection", "close"}}));
}

// nghttp -v's frame log of one GET through the proxy.
std::string nghttp_get(const Endpoint& to, const std::string& path) {
  return run_capture({"nghttp", "-v", "http://" + to.str() + path}, 30);
}

TEST(H2Lifecycle, GoawayFaultIsSeenByTheClient) {
  START_GRPC_UPSTREAM(upstream);
  START_PROXY(proxy, http_config(upstream.address(), "", R"(
[[experiments]]
name = "goaway"
[[experiments.faults]]
type = "goaway"
code = "enhance_your_calm"
graceful = false
)"));
  const std::string out = nghttp_get(proxy.listener("main"), "/x");
  EXPECT_NE(out.find("recv GOAWAY frame"), std::string::npos) << out;
  EXPECT_NE(out.find("last_stream_id=0"), std::string::npos) << out;
  EXPECT_NE(out.find("ENHANCE_YOUR_CALM"), std::string::npos) << out;
}

TEST(H2Lifecycle, GracefulGoawayLetsTheStreamFinish) {
  START_GRPC_UPSTREAM(upstream);
  START_PROXY(proxy, http_config(upstream.address(), "", R"(
[[experiments]]
name = "goaway"
[[experiments.faults]]
type = "goaway"
)"));
  auto r = grpc_call(proxy.listener("main"), {"unary", "0102"});
  EXPECT_EQ(r["code"], "OK") << r.dump();
  const std::string out = nghttp_get(proxy.listener("main"), "/x");
  EXPECT_NE(out.find("recv GOAWAY frame"), std::string::npos) << out;
  EXPECT_NE(out.find("last_stream_id=1"), std::string::npos) << out;
  EXPECT_NE(out.find("error_code=NO_ERROR"), std::string::npos) << out;
}

// A client that reconnects in a tight loop gets at most max_goaway_per_second GOAWAYs a second.
TEST(H2Lifecycle, GoawayRateLimitHoldsAgainstAReconnectingClient) {
  START_GRPC_UPSTREAM(upstream);
  START_PROXY(proxy, http_config(upstream.address(), "", R"(
[safety]
max_goaway_per_second = 2
[[experiments]]
name = "goaway"
[[experiments.faults]]
type = "goaway"
graceful = false
)"));
  const auto start = Clock::now();
  int goaways = 0;
  const int kConnections = 20;
  for (int i = 0; i < kConnections; ++i)
    if (nghttp_get(proxy.listener("main"), "/x").find("recv GOAWAY frame") != std::string::npos)
      ++goaways;
  const double seconds = static_cast<double>(elapsed_ms(start)) / 1000.0;
  // The limit counts per wall-clock second: a run of T seconds touches at most floor(T) + 2.
  EXPECT_GE(goaways, 1);
  EXPECT_LE(goaways, 2 * (static_cast<int>(seconds) + 2)) << "in " << seconds << " s";
  EXPECT_LT(goaways, kConnections) << "no connection escaped the goaway fault";
}

TEST(H2Lifecycle, HaltReleasesAHeldStreamAtOnce) {
  START_GRPC_UPSTREAM(upstream);
  START_PROXY(proxy, http_config(upstream.address(), "", R"(
[safety]
max_delay = "60s"
[[experiments]]
name = "hold"
[[experiments.faults]]
type = "latency"
delay = "30s"
)"));
  auto call = std::async(std::launch::async, [&] {
    return grpc_call(proxy.listener("main"), {"slow", "0"}, 60);
  });
  std::this_thread::sleep_for(1500ms);  // the call is held by now
  const auto halted_at = Clock::now();
  ASSERT_EQ(admin_call(proxy, "POST", "/v1/halt").status(), 200);
  auto r = call.get();
  const long after_halt_ms = elapsed_ms(halted_at);
  EXPECT_EQ(r["code"], "OK") << r.dump();
  // Released within 100 ms by the contract; the bound leaves a loaded box plenty of slack
  // and is still far below the 30 s delay.
  EXPECT_LT(after_halt_ms, 5000) << r.dump();
}

TEST(H2Lifecycle, SigtermDrainLetsAnOpenStreamFinish) {
  START_GRPC_UPSTREAM(upstream);
  ConfigSpec spec;
  spec.listeners = {{.upstream = upstream.address()}};
  spec.drain_timeout = "20s";
  START_PROXY(proxy, config_toml(spec));
  auto call = std::async(std::launch::async, [&] {
    return grpc_call(proxy.listener("main"), {"slow", "2000"}, 60);
  });
  std::this_thread::sleep_for(800ms);  // the call is at the upstream by now
  proxy.signal(SIGTERM);
  auto r = call.get();
  EXPECT_EQ(r["code"], "OK") << r.dump();
  EXPECT_GE(r["ms"].get<double>(), 2000) << r.dump();
  auto exit = proxy.wait_exit(Millis(15000));
  ASSERT_TRUE(exit.has_value()) << "still running after the stream finished";
  EXPECT_TRUE(exit->exited && exit->code == 0) << exit->str();
  proxy.forget_exit_check();
}

}  // namespace
}  // namespace faultline::harness

namespace faultline::harness {
namespace {

// A client that opens more streams than h2_max_concurrent_streams gets RST_STREAM
// (REFUSED_STREAM) for the extra one; the streams within the limit and the connection live on.
void expect_refused_beyond_the_limit(bool ack_settings) {
  START_GRPC_UPSTREAM(upstream);
  START_PROXY(proxy, http_config(upstream.address(), "h2_max_concurrent_streams = 2"));
  RawClient client(proxy.listener("main"));
  ASSERT_TRUE(client.connected());
  ASSERT_EQ(client.send(std::string(h2::kPreface) + h2::frame(h2::kSettings, 0, 0, "")),
            IoStatus::kOk);
  if (ack_settings) {
    auto first = h2::read_frames(client, Millis(5000), [](const std::vector<h2::Frame>& f) {
      return !f.empty() && f.back().type == h2::kSettings && !(f.back().flags & h2::kAck);
    });
    ASSERT_FALSE(first.empty());
    // The client is told the configured limit (SETTINGS_MAX_CONCURRENT_STREAMS, id 3).
    const std::string& settings = first.back().payload;
    uint32_t advertised = 0;
    for (size_t at = 0; at + 6 <= settings.size(); at += 6) {
      if (settings[at] != 0 || settings[at + 1] != 3) continue;
      for (int i = 2; i < 6; ++i)
        advertised = (advertised << 8) | static_cast<uint8_t>(settings[at + i]);
    }
    EXPECT_EQ(advertised, 2u);
    ASSERT_EQ(client.send(h2::frame(h2::kSettings, h2::kAck, 0, "")), IoStatus::kOk);
    std::this_thread::sleep_for(200ms);  // the proxy has taken the ACK: the limit is in force
  }
  // Three requests whose bodies never end: three open streams, one too many.
  ASSERT_EQ(client.send(h2::post_headers(1) + h2::post_headers(3) + h2::post_headers(5)),
            IoStatus::kOk);
  auto frames = h2::read_frames(client, Millis(5000), [](const std::vector<h2::Frame>& f) {
    return f.back().type == h2::kRstStream || f.back().type == h2::kGoaway;
  });
  bool refused = false;
  for (const auto& f : frames) {
    EXPECT_NE(f.type, h2::kGoaway) << "the connection was ended, code " << f.code();
    EXPECT_FALSE(f.type == h2::kRstStream && f.stream != 5) << "stream " << f.stream << " reset";
    if (f.type == h2::kRstStream && f.stream == 5) {
      EXPECT_EQ(f.code(), 0x7u) << "RST_STREAM code";
      refused = true;
    }
  }
  EXPECT_TRUE(refused) << "no RST_STREAM for stream 5 among " << frames.size() << " frames";
}

TEST(H2Limits, StreamsBeyondTheLimitAreRefusedBeforeTheSettingsAck) {
  expect_refused_beyond_the_limit(false);
}

TEST(H2Limits, StreamsBeyondTheLimitAreRefusedAfterTheSettingsAck) {
  expect_refused_beyond_the_limit(true);
}

}  // namespace
}  // namespace faultline::harness

namespace faultline::harness {
namespace {

const char* kPerStreamFaults = R"(
[[experiments]]
name = "stall"
[experiments.match]
paths = ["/stall"]
[[experiments.faults]]
type = "stall"
duration = "3s"
[[experiments]]
name = "late"
[experiments.match]
paths = ["/late"]
[[experiments.faults]]
type = "latency"
delay = "3s"
phase = "response"
)";

// nghttp numbers its streams 13, 15, ... in the order of the URLs.
TEST(H2Streams, AStalledStreamDoesNotHoldItsNeighbour) {
  START_GRPC_UPSTREAM(upstream);
  START_PROXY(proxy, http_config(upstream.dual_address(), "", kPerStreamFaults));
  const std::string log = nghttp_frames(proxy.listener("main"), {"/stall", "/other"});
  const double other = at_ms(log, "recv (stream_id=15) :status");
  const double stalled = at_ms(log, "recv RST_STREAM frame <length=4, flags=0x00, stream_id=13>");
  ASSERT_GE(other, 0) << log;
  ASSERT_GE(stalled, 0) << log;
  EXPECT_GE(stalled, 3000) << log;
  EXPECT_LT(other, 2000) << "the neighbour waited for the stall\n" << log;
}

TEST(H2Streams, AResponseDelayHoldsOnlyItsStream) {
  START_GRPC_UPSTREAM(upstream);
  START_PROXY(proxy, http_config(upstream.dual_address(), "", kPerStreamFaults));
  const std::string log = nghttp_frames(proxy.listener("main"), {"/late", "/other"});
  const double late = at_ms(log, "recv (stream_id=13) :status");
  const double other = at_ms(log, "recv (stream_id=15) :status");
  ASSERT_GE(late, 0) << log;
  ASSERT_GE(other, 0) << log;
  EXPECT_GE(late, 3000) << log;
  EXPECT_LT(other, 2000) << "the neighbour waited for the delay\n" << log;
}

TEST(H2Streams, HeaderListOverMaxHeaderBytesIs431) {
  START_GRPC_UPSTREAM(upstream);
  START_PROXY(proxy, http_config(upstream.dual_address(), "max_header_bytes = \"4KiB\""));
  const std::string log =
      nghttp_frames(proxy.listener("main"), {"/big"}, {"-H", "x-big: " + std::string(6000, 'a')});
  EXPECT_NE(log.find("recv (stream_id=13) :status: 431"), std::string::npos) << log;
}

TEST(H2Streams, AnIdleConnectionClosesAfterIdleTimeout) {
  START_GRPC_UPSTREAM(upstream);
  START_PROXY(proxy, http_config(upstream.address(), "idle_timeout = \"1s\""));
  RawClient client(proxy.listener("main"));
  ASSERT_TRUE(client.connected());
  const auto start = Clock::now();
  ASSERT_EQ(client.send(std::string(h2::kPreface) + h2::frame(h2::kSettings, 0, 0, "")),
            IoStatus::kOk);
  auto frames = h2::read_frames(client, Millis(15000), [](const std::vector<h2::Frame>& f) {
    return f.back().type == h2::kGoaway;
  });
  const long ms = elapsed_ms(start);
  ASSERT_FALSE(frames.empty());
  EXPECT_EQ(frames.back().type, h2::kGoaway) << "no GOAWAY before the connection ended";
  EXPECT_GE(ms, 900);
  EXPECT_LT(ms, 10000);
}

}  // namespace
}  // namespace faultline::harness

namespace faultline::harness {
namespace {

// [listeners.upstream_tls] on the HTTP/2 upstream connection: the upstream's first bytes are
// a TLS handshake record, never the HTTP/2 preface in cleartext; an upstream that then hangs
// up (no TLS there) gets the stream a 502.
TEST(H2Streams, NoCleartextToATlsUpstream) {
  std::atomic<int> first_byte{-1};
  TcpUpstream upstream([&first_byte](int fd, TcpUpstream& server) {
    char buf[4096];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return;
    first_byte = static_cast<unsigned char>(buf[0]);
    server.count_received(static_cast<uint64_t>(n));
  });
  START_PROXY(proxy, http_config(upstream.address(),
                                 "upstream_protocol = \"http2\"\n[listeners.upstream_tls]\n"
                                 "enabled = true\n"));
  const std::string log = nghttp_frames(proxy.listener("main"), {"/secret"});
  EXPECT_NE(log.find("recv (stream_id=13) :status: 502"), std::string::npos) << log;
  EXPECT_GT(upstream.bytes_received(), 0u);
  EXPECT_EQ(first_byte.load(), 0x16) << "not a TLS handshake record: cleartext to a TLS upstream";
}

}  // namespace
}  // namespace faultline::harness
