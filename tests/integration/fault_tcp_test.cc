// Faults on TCP listeners: latency per chunk, reset at connect and after N bytes, stall,
// bandwidth and slow_close; abort is a config error there.
#include "tests/integration/support.h"

namespace faultline::harness {
namespace {

std::string tcp_fault_config(const std::string& upstream, const std::string& fault_lines) {
  ConfigSpec spec = tcp_spec(upstream);
  spec.tail =
      "[[experiments]]\nname = \"tcp-fault\"\n[[experiments.faults]]\n" + fault_lines + "\n";
  return config_toml(spec);
}

TEST(FaultTcp, LatencyDelaysEachChunk) {
  TcpUpstream up(tcp_handlers::echo());
  START_PROXY(proxy, tcp_fault_config(up.address(),
                                      "type = \"latency\"\ndelay = \"300ms\"\n"
                                      "direction = \"downstream\""));
  RawClient client(proxy.listener("tcp"));
  for (int i = 0; i < 2; ++i) {
    auto start = Clock::now();
    ASSERT_EQ(client.send("ping"), IoStatus::kOk);
    std::string got;
    auto s = client.stream().read_exact(
        4, [&](std::string_view p) { got += p; }, Clock::now() + 5s);
    ASSERT_EQ(s, IoStatus::kOk) << to_string(s);
    EXPECT_EQ(got, "ping");
    EXPECT_GE(elapsed_ms(start), 300);
    EXPECT_LT(elapsed_ms(start), 1500);
  }
}

TEST(FaultTcp, UpstreamDirectionLatencyDelaysClientBytes) {
  TcpUpstream up(tcp_handlers::echo());
  START_PROXY(proxy, tcp_fault_config(up.address(),
                                      "type = \"latency\"\ndelay = \"300ms\"\n"
                                      "direction = \"upstream\""));
  RawClient client(proxy.listener("tcp"));
  auto start = Clock::now();
  ASSERT_EQ(client.send("ping"), IoStatus::kOk);
  ASSERT_TRUE(eventually([&] { return up.bytes_received() >= 4; }, 5s));
  EXPECT_GE(elapsed_ms(start), 300) << "client bytes reached the upstream undelayed";
  auto s = client.stream().read_exact(4, {}, Clock::now() + 5s);
  EXPECT_EQ(s, IoStatus::kOk);
  EXPECT_LT(elapsed_ms(start), 1500);
}

TEST(FaultTcp, ResetAtConnect) {
  TcpUpstream up(tcp_handlers::echo());
  START_PROXY(proxy, tcp_fault_config(up.address(), "type = \"reset\"\nphase = \"connect\""));
  RawClient client(proxy.listener("tcp"));
  ASSERT_TRUE(client.connected());
  client.send("hello");
  auto d = client.read_until_close(5s);
  EXPECT_EQ(d.io, IoStatus::kReset) << to_string(d.io);
  EXPECT_TRUE(d.bytes.empty());
}

TEST(FaultTcp, ResetAfterBytes) {
  // The upstream waits for the client's first byte: otherwise, on a loaded machine, the proxy can
  // relay 5000 bytes and reset before the client's connect() has returned, and the client then
  // sees a failed connect instead of the reset under test.
  TcpUpstream up(tcp_handlers::source(1u << 20, /*after_first_byte=*/true));
  START_PROXY(proxy, tcp_fault_config(up.address(),
                                      "type = \"reset\"\nphase = \"response\"\n"
                                      "after_bytes = 5000"));
  RawClient client(proxy.listener("tcp"));
  ASSERT_TRUE(client.connected()) << "connect errno=" << client.connect_errno();
  ASSERT_EQ(client.send("g"), IoStatus::kOk);
  auto d = client.read_until_close(5s);
  EXPECT_EQ(d.io, IoStatus::kReset) << to_string(d.io) << " errno=" << d.err;
  EXPECT_LE(d.bytes.size(), 5000u);
  EXPECT_GT(d.bytes.size(), 4000u) << "reset came well before after_bytes";
}

TEST(FaultTcp, StallSendsNothingThenCloses) {
  TcpUpstream up(tcp_handlers::source(100000));
  START_PROXY(proxy, tcp_fault_config(up.address(), "type = \"stall\"\nduration = \"600ms\""));
  RawClient client(proxy.listener("tcp"));
  auto d = client.read_until_close(5s);
  EXPECT_NE(d.io, IoStatus::kTimeout);
  EXPECT_TRUE(d.bytes.empty()) << "stall relayed " << d.bytes.size() << " bytes";
  EXPECT_GE(d.elapsed.count(), 600);
  EXPECT_LT(d.elapsed.count(), 3000);
}

TEST(FaultTcp, BandwidthThrottlesTheStream) {
  TcpUpstream up(tcp_handlers::source(1u << 20));
  START_PROXY(proxy, tcp_fault_config(up.address(),
                                      "type = \"bandwidth\"\nrate = \"512KiB/s\"\n"
                                      "direction = \"downstream\""));
  RawClient client(proxy.listener("tcp"));
  PatternChecker checker;
  auto d = client.read_until_close(20s);
  checker(d.bytes);
  EXPECT_EQ(d.io, IoStatus::kOk) << to_string(d.io);
  EXPECT_EQ(checker.bytes(), 1u << 20);
  EXPECT_TRUE(checker.intact());
  EXPECT_GE(d.elapsed.count(), 1800);
  EXPECT_LE(d.elapsed.count(), 2200 + (kSanitized ? 400 : 150));
}

TEST(FaultTcp, AbortIsAConfigError) {
  TempDir dir;
  auto file =
      dir.write("abort.toml", tcp_fault_config("127.0.0.1:9", "type = \"abort\"\nstatus = 503"));
  auto r = run_faultline({"check", "--config", file});
  ASSERT_TRUE(r.status.has_value());
  EXPECT_TRUE(r.status->exited && r.status->code == 1) << r.status->str() << r.out << r.err;
  EXPECT_NE((r.out + r.err).find("abort"), std::string::npos) << r.out << r.err;
}

}  // namespace
}  // namespace faultline::harness
