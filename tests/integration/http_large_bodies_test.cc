// 100 MiB bodies streamed through the proxy in both directions, and a client that reads
// slowly: the proxy must relay with back-pressure and keep its memory bounded.
#include "tests/integration/support.h"

namespace faultline::harness {
namespace {

constexpr uint64_t kHundredMiB = 100ull << 20;
constexpr long kRssBoundKiB = 64 * 1024;

TEST(HttpLargeBodies, HundredMiBResponseStreamsWithBoundedMemory) {
  HttpUpstream up;
  up.route("/big", handlers::stream(kHundredMiB));
  START_PROXY(proxy, http_config(up.address()));
  RssSampler rss(proxy.pid());
  RawClient client(proxy.listener("main"));
  PatternChecker checker;
  client.send(get_request("/big"));
  auto r = client.read_response("GET", 120s, std::ref(checker), 0);
  ASSERT_TRUE(r.complete()) << r;
  EXPECT_EQ(checker.bytes(), kHundredMiB);
  EXPECT_TRUE(checker.intact()) << "first bad byte at " << checker.first_bad();
  if (kRssBoundApplies) {
    EXPECT_LT(rss.peak_kib(), kRssBoundKiB) << "proxy RSS peaked at " << rss.peak_kib() << " KiB";
  }
}

TEST(HttpLargeBodies, HundredMiBChunkedResponseStreamsWithBoundedMemory) {
  HttpUpstream up;
  up.route("/big", handlers::stream(kHundredMiB, /*chunked=*/true));
  START_PROXY(proxy, http_config(up.address()));
  RssSampler rss(proxy.pid());
  RawClient client(proxy.listener("main"));
  PatternChecker checker;
  client.send(get_request("/big"));
  auto r = client.read_response("GET", 120s, std::ref(checker), 0);
  ASSERT_TRUE(r.complete()) << r;
  EXPECT_EQ(checker.bytes(), kHundredMiB);
  EXPECT_TRUE(checker.intact()) << "first bad byte at " << checker.first_bad();
  if (kRssBoundApplies) {
    EXPECT_LT(rss.peak_kib(), kRssBoundKiB) << "proxy RSS peaked at " << rss.peak_kib() << " KiB";
  }
}

TEST(HttpLargeBodies, HundredMiBRequestStreamsWithBoundedMemory) {
  HttpUpstream up;
  up.route("/upload", handlers::verify_pattern_body());
  START_PROXY(proxy, http_config(up.address()));
  RssSampler rss(proxy.pid());
  RawClient client(proxy.listener("main"));
  ASSERT_EQ(client.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                        std::to_string(kHundredMiB) + "\r\n\r\n"),
            IoStatus::kOk);
  std::string piece(256 * 1024, '\0');
  for (uint64_t off = 0; off < kHundredMiB; off += piece.size()) {
    fill_pattern(off, piece.data(), piece.size());
    ASSERT_EQ(client.send(piece, 30s), IoStatus::kOk) << "at offset " << off;
  }
  auto r = client.read_response("POST", 60s);
  ASSERT_TRUE(r.complete()) << r;
  EXPECT_EQ(r.status(), 200);
  EXPECT_EQ(r.body, "bytes=" + std::to_string(kHundredMiB) + " intact=1");
  if (kRssBoundApplies) {
    EXPECT_LT(rss.peak_kib(), kRssBoundKiB) << "proxy RSS peaked at " << rss.peak_kib() << " KiB";
  }
}

TEST(HttpLargeBodies, SlowReaderPausesTheUpstream) {
  HttpUpstream up;
  up.route("/big", handlers::stream(kHundredMiB));
  START_PROXY(proxy, http_config(up.address()));
  RssSampler rss(proxy.pid());
  ConnectOptions small;
  small.rcvbuf = 64 * 1024;
  RawClient client(proxy.listener("main"), small);
  ASSERT_EQ(client.send(get_request("/big")), IoStatus::kOk);
  ASSERT_TRUE(eventually([&] { return up.body_bytes_sent() > 0; }));
  std::this_thread::sleep_for(1500ms);
  uint64_t before = up.body_bytes_sent();
  std::this_thread::sleep_for(1000ms);
  uint64_t after = up.body_bytes_sent();
  EXPECT_EQ(before, after) << "upstream kept sending while the client read nothing";
  EXPECT_LT(after, kHundredMiB / 2) << "the proxy took " << after << " bytes from the upstream";
  // Read slowly for a while, then at full speed; every byte must arrive, in order.
  client.stream().throttle(16 * 1024, Millis(2));
  PatternChecker checker;
  HttpHead head;
  ASSERT_EQ(client.stream().read_head(&head, false, Clock::now() + 10s), IoStatus::kOk);
  EXPECT_EQ(head.status, 200);
  auto s = client.stream().read_exact(2u << 20, std::ref(checker), Clock::now() + 30s);
  ASSERT_EQ(s, IoStatus::kOk) << to_string(s);
  client.stream().throttle(0, Millis(0));
  s = client.stream().read_exact(kHundredMiB - (2u << 20), std::ref(checker), Clock::now() + 60s);
  EXPECT_EQ(s, IoStatus::kOk) << to_string(s);
  EXPECT_EQ(checker.bytes(), kHundredMiB);
  EXPECT_TRUE(checker.intact()) << "first bad byte at " << checker.first_bad();
  if (kRssBoundApplies) {
    EXPECT_LT(rss.peak_kib(), kRssBoundKiB) << "proxy RSS peaked at " << rss.peak_kib() << " KiB";
  }
}

}  // namespace
}  // namespace faultline::harness
