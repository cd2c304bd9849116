// The executor on a real loop: fault plans from faults::decide (header triggers) carried out
// by the HTTP session — delay, abort, reset, bandwidth — and the kill switch releasing a
// delayed request at once. Every handle is closed at the end (uv_loop_close == 0).
#include <chrono>

#include "config/loader.h"
#include "faults/snapshot.h"
#include "tests/loop/loop_support.h"

namespace faultline::proxy {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

struct FaultFixture {
  explicit FaultFixture(uint16_t upstream_port) : run(std::make_shared<faults::RunState>(1)) {
    std::string toml =
        "[triggers.headers]\nenabled = true\n"
        "[[listeners]]\nname = \"test\"\nlisten = \"127.0.0.1:0\"\nupstream = \"127.0.0.1:" +
        std::to_string(upstream_port) + "\"\n";
    config::Diagnostics diags("test.toml");
    auto cfg = config::load_string(toml, "test.toml", diags);
    EXPECT_TRUE(cfg && diags.ok());
    auto config = std::make_shared<const config::Config>(std::move(*cfg));
    auto snap = std::make_shared<ActiveConfig>();
    auto addr = resolve(config->listeners[0].upstream, false);
    snap->upstreams.push_back({*addr, sizeof(sockaddr_in)});
    snap->faults = faults::build_snapshot(config, {}, nullptr, run, faults::Clock::now(), diags);
    EXPECT_TRUE(snap->faults) << (diags.ok() ? "" : diags.items()[0].format());
    snap->config = config;
    auto fds = bind_exclusive(config->listeners[0].listen, 1, true);
    port = static_cast<uint16_t>(std::stoi(bound_address((*fds)[0]).substr(10)));
    worker = std::make_unique<Worker>(0, snap, *fds, shared, make_listener_protocol);
    EXPECT_TRUE(worker->start().ok());
  }
  int stop() {
    worker->stop();
    int rc = worker->join();
    EXPECT_EQ(worker->slabs().live_count(), 0u) << "slabs leaked";
    return rc;
  }
  void set_halted(bool on) {
    run->set_halted(on);
    shared.halted = on;
    worker->halt_changed();
  }
  std::string request(int fd, const std::string& path, const std::string& headers) {
    std::string req = "GET " + path + " HTTP/1.1\r\nHost: t\r\n" + headers + "\r\n";
    EXPECT_EQ(write(fd, req.data(), req.size()), static_cast<ssize_t>(req.size()));
    return read_until(fd, "\r\n\r\n", 1);
  }

  std::shared_ptr<faults::RunState> run;
  SharedState shared;
  uint16_t port = 0;
  std::unique_ptr<Worker> worker;
};

TEST(FaultsLoop, DelayIsAddedAndAnnotated) {
  Upstream upstream;
  FaultFixture f(upstream.port());
  int fd = dial(f.port);
  auto t0 = Clock::now();
  std::string out = f.request(fd, "/slow", "x-chaos-delay: 300ms\r\n");
  double took = seconds_since(t0);
  EXPECT_EQ(out.rfind("HTTP/1.1 200", 0), 0u) << out;
  EXPECT_NE(out.find("x-chaos-injected: latency=300ms@header"), std::string::npos) << out;
  EXPECT_GE(took, 0.29);
  EXPECT_LT(took, 3.0);
  close(fd);
  EXPECT_EQ(f.stop(), 0);
}

TEST(FaultsLoop, AbortAnswersLocallyAndKeepsTheConnection) {
  Upstream upstream;
  FaultFixture f(upstream.port());
  int fd = dial(f.port);
  std::string out = f.request(fd, "/x", "x-chaos-abort: 503\r\n");
  EXPECT_EQ(out.rfind("HTTP/1.1 503", 0), 0u) << out;
  EXPECT_EQ(out.find("connection: close"), std::string::npos) << out;
  // The same connection still proxies (the abort body is read with the next response).
  std::string next = "GET /after HTTP/1.1\r\nHost: t\r\n\r\n";
  ASSERT_EQ(write(fd, next.data(), next.size()), static_cast<ssize_t>(next.size()));
  std::string rest = read_until(fd, "body=0", 1);
  EXPECT_NE(rest.find("GET /after"), std::string::npos) << rest;
  close(fd);
  EXPECT_EQ(f.stop(), 0);
}

TEST(FaultsLoop, DelayComesBeforeAnAbort) {
  Upstream upstream;
  FaultFixture f(upstream.port());
  int fd = dial(f.port);
  auto t0 = Clock::now();
  std::string out = f.request(fd, "/x", "x-chaos-delay: 300ms\r\nx-chaos-abort: 503\r\n");
  EXPECT_EQ(out.rfind("HTTP/1.1 503", 0), 0u) << out;
  EXPECT_GE(seconds_since(t0), 0.29) << "the abort did not wait for the delay";
  close(fd);
  EXPECT_EQ(f.stop(), 0);
}

TEST(FaultsLoop, ResetSendsRstInsteadOfForwarding) {
  Upstream upstream;
  FaultFixture f(upstream.port());
  int fd = dial(f.port);
  std::string req = "GET / HTTP/1.1\r\nHost: t\r\nx-chaos-reset: request\r\n\r\n";
  ASSERT_EQ(write(fd, req.data(), req.size()), static_cast<ssize_t>(req.size()));
  char buf[256];
  ssize_t n = read(fd, buf, sizeof buf);
  EXPECT_EQ(n, -1);
  EXPECT_EQ(errno, ECONNRESET);
  close(fd);
  EXPECT_EQ(f.stop(), 0);
}

TEST(FaultsLoop, BandwidthThrottlesTheResponseBody) {
  Upstream upstream;
  FaultFixture f(upstream.port());
  int fd = dial(f.port);
  auto t0 = Clock::now();
  std::string req = "GET /big/32768 HTTP/1.1\r\nHost: t\r\nx-chaos-bandwidth: 64KiB/s\r\n\r\n";
  ASSERT_EQ(write(fd, req.data(), req.size()), static_cast<ssize_t>(req.size()));
  std::string out;
  char buf[8192];
  while (out.size() < 32768 || out.find("\r\n\r\n") == std::string::npos ||
         out.size() - out.find("\r\n\r\n") - 4 < 32768) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  double took = seconds_since(t0);
  EXPECT_EQ(out.size() - out.find("\r\n\r\n") - 4, 32768u);
  EXPECT_GE(took, 0.4);  // 32 KiB at 64 KiB/s, minus the initial burst
  EXPECT_LT(took, 5.0);
  close(fd);
  EXPECT_EQ(f.stop(), 0);
}

TEST(FaultsLoop, HaltReleasesADelayedRequestAtOnce) {
  Upstream upstream;
  FaultFixture f(upstream.port());
  int fd = dial(f.port);
  std::string req = "GET /held HTTP/1.1\r\nHost: t\r\nx-chaos-delay: 20s\r\n\r\n";
  ASSERT_EQ(write(fd, req.data(), req.size()), static_cast<ssize_t>(req.size()));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto t0 = Clock::now();
  f.set_halted(true);
  std::string out = read_until(fd, "body=0", 1);
  double took = seconds_since(t0);
  EXPECT_NE(out.find("GET /held"), std::string::npos) << out;
  EXPECT_LT(took, 0.5) << "halt must release within 100 ms (generous bound for CI)";
  // While halted, header triggers are ignored.
  auto t1 = Clock::now();
  std::string again = f.request(fd, "/again", "x-chaos-delay: 2s\r\n");
  EXPECT_LT(seconds_since(t1), 1.0) << again;
  close(fd);
  EXPECT_EQ(f.stop(), 0);
}

}  // namespace
}  // namespace faultline::proxy
