// A slow-read attack: many clients request large responses and read nothing. Each slow reader
// may cost the proxy less than 256 KiB (http_session.h states the bound), whether the upstream
// sends big writes or a trickle of small ones (every small read pins a whole slab), and the
// memory goes back once the clients are gone, round after round.
#include <memory>

#include "tests/integration/support.h"

namespace faultline::harness {
namespace {

constexpr int kClients = 64;
constexpr long kPerReaderBoundKiB = 256;
constexpr long kBackToBaselineKiB = 4 * 1024;  // allocator slack and the slab reserve

TEST(HttpSessionMemory, SlowReadersAreBoundedAndTheirMemoryIsReturned) {
  if (!kRssBoundApplies) GTEST_SKIP() << "RSS says nothing under AddressSanitizer";
  HttpUpstream up;
  up.route("/big", handlers::stream(16u << 20));                          // 64 KiB writes
  up.route("/drip", handlers::stream(16u << 20, /*chunked=*/true, 512));  // small writes
  up.route("/warm", handlers::fixed(200, "warm"));
  START_PROXY(proxy, http_config(up.address(), "max_connections = 1000\n"));
  ASSERT_EQ(one_request(proxy.listener("main"), get_request("/warm")).status(), 200);
  std::this_thread::sleep_for(300ms);
  const long baseline = rss_kib(proxy.pid());
  ASSERT_GT(baseline, 0);

  for (int round = 1; round <= 2; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    uint64_t sent_before = up.body_bytes_sent();
    long peak = 0;
    {
      RssSampler rss(proxy.pid());
      std::vector<std::unique_ptr<RawClient>> clients;
      ConnectOptions tiny;
      tiny.rcvbuf = 16 * 1024;
      for (int i = 0; i < kClients; ++i) {
        clients.push_back(std::make_unique<RawClient>(proxy.listener("main"), tiny));
        ASSERT_TRUE(clients.back()->connected());
        ASSERT_EQ(clients.back()->send(get_request(i % 2 ? "/big" : "/drip")), IoStatus::kOk);
      }
      // The queues fill within moments; give a loaded machine a few seconds.
      std::this_thread::sleep_for(3s);
      peak = rss.peak_kib();
      // Every reader is stuck with a full pipe: the attack really held responses back.
      EXPECT_GT(up.body_bytes_sent() - sent_before, uint64_t{kClients} * 64 * 1024);
      // The clients leave (close without reading).
    }
    long per_reader = (peak - baseline) / kClients;
    EXPECT_LT(per_reader, kPerReaderBoundKiB) << "baseline " << baseline << " KiB, peak " << peak
                                              << " KiB with " << kClients << " slow readers";
    long now = 0;
    EXPECT_TRUE(eventually(
        [&] {
          now = rss_kib(proxy.pid());
          return now < baseline + kBackToBaselineKiB;
        },
        10s))
        << "RSS stayed at " << now << " KiB after the readers left (baseline " << baseline
        << " KiB, peak " << peak << " KiB)";
  }
}

// The TCP relay's sibling: an upstream that trickles 512-byte writes to clients that never
// read. Each small read lands in its own 64 KiB slab; the queue must count those.
TEST(HttpSessionMemory, TcpSlowReadersOfATrickleAreBounded) {
  if (!kRssBoundApplies) GTEST_SKIP() << "RSS says nothing under AddressSanitizer";
  TcpUpstream up([](int fd, TcpUpstream& server) {
    std::string piece(512, 'x');
    while (!server.stopping()) {
      if (send_all(fd, piece, Clock::now() + 60s) != IoStatus::kOk) return;
      server.count_sent(piece.size());
    }
  });
  ConfigSpec spec;
  ListenerSpec tcp;
  tcp.name = "tcp";
  tcp.protocol = "tcp";
  tcp.upstream = up.address();
  tcp.extra = "max_connections = 1000\n";
  spec.listeners.push_back(tcp);
  START_PROXY(proxy, config_toml(spec));
  std::this_thread::sleep_for(300ms);
  const long baseline = rss_kib(proxy.pid());
  long peak = 0;
  {
    RssSampler rss(proxy.pid());
    std::vector<std::unique_ptr<RawClient>> clients;
    ConnectOptions tiny;
    tiny.rcvbuf = 16 * 1024;
    for (int i = 0; i < kClients; ++i) {
      clients.push_back(std::make_unique<RawClient>(proxy.listener("tcp"), tiny));
      ASSERT_TRUE(clients.back()->connected());
    }
    std::this_thread::sleep_for(3s);
    peak = rss.peak_kib();
    EXPECT_GT(up.bytes_sent(), uint64_t{kClients} * 64 * 1024);
  }
  EXPECT_LT((peak - baseline) / kClients, kPerReaderBoundKiB)
      << "baseline " << baseline << " KiB, peak " << peak << " KiB with " << kClients
      << " slow readers";
  long now = 0;
  EXPECT_TRUE(eventually(
      [&] {
        now = rss_kib(proxy.pid());
        return now < baseline + kBackToBaselineKiB;
      },
      10s))
      << "RSS stayed at " << now << " KiB (baseline " << baseline << " KiB, peak " << peak
      << " KiB)";
}

}  // namespace
}  // namespace faultline::harness
