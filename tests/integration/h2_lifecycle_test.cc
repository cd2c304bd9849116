// HTTP/2 connections over their life (SPEC §8): the goaway fault as the client sees it and its
// process-wide rate limit, the kill switch releasing a held stream, SIGTERM drain letting an
// open stream finish, and the concurrent-stream limit.
#include <signal.h>

#include <future>

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
