// The process from the outside: version, check, run's exit codes, readiness and drain.
#include <signal.h>

#include <sstream>

#include "tests/integration/support.h"

namespace faultline::harness {
namespace {

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

TEST(Lifecycle, VersionPrintsTheVersion) {
  auto r = run_faultline({"version"});
  ASSERT_TRUE(r.status.has_value());
  EXPECT_TRUE(r.status->exited && r.status->code == 0) << r.status->str();
  EXPECT_NE(r.out.find("0."), std::string::npos) << r.out;
}

TEST(Lifecycle, CheckAcceptsAValidConfig) {
  TempDir dir;
  auto file = dir.write("ok.toml", http_config("127.0.0.1:9"));
  auto r = run_faultline({"check", "--config", file});
  ASSERT_TRUE(r.status.has_value());
  EXPECT_TRUE(r.status->exited && r.status->code == 0) << r.status->str() << "\n" << r.out << r.err;
}

TEST(Lifecycle, CheckReportsUnknownKeyWithFileLineAndColumn) {
  TempDir dir;
  // Line 4 holds the typo, at column 1.
  auto file = dir.write("bad.toml",
                        "[runtime]\n"
                        "workers = 1\n"
                        "\n"
                        "drian_timeout = \"5s\"\n");
  auto r = run_faultline({"check", "--config", file});
  ASSERT_TRUE(r.status.has_value());
  EXPECT_TRUE(r.status->exited && r.status->code == 1) << r.status->str();
  std::string all = r.out + r.err;
  EXPECT_NE(all.find(file + ":4:1:"), std::string::npos) << all;
  EXPECT_NE(all.find("drian_timeout"), std::string::npos) << all;
}

TEST(Lifecycle, CheckReportsABadValueWithItsPosition) {
  TempDir dir;
  auto file = dir.write("bad.toml",
                        "[[listeners]]\n"
                        "name = \"main\"\n"
                        "listen = \"127.0.0.1:0\"\n"
                        "upstream = \"127.0.0.1:9\"\n"
                        "idle_timeout = \"soon\"\n");
  auto r = run_faultline({"check", "--config", file});
  ASSERT_TRUE(r.status.has_value());
  EXPECT_TRUE(r.status->exited && r.status->code == 1) << r.status->str();
  std::string all = r.out + r.err;
  EXPECT_NE(all.find(file + ":5:"), std::string::npos) << all;
  EXPECT_NE(all.find("idle_timeout"), std::string::npos) << all;
}

TEST(Lifecycle, RunExitsTwoWithOneLineOnABadConfig) {
  TempDir dir;
  auto file = dir.write("bad.toml", "[runtime]\nworkers = \"many\"\n");
  auto r = run_faultline({"run", "--config", file});
  ASSERT_TRUE(r.status.has_value()) << "run did not exit on a bad config";
  EXPECT_TRUE(r.status->exited && r.status->code == 2) << r.status->str() << "\n" << r.err;
  auto err = trimmed(r.err);
  EXPECT_FALSE(err.empty());
  EXPECT_EQ(err.find('\n'), std::string::npos) << "expected one line, got:\n" << r.err;
}

TEST(Lifecycle, RunExitsTwoWithOneLineWhenTheListenPortIsTaken) {
  uint16_t port = 0;
  Fd taken = listen_tcp(0, 16, &port);
  ConfigSpec spec;
  ListenerSpec l;
  l.listen = "127.0.0.1:" + std::to_string(port);
  l.upstream = "127.0.0.1:9";
  spec.listeners.push_back(l);
  TempDir dir;
  auto file = dir.write("taken.toml", config_toml(spec));
  auto r = run_faultline({"run", "--config", file});
  ASSERT_TRUE(r.status.has_value()) << "run did not exit with its port taken";
  EXPECT_TRUE(r.status->exited && r.status->code == 2) << r.status->str() << "\n" << r.err;
  auto err = trimmed(r.err);
  EXPECT_FALSE(err.empty());
  EXPECT_EQ(err.find('\n'), std::string::npos) << "expected one line, got:\n" << r.err;
}

TEST(Lifecycle, RunExitsTwoWhenTheAdminPortIsTaken) {
  uint16_t port = 0;
  Fd taken = listen_tcp(0, 16, &port);
  ConfigSpec spec;
  spec.admin_listen = "127.0.0.1:" + std::to_string(port);
  ListenerSpec l;
  l.upstream = "127.0.0.1:9";
  spec.listeners.push_back(l);
  TempDir dir;
  auto file = dir.write("taken.toml", config_toml(spec));
  auto r = run_faultline({"run", "--config", file});
  ASSERT_TRUE(r.status.has_value()) << "run did not exit with its admin port taken";
  EXPECT_TRUE(r.status->exited && r.status->code == 2) << r.status->str() << "\n" << r.err;
}

// The usual soft limit of 1,024 would cap a sidecar far below max_connections: run raises the
// soft open-file limit to the hard one.
TEST(Lifecycle, RunRaisesTheSoftOpenFileLimitToTheHardLimit) {
  HttpUpstream up;
  ProxyOptions options;
  options.open_files = 4096;
  options.open_files_soft = 512;
  START_PROXY(proxy, http_config(up.address()), options);
  auto limits = read_file("/proc/" + std::to_string(proxy.pid()) + "/limits");
  auto at = limits.find("Max open files");
  ASSERT_NE(at, std::string::npos) << limits;
  std::istringstream line(limits.substr(at + std::string("Max open files").size()));
  std::string soft, hard;
  line >> soft >> hard;
  EXPECT_EQ(soft, "4096") << limits;
  EXPECT_EQ(hard, "4096") << limits;
}

TEST(Lifecycle, HealthAndReadinessAnswer) {
  HttpUpstream up;
  START_PROXY(proxy, http_config(up.address()));
  auto health = admin_get(proxy, "/healthz");
  EXPECT_EQ(health.status(), 200) << health;
  EXPECT_EQ(trimmed(health.body), "ok");
  auto ready = admin_get(proxy, "/readyz");
  EXPECT_EQ(ready.status(), 200) << ready;
}

// SIGTERM: the in-flight request completes, new connections are refused, /readyz is 503
// while draining, and the process exits 0 once the request is done.
TEST(Lifecycle, SigtermDrainsInFlightRequests) {
  HttpUpstream up;
  up.route("/slow", handlers::delayed(1500ms, handlers::fixed(200, "finished")));
  ConfigSpec spec;
  ListenerSpec l;
  l.upstream = up.address();
  spec.listeners.push_back(l);
  spec.drain_timeout = "10s";
  START_PROXY(proxy, config_toml(spec));
  auto listener = proxy.listener("main");

  RawClient inflight(listener);
  ASSERT_EQ(inflight.send(get_request("/slow")), IoStatus::kOk);
  ASSERT_TRUE(eventually([&] { return up.connections_accepted() >= 1; }));
  auto sigterm_at = Clock::now();
  proxy.signal(SIGTERM);

  EXPECT_TRUE(eventually(
      [&] {
        int err = 0;
        Fd fd = connect_tcp(listener, {Millis(500)}, &err);
        return !fd.valid() && err == ECONNREFUSED;
      },
      1000ms))
      << "new connections were still accepted 1 s after SIGTERM";
  auto ready = admin_get(proxy, "/readyz");
  EXPECT_EQ(ready.status(), 503) << ready;

  auto r = inflight.read_response("GET", 10s);
  ASSERT_TRUE(r.complete()) << r;
  EXPECT_EQ(r.status(), 200);
  EXPECT_EQ(r.body, "finished");
  auto status = proxy.wait_exit(10s);
  ASSERT_TRUE(status.has_value()) << "no exit within drain_timeout";
  EXPECT_TRUE(status->exited && status->code == 0) << status->str() << proxy.stderr_text();
  EXPECT_LT(elapsed_ms(sigterm_at), 8000) << "drain waited far beyond the in-flight request";
}

TEST(Lifecycle, SigintDrainsLikeSigterm) {
  HttpUpstream up;
  START_PROXY(proxy, http_config(up.address()));
  EXPECT_EQ(one_request(proxy.listener("main"), get_request("/")).status(), 200);
  proxy.signal(SIGINT);
  auto status = proxy.wait_exit(5s);
  ASSERT_TRUE(status.has_value()) << "no exit after SIGINT";
  EXPECT_TRUE(status->exited && status->code == 0) << status->str();
}

TEST(Lifecycle, IdleKeepAliveConnectionsCloseAtOnceOnDrain) {
  HttpUpstream up;
  ConfigSpec spec;
  ListenerSpec l;
  l.upstream = up.address();
  spec.listeners.push_back(l);
  spec.drain_timeout = "10s";
  START_PROXY(proxy, config_toml(spec));
  RawClient idle(proxy.listener("main"));
  auto r = idle.request(get_request("/"));
  ASSERT_EQ(r.status(), 200) << r;
  auto sigterm_at = Clock::now();
  proxy.signal(SIGTERM);
  auto closed = idle.read_until_close(5s);
  EXPECT_NE(closed.io, IoStatus::kTimeout) << "idle keep-alive connection left open on drain";
  EXPECT_TRUE(closed.bytes.empty());
  EXPECT_LT(closed.elapsed.count(), 1000);
  auto status = proxy.wait_exit(10s);
  ASSERT_TRUE(status.has_value());
  EXPECT_TRUE(status->exited && status->code == 0) << status->str();
  EXPECT_LT(elapsed_ms(sigterm_at), 5000) << "nothing was in flight, yet drain took long";
}

TEST(Lifecycle, DrainTimeoutCutsRequestsThatDoNotFinish) {
  HttpUpstream up;
  up.route("/forever", handlers::delayed(60s, handlers::fixed(200, "never")));
  ConfigSpec spec;
  ListenerSpec l;
  l.upstream = up.address();
  spec.listeners.push_back(l);
  spec.drain_timeout = "1s";
  START_PROXY(proxy, config_toml(spec));
  RawClient stuck(proxy.listener("main"));
  ASSERT_EQ(stuck.send(get_request("/forever")), IoStatus::kOk);
  ASSERT_TRUE(eventually([&] { return up.connections_accepted() >= 1; }));
  auto sigterm_at = Clock::now();
  proxy.signal(SIGTERM);
  auto status = proxy.wait_exit(6s);
  ASSERT_TRUE(status.has_value()) << "drain_timeout was not enforced";
  EXPECT_TRUE(status->exited && status->code == 0) << status->str();
  EXPECT_GE(elapsed_ms(sigterm_at), 900);
  auto r = stuck.read_until_close(2s);
  EXPECT_NE(r.io, IoStatus::kTimeout) << "client connection still open after exit";
}

}  // namespace
}  // namespace faultline::harness

namespace faultline::harness {
namespace {

// A reload with a broken file must not take the proxy down: the old config keeps serving.
TEST(Lifecycle, SighupWithABrokenConfigKeepsTheOldOneRunning) {
  HttpUpstream up;
  START_PROXY(proxy, http_config(up.address()));
  auto to = proxy.listener("main");
  ASSERT_EQ(one_request(to, get_request("/before")).status(), 200);
  proxy.dir().write("faultline.toml", "[runtime]\nworkers = \"broken\"\n");
  proxy.signal(SIGHUP);
  std::this_thread::sleep_for(300ms);
  ASSERT_TRUE(proxy.running()) << "a bad reload killed the proxy: " << proxy.stderr_text();
  EXPECT_EQ(one_request(to, get_request("/after")).status(), 200);
  EXPECT_EQ(admin_get(proxy, "/readyz").status(), 200);
}

}  // namespace
}  // namespace faultline::harness
