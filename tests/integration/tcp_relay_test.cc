// TCP listeners: a byte relay with half-close and back-pressure.
#include "tests/integration/support.h"

namespace faultline::harness {
namespace {

std::string tcp_config(const std::string& upstream, const std::string& extra = "") {
  ConfigSpec spec;
  ListenerSpec l;
  l.name = "tcp";
  l.protocol = "tcp";
  l.upstream = upstream;
  l.extra = extra;
  spec.listeners.push_back(l);
  return config_toml(spec);
}

TEST(TcpRelay, BytesFlowBothWaysUnchanged) {
  TcpUpstream up(tcp_handlers::echo());
  START_PROXY(proxy, tcp_config(up.address()));
  RawClient client(proxy.listener("tcp"));
  ASSERT_TRUE(client.connected());
  constexpr size_t kSize = 4u << 20;
  std::string payload = pattern_string(kSize);
  std::thread writer([&] { EXPECT_EQ(client.send(payload, 30s), IoStatus::kOk); });
  PatternChecker checker;
  auto status = client.stream().read_exact(kSize, std::ref(checker), Clock::now() + 30s);
  writer.join();
  EXPECT_EQ(status, IoStatus::kOk) << to_string(status);
  EXPECT_EQ(checker.bytes(), kSize);
  EXPECT_TRUE(checker.intact()) << "first bad byte at " << checker.first_bad();
  EXPECT_EQ(up.bytes_received(), kSize);
}

TEST(TcpRelay, ClientHalfCloseStillReceivesTheRest) {
  TcpUpstream up(tcp_handlers::echo(" and goodbye"));
  START_PROXY(proxy, tcp_config(up.address()));
  RawClient client(proxy.listener("tcp"));
  ASSERT_EQ(client.send("hello"), IoStatus::kOk);
  client.shutdown_write();
  auto d = client.read_until_close(5s);
  EXPECT_EQ(d.io, IoStatus::kOk) << to_string(d.io);
  EXPECT_EQ(d.bytes, "hello and goodbye");
  EXPECT_EQ(up.received_bytes(), "hello");
}

TEST(TcpRelay, UpstreamHalfCloseReachesTheClient) {
  TcpUpstream up(tcp_handlers::source(100000));
  START_PROXY(proxy, tcp_config(up.address()));
  RawClient client(proxy.listener("tcp"));
  PatternChecker checker;
  auto d = client.read_until_close(5s);
  checker(d.bytes);
  EXPECT_EQ(d.io, IoStatus::kOk) << to_string(d.io);
  EXPECT_EQ(checker.bytes(), 100000u);
  EXPECT_TRUE(checker.intact());
}

TEST(TcpRelay, SlowReaderStopsTheUpstreamAndMemoryStaysBounded) {
  constexpr uint64_t kTotal = 128ull << 20;
  TcpUpstream up(tcp_handlers::source(kTotal));
  START_PROXY(proxy, tcp_config(up.address()));
  RssSampler rss(proxy.pid());
  ConnectOptions small;
  small.rcvbuf = 64 * 1024;
  RawClient client(proxy.listener("tcp"), small);
  ASSERT_TRUE(client.connected());
  // Not reading: the upstream must come to a halt well short of the total.
  ASSERT_TRUE(eventually([&] { return up.bytes_sent() > 0; }));
  std::this_thread::sleep_for(1500ms);
  uint64_t before = up.bytes_sent();
  std::this_thread::sleep_for(1000ms);
  uint64_t after = up.bytes_sent();
  EXPECT_EQ(before, after) << "upstream kept sending while the client read nothing";
  EXPECT_LT(after, kTotal / 2) << "the proxy (or kernel buffers) swallowed " << after << " bytes";
  // Then a slow start and full speed: every byte arrives intact.
  client.stream().throttle(16 * 1024, Millis(2));
  PatternChecker checker;
  auto status = client.stream().read_exact(4u << 20, std::ref(checker), Clock::now() + 30s);
  ASSERT_EQ(status, IoStatus::kOk) << to_string(status);
  client.stream().throttle(0, Millis(0));
  status = client.stream().read_exact(kTotal - (4u << 20), std::ref(checker), Clock::now() + 60s);
  EXPECT_EQ(status, IoStatus::kOk) << to_string(status);
  EXPECT_EQ(checker.bytes(), kTotal);
  EXPECT_TRUE(checker.intact()) << "first bad byte at " << checker.first_bad();
  if (kRssBoundApplies) {
    EXPECT_LT(rss.peak_kib(), 64 * 1024) << "proxy RSS peaked at " << rss.peak_kib() << " KiB";
  }
}

TEST(TcpRelay, FailedUpstreamConnectClosesTheClient) {
  START_PROXY(proxy, tcp_config(closed_port_address()));
  RawClient client(proxy.listener("tcp"));
  ASSERT_TRUE(client.connected());
  client.send("anyone there?");
  auto d = client.read_until_close(5s);
  EXPECT_NE(d.io, IoStatus::kTimeout) << "client left hanging after a failed upstream connect";
  EXPECT_TRUE(d.bytes.empty());
}

TEST(TcpRelay, UpstreamCloseClosesTheClient) {
  TcpUpstream up(tcp_handlers::close_immediately());
  START_PROXY(proxy, tcp_config(up.address()));
  RawClient client(proxy.listener("tcp"));
  auto d = client.read_until_close(5s);
  EXPECT_NE(d.io, IoStatus::kTimeout);
  EXPECT_TRUE(d.bytes.empty());
}

TEST(TcpRelay, IdleConnectionIsClosedAfterIdleTimeout) {
  TcpUpstream up(tcp_handlers::echo());
  START_PROXY(proxy, tcp_config(up.address(), "idle_timeout = \"500ms\"\n"));
  RawClient client(proxy.listener("tcp"));
  ASSERT_EQ(client.send("ping"), IoStatus::kOk);
  ASSERT_EQ(client.stream().read_exact(4, {}, Clock::now() + 5s), IoStatus::kOk);
  auto d = client.read_until_close(5s);
  EXPECT_EQ(d.io, IoStatus::kOk) << "idle connection not closed cleanly: " << to_string(d.io);
  EXPECT_GE(d.elapsed.count(), 400) << "closed before idle_timeout";
  EXPECT_LT(d.elapsed.count(), 3000);
  EXPECT_TRUE(d.bytes.empty());
}

TEST(TcpRelay, ConnectionThatKeepsTalkingOutlivesIdleTimeout) {
  TcpUpstream up(tcp_handlers::echo());
  START_PROXY(proxy, tcp_config(up.address(), "idle_timeout = \"500ms\"\n"));
  RawClient client(proxy.listener("tcp"));
  auto start = Clock::now();
  int rounds = 0;
  while (Clock::now() - start < 1500ms) {
    ASSERT_EQ(client.send("x"), IoStatus::kOk) << "after " << rounds << " rounds";
    ASSERT_EQ(client.stream().read_exact(1, {}, Clock::now() + 5s), IoStatus::kOk)
        << "closed while active, after " << rounds << " rounds";
    ++rounds;
    std::this_thread::sleep_for(150ms);
  }
  EXPECT_GE(rounds, 5);
}

TEST(TcpRelay, ManyConnectionsEachGetTheirOwnUpstream) {
  TcpUpstream up(tcp_handlers::echo());
  START_PROXY(proxy, tcp_config(up.address()));
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < 20; ++i) {
    clients.push_back(std::make_unique<RawClient>(proxy.listener("tcp")));
    ASSERT_EQ(clients.back()->send("client-" + std::to_string(i) + ";"), IoStatus::kOk);
  }
  for (int i = 0; i < 20; ++i) {
    std::string want = "client-" + std::to_string(i) + ";";
    std::string got;
    auto s = clients[i]->stream().read_exact(
        want.size(), [&](std::string_view p) { got += p; }, Clock::now() + 5s);
    ASSERT_EQ(s, IoStatus::kOk);
    EXPECT_EQ(got, want) << "bytes crossed between connections";
  }
  for (int i = 0; i < 20; ++i) {
    clients[i]->send("x");
    std::string got;
    clients[i]->stream().buffer().clear();
    auto s = clients[i]->stream().read_exact(
        1, [&](std::string_view p) { got += p; }, Clock::now() + 5s);
    EXPECT_EQ(s, IoStatus::kOk);
    EXPECT_EQ(got, "x");
  }
  EXPECT_EQ(up.connections_accepted(), 20u);
}

}  // namespace
}  // namespace faultline::harness
