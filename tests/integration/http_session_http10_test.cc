// HTTP/1.0 clients (RFC 9112 §6.1, §9.3): a chunked upstream response reaches them de-chunked
// and close-delimited, keep-alive works only when asked for, and no byte of a response is
// damaged when requests are pipelined behind a response still being written to a slow reader.
#include <memory>

#include "tests/integration/support.h"

namespace faultline::harness {
namespace {

// `total` pattern bytes (offset 0) cut into chunks of `piece` bytes.
std::vector<std::string> pattern_chunks(size_t total, size_t piece) {
  std::vector<std::string> chunks;
  for (size_t off = 0; off < total; off += piece)
    chunks.push_back(pattern_string(std::min(piece, total - off), off));
  return chunks;
}

// Reads a response slowly (16 KiB per read, a pause before each) and checks its body against
// the byte pattern.
HttpResponse read_slowly(RawClient& client, PatternChecker& checker, Millis pause = Millis(1)) {
  client.stream().throttle(16 * 1024, pause);
  auto r = client.read_response("GET", 60s, std::ref(checker), 0);
  client.stream().throttle(0, Millis(0));
  return r;
}

TEST(HttpSessionHttp10, PipelinedChunkedResponseBehindASlowReaderArrivesIntact) {
  // Each client pipelines GET /first (n bytes) and GET /second (chunked, head and body in one
  // write) and reads nothing for a while. Where the first response overfills the kernel's
  // buffers by a little, it is still queued in the proxy when the second one arrives: the
  // second body's first spans, relayed from the middle of the read that also held its head,
  // wait in the queue while later reads land. The kernel's buffer size is not known, so the
  // first response grows in steps across the clients; every byte of every body must arrive.
  constexpr size_t kSecond = 256 * 1024;
  constexpr int kClients = 44;
  HttpUpstream up;
  up.route("/first", [](Exchange& ex) {
    const std::string& target = ex.head().target;
    handlers::stream(std::stoull(target.substr(target.find("n=") + 2)))(ex);
  });
  up.route("/second", handlers::chunked(pattern_chunks(kSecond, 10000)));
  START_PROXY(proxy, http_config(up.address(), "max_connections = 1000\n"));
  std::vector<std::unique_ptr<RawClient>> clients;
  std::vector<size_t> first_sizes;
  ConnectOptions small;
  small.rcvbuf = 16 * 1024;
  for (int i = 0; i < kClients; ++i) {
    first_sizes.push_back(64 * 1024 + static_cast<size_t>(i) * 96 * 1024);
    clients.push_back(std::make_unique<RawClient>(proxy.listener("main"), small));
    ASSERT_TRUE(clients.back()->connected());
    ASSERT_EQ(
        clients.back()->send("GET /first?n=" + std::to_string(first_sizes.back()) +
                             " HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\n\r\n"
                             "GET /second HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\n\r\n"),
        IoStatus::kOk);
  }
  std::this_thread::sleep_for(700ms);  // the proxy queues what the clients do not read
  for (int i = 0; i < kClients; ++i) {
    SCOPED_TRACE("first response of " + std::to_string(first_sizes[i]) + " bytes");
    RawClient& client = *clients[i];
    PatternChecker first;
    auto r1 = client.read_response("GET", 30s, std::ref(first), 0);
    ASSERT_TRUE(r1.complete()) << r1;
    EXPECT_EQ(r1.status(), 200);
    EXPECT_TRUE(r1.head.has_token("connection", "keep-alive"));
    EXPECT_EQ(first.bytes(), first_sizes[i]);
    EXPECT_TRUE(first.intact()) << "first response: first bad byte at " << first.first_bad();
    PatternChecker second;
    auto r2 = client.read_response("GET", 30s, std::ref(second), 0);
    ASSERT_TRUE(r2.complete()) << r2;
    EXPECT_EQ(r2.status(), 200);
    EXPECT_FALSE(r2.head.has("transfer-encoding")) << "HTTP/1.0 clients do not know chunked";
    EXPECT_FALSE(r2.head.has("content-length"));
    EXPECT_TRUE(r2.head.has_token("connection", "close"));
    EXPECT_EQ(second.bytes(), kSecond);
    EXPECT_TRUE(second.intact()) << "second response: first bad byte at " << second.first_bad();
  }
}

TEST(HttpSessionHttp10, ChunkedBodyReadWithItsHeadArrivesIntactAtASlowReader) {
  // The head and 1 MiB of chunks in one write: the proxy's first read holds the head and the
  // start of the body, whose de-chunked spans are relayed from the middle of that read while
  // the client's small window keeps them queued and later reads arrive.
  constexpr size_t kTotal = 1u << 20;
  HttpUpstream up;
  up.route("/c", handlers::chunked(pattern_chunks(kTotal, 10000)));
  START_PROXY(proxy, http_config(up.address()));
  ConnectOptions small;
  small.rcvbuf = 16 * 1024;
  RawClient client(proxy.listener("main"), small);
  ASSERT_EQ(client.send("GET /c HTTP/1.0\r\nHost: x\r\n\r\n"), IoStatus::kOk);
  std::this_thread::sleep_for(300ms);
  PatternChecker checker;
  auto r = read_slowly(client, checker);
  ASSERT_TRUE(r.complete()) << r;
  EXPECT_FALSE(r.head.has("transfer-encoding"));
  EXPECT_EQ(checker.bytes(), kTotal);
  EXPECT_TRUE(checker.intact()) << "first bad byte at " << checker.first_bad();
}

TEST(HttpSessionHttp10, ChunkedResponseIsDechunkedAndCloseDelimitedForASlowReader) {
  constexpr size_t kTotal = 3u << 20;
  HttpUpstream up;
  up.route("/big", handlers::stream(kTotal, /*chunked=*/true, 24 * 1024 + 7));
  START_PROXY(proxy, http_config(up.address()));
  ConnectOptions small;
  small.rcvbuf = 32 * 1024;
  RawClient client(proxy.listener("main"), small);
  ASSERT_EQ(client.send("GET /big HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\n\r\n"),
            IoStatus::kOk);
  PatternChecker checker;
  auto r = read_slowly(client, checker);
  ASSERT_TRUE(r.complete()) << r;  // framed by the close
  EXPECT_EQ(r.head.version, "HTTP/1.1");
  EXPECT_FALSE(r.head.has("transfer-encoding"));
  EXPECT_TRUE(r.head.has_token("connection", "close"));
  EXPECT_EQ(checker.bytes(), kTotal);
  EXPECT_TRUE(checker.intact()) << "first bad byte at " << checker.first_bad();
}

TEST(HttpSessionHttp10, ChunkedTrailersAreDroppedAndTheBodyIsExact) {
  HttpUpstream up;
  up.route("/t", [](Exchange& ex) {
    ex.read_body();
    ex.send(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: x-sum\r\n\r\n"
        "5\r\nhello\r\n1;ext=1\r\n \r\n5\r\nworld\r\n0\r\nx-sum: 42\r\n\r\n");
  });
  START_PROXY(proxy, http_config(up.address()));
  RawClient client(proxy.listener("main"));
  auto r = client.request("GET /t HTTP/1.0\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(r.complete()) << r;
  EXPECT_EQ(r.body, "hello world");
  EXPECT_FALSE(r.head.has("transfer-encoding"));
  EXPECT_EQ(client.wait_for_activity(2s), IoStatus::kEof);
}

TEST(HttpSessionHttp10, HeadOfAChunkedResourceCarriesNoTransferEncodingAndKeepsAlive) {
  HttpUpstream up;
  up.route("/c", handlers::chunked({"abc"}));
  START_PROXY(proxy, http_config(up.address()));
  RawClient client(proxy.listener("main"));
  ASSERT_EQ(client.send("HEAD /c HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\n\r\n"),
            IoStatus::kOk);
  auto r = client.read_response("HEAD", 5s);
  ASSERT_TRUE(r.complete()) << r;
  EXPECT_EQ(r.status(), 200);
  // RFC 9112 §6.1: no Transfer-Encoding in a response to an HTTP/1.0 request.
  EXPECT_FALSE(r.head.has("transfer-encoding"));
  EXPECT_TRUE(r.head.has_token("connection", "keep-alive"));
  auto again = client.request("GET /c HTTP/1.0\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(again.complete()) << again;
  EXPECT_EQ(again.body, "abc");
}

TEST(HttpSessionHttp10, KeepAliveOnlyWhenAskedFor) {
  HttpUpstream up;
  up.set_default(handlers::fixed(200, "fine"));
  START_PROXY(proxy, http_config(up.address()));
  {
    RawClient client(proxy.listener("main"));
    for (int i = 0; i < 3; ++i) {
      auto r = client.request("GET /k HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\n\r\n");
      ASSERT_TRUE(r.complete()) << r;
      EXPECT_EQ(r.body, "fine");
      EXPECT_TRUE(r.head.has_token("connection", "keep-alive"));
    }
  }
  RawClient client(proxy.listener("main"));
  auto start = Clock::now();
  auto r = client.request("GET /k HTTP/1.0\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(r.complete()) << r;
  EXPECT_TRUE(r.head.has_token("connection", "close"));
  EXPECT_EQ(client.wait_for_activity(5s), IoStatus::kEof);
  EXPECT_LT(elapsed_ms(start), 2000) << "the connection stayed open after the response";
}

}  // namespace
}  // namespace faultline::harness
