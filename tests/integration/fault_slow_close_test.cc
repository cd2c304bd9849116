// slow_close on both listener kinds: the response (or the bytes) arrive at once, the close
// comes only after the delay.
#include "tests/integration/support.h"

namespace faultline::harness {
namespace {

std::string tcp_slow_close_config(const std::string& upstream, const std::string& fault_lines,
                                  const std::string& listener_extra = "") {
  ConfigSpec spec;
  ListenerSpec l;
  l.name = "tcp";
  l.protocol = "tcp";
  l.upstream = upstream;
  l.extra = listener_extra;
  spec.listeners.push_back(l);
  spec.tail =
      "[[experiments]]\nname = \"tcp-fault\"\n[[experiments.faults]]\n" + fault_lines + "\n";
  return config_toml(spec);
}

TEST(FaultSlowClose, HttpDelaysTheCloseNotTheResponse) {
  HttpUpstream up;
  START_PROXY(proxy,
              http_config(up.address(), "",
                          "\n[[experiments]]\nname = \"linger\"\n[[experiments.faults]]\ntype = "
                          "\"slow_close\"\ndelay = \"700ms\"\n"));
  RawClient client(proxy.listener("main"));
  auto r = client.request(get_request("/c", {{"Connection", "close"}}));
  ASSERT_TRUE(r.complete()) << r;
  EXPECT_EQ(r.status(), 200);
  EXPECT_LT(r.elapsed.count(), 500) << "slow_close delayed the response itself";
  auto d = client.read_until_close(5s);
  EXPECT_NE(d.io, IoStatus::kTimeout);
  EXPECT_GE(d.elapsed.count() + r.elapsed.count(), 700) << "closed before the slow_close delay";
  EXPECT_LT(d.elapsed.count(), 3000);
}

TEST(FaultSlowClose, TcpDelaysTheCloseNotTheBytes) {
  TcpUpstream up(tcp_handlers::source(1000));
  START_PROXY(proxy,
              tcp_slow_close_config(up.address(), "type = \"slow_close\"\ndelay = \"700ms\""));
  RawClient client(proxy.listener("tcp"));
  auto start = Clock::now();
  auto s = client.stream().read_exact(1000, {}, Clock::now() + 5s);
  ASSERT_EQ(s, IoStatus::kOk);
  EXPECT_LT(elapsed_ms(start), 500) << "slow_close held back the data";
  auto d = client.read_until_close(5s);
  EXPECT_NE(d.io, IoStatus::kTimeout);
  EXPECT_GE(elapsed_ms(start), 700) << "closed before the slow_close delay";
}

TEST(FaultSlowClose, TcpIdleTimeoutDoesNotCutTheDelayShort) {
  // The FIN held by slow_close is the proxy waiting, not an idle connection.
  TcpUpstream up(tcp_handlers::source(1000));
  START_PROXY(proxy,
              tcp_slow_close_config(up.address(), "type = \"slow_close\"\ndelay = \"1200ms\"",
                                    "idle_timeout = \"300ms\"\n"));
  RawClient client(proxy.listener("tcp"));
  auto start = Clock::now();
  ASSERT_EQ(client.stream().read_exact(1000, {}, Clock::now() + 5s), IoStatus::kOk);
  auto d = client.read_until_close(5s);
  EXPECT_NE(d.io, IoStatus::kTimeout);
  EXPECT_GE(elapsed_ms(start), 1200) << "idle_timeout closed the connection during slow_close";
}

}  // namespace
}  // namespace faultline::harness
