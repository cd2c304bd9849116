// What a TLS listener writes (proxy/tls/layer.h), seen by Python ssl clients
// (tests/harness/tls_client.py): a small response's head and body travel in one TLS record;
// large responses to a client that reads slowly (the socket takes only part of the records,
// the rest waits for the next write) arrive whole, byte for byte, over keep-alive and before
// a close; idle connections do not keep the buffers a large response needed.
#include <signal.h>
#include <unistd.h>

#include "tests/integration/tls_support.h"

namespace faultline::harness {
namespace {

constexpr uint64_t kLargeBody = 4ull << 20;
constexpr uint64_t kMiB = 1ull << 20;
constexpr int kIdleClients = 40;
// What an idle keep-alive TLS connection may keep after a large response (main kept the
// write BIO at its largest: about 130 KiB a connection after 1 MiB responses).
constexpr long kIdleConnectionBoundKiB = 96;

class TlsWrites : public TlsListenerTest {
 protected:
  TlsWrites() {
    up_.route("/small", [](Exchange& ex) {
      ex.read_body();
      ex.respond(200, "a small body\n");  // head and body in one send
    });
    up_.route("/large", handlers::stream(kLargeBody));
    up_.route("/mib", handlers::stream(kMiB));
  }
  // The argv of tls_client.py in `mode` against the proxy's listener.
  std::vector<std::string> client(const ProxyProcess& proxy, const std::string& mode) {
    return {"/usr/bin/python3", source_dir() + "/tests/harness/tls_client.py",
            pki_.ca(),          std::to_string(proxy.listener("main").port),
            dir_.path(),        mode};
  }
  CommandResult run_client(const ProxyProcess& proxy, const std::string& mode) {
    std::string line;
    for (const std::string& arg : client(proxy, mode)) line += q(arg) + " ";
    return run_shell(line, Millis(30000));
  }

  TempDir dir_;
};

TEST_F(TlsWrites, SmallResponseHeadAndBodyTravelInOneRecord) {
  START_PROXY(proxy, config());
  auto r = run_client(proxy, "records");
  ASSERT_TRUE(exited_ok(r)) << r.err;
  // One application_data record (outer type 23) for the head and the body.
  EXPECT_EQ(r.out, "200 1 [23]\n");
}

TEST_F(TlsWrites, LargeResponsesReachASlowReaderWhole) {
  START_PROXY(proxy, config());
  auto r = run_client(proxy, "slow");
  ASSERT_TRUE(exited_ok(r)) << r.err;
  EXPECT_EQ(r.out, "end b''\n");  // close_notify after the third response
  for (int i = 0; i < 3; ++i) {
    PatternChecker check;
    check(read_file(dir_.path() + "/body" + std::to_string(i)));
    EXPECT_EQ(check.bytes(), kLargeBody) << "response " << i;
    EXPECT_TRUE(check.intact()) << "response " << i << " differs at " << check.first_bad();
  }
}

TEST_F(TlsWrites, IdleConnectionsGiveBackWhatALargeResponseNeeded) {
  if (!kRssBoundApplies) GTEST_SKIP() << "RSS says nothing under AddressSanitizer";
  START_PROXY(proxy, config());
  ASSERT_TRUE(exited_ok(run_client(proxy, "records")));  // TLS code and slabs in use once
  std::this_thread::sleep_for(300ms);
  const long baseline = rss_kib(proxy.pid());
  ASSERT_GT(baseline, 0);
  std::vector<std::string> argv = client(proxy, "idle");
  argv.push_back(std::to_string(kIdleClients));
  argv.push_back("/mib");
  pid_t pid = spawn_process(argv, {}, dir_.path() + "/out", dir_.path() + "/err");
  EXPECT_TRUE(eventually([&] { return ::access((dir_.path() + "/ready").c_str(), F_OK) == 0; },
                         Millis(30000)))
      << read_file(dir_.path() + "/err");
  // The slab pool gives its spares back after a second without use (SlabPool::decay).
  std::this_thread::sleep_for(2500ms);
  const long idle = rss_kib(proxy.pid());
  ::kill(pid, SIGKILL);
  wait_child(pid, Millis(5000));
  EXPECT_LT((idle - baseline) / kIdleClients, kIdleConnectionBoundKiB)
      << "baseline " << baseline << " KiB, " << idle << " KiB with " << kIdleClients
      << " idle connections";
}

}  // namespace
}  // namespace faultline::harness
