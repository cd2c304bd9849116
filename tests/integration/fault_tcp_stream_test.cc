// The TCP-only fault types of SPEC §10.2, seen from the client: blackhole (bytes dropped, close
// after close_after), limit_data (a clean close after N bytes) and slice (the stream arrives
// in pieces, delay apart). They also back Toxiproxy's timeout, limit_data and slicer toxics.
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>

#include "tests/integration/support.h"

namespace faultline::harness {
namespace {

std::string tcp_stream_config(const std::string& upstream, const std::string& fault_lines) {
  ConfigSpec spec = tcp_spec(upstream);
  spec.tail =
      "[[experiments]]\nname = \"tcp-stream\"\n[[experiments.faults]]\n" + fault_lines + "\n";
  return config_toml(spec);
}

TEST(FaultTcpStream, BlackholeDropsTheBytesAndClosesAfterCloseAfter) {
  TcpUpstream up(tcp_handlers::echo());
  START_PROXY(proxy, tcp_stream_config(up.address(),
                                       "type = \"blackhole\"\ndirection = \"upstream\"\n"
                                       "close_after = \"700ms\""));
  RawClient client(proxy.listener("tcp"));
  ASSERT_TRUE(client.connected());
  ASSERT_EQ(client.send("ping"), IoStatus::kOk);
  auto d = client.read_until_close(5s);
  EXPECT_EQ(d.io, IoStatus::kOk) << to_string(d.io) << " errno=" << d.err;
  EXPECT_TRUE(d.bytes.empty()) << "the echo came back: " << d.bytes;
  EXPECT_EQ(up.bytes_received(), 0u) << "blackholed bytes reached the upstream";
  EXPECT_GE(d.elapsed.count(), 700);
}

TEST(FaultTcpStream, BlackholeWithoutCloseAfterKeepsTheConnectionOpen) {
  TcpUpstream up(tcp_handlers::echo());
  START_PROXY(proxy,
              tcp_stream_config(up.address(), "type = \"blackhole\"\ndirection = \"downstream\""));
  RawClient client(proxy.listener("tcp"));
  ASSERT_EQ(client.send("ping"), IoStatus::kOk);
  // The upstream gets the bytes (upstream direction is not blackholed), the echo is dropped.
  ASSERT_TRUE(eventually([&] { return up.bytes_received() >= 4; }, 5s));
  EXPECT_EQ(client.wait_for_activity(800ms), IoStatus::kTimeout)
      << "a blackhole with close_after 0 sent something or closed";
}

TEST(FaultTcpStream, LimitDataClosesCleanlyAfterTheBytes) {
  TcpUpstream up(tcp_handlers::source(100000, /*after_first_byte=*/true));
  START_PROXY(proxy, tcp_stream_config(up.address(),
                                       "type = \"limit_data\"\nbytes = 3000\n"
                                       "direction = \"downstream\""));
  RawClient client(proxy.listener("tcp"));
  ASSERT_EQ(client.send("g"), IoStatus::kOk);
  auto d = client.read_until_close(5s);
  EXPECT_EQ(d.io, IoStatus::kOk) << "not a clean close: " << to_string(d.io) << " errno=" << d.err;
  EXPECT_EQ(d.bytes.size(), 3000u);
  PatternChecker checker;
  checker(d.bytes);
  EXPECT_TRUE(checker.intact());
}

TEST(FaultTcpStream, LimitDataUpstreamCountsTheClientsBytes) {
  TcpUpstream up(tcp_handlers::sink());
  START_PROXY(proxy, tcp_stream_config(up.address(),
                                       "type = \"limit_data\"\nbytes = 10\n"
                                       "direction = \"upstream\""));
  RawClient client(proxy.listener("tcp"));
  ASSERT_EQ(client.send("0123456789abcdef"), IoStatus::kOk);
  auto d = client.read_until_close(5s);
  EXPECT_EQ(d.io, IoStatus::kOk) << to_string(d.io);
  ASSERT_TRUE(eventually([&] { return up.bytes_received() >= 10; }, 5s));
  EXPECT_EQ(up.bytes_received(), 10u);
}

TEST(FaultTcpStream, SliceDeliversThePiecesApart) {
  TcpUpstream up(tcp_handlers::source(2000, /*after_first_byte=*/true));
  START_PROXY(proxy, tcp_stream_config(up.address(),
                                       "type = \"slice\"\naverage_size = 100\n"
                                       "size_variation = 20\ndelay = \"10ms\""));
  RawClient client(proxy.listener("tcp"));
  ASSERT_EQ(client.send("g"), IoStatus::kOk);
  // Read as the pieces come: at least 17 pieces (2000 / 120), 10 ms apart.
  std::string got;
  int reads = 0;
  size_t largest = 0;
  const auto start = Clock::now();
  char buf[65536];
  while (got.size() < 2000 && Clock::now() - start < 10s) {
    pollfd readable{client.fd(), POLLIN, 0};
    if (::poll(&readable, 1, 5000) != 1) break;
    const ssize_t n = ::recv(client.fd(), buf, sizeof buf, 0);
    if (n <= 0) break;
    got.append(buf, static_cast<size_t>(n));
    largest = std::max(largest, static_cast<size_t>(n));
    ++reads;
  }
  ASSERT_EQ(got.size(), 2000u);
  PatternChecker checker;
  checker(got);
  EXPECT_TRUE(checker.intact());
  // 17 or more pieces; a piece that starts a new read from the upstream may follow the last
  // one at once, so count 12 gaps.
  EXPECT_GE(elapsed_ms(start), 120) << "the pieces were not 10 ms apart";
  EXPECT_GE(reads, 2) << "arrived in one read";
}

TEST(FaultTcpStream, TheTypesAreTcpOnly) {
  TempDir dir;
  ConfigSpec spec;
  ListenerSpec l;
  l.name = "web";
  l.protocol = "http";
  l.upstream = "127.0.0.1:9";
  spec.listeners.push_back(l);
  for (const std::string fault : {"type = \"blackhole\"", "type = \"limit_data\"\nbytes = 5",
                                  "type = \"slice\"\naverage_size = 5"}) {
    spec.tail = "[[experiments]]\nname = \"x\"\n[[experiments.faults]]\n" + fault + "\n";
    auto file = dir.write("http.toml", config_toml(spec));
    auto r = run_faultline({"check", "--config", file});
    ASSERT_TRUE(r.status.has_value());
    EXPECT_TRUE(r.status->exited && r.status->code == 1) << fault << r.out << r.err;
    EXPECT_NE((r.out + r.err).find("tcp listeners only"), std::string::npos) << r.out << r.err;
  }
}

}  // namespace
}  // namespace faultline::harness
