// HTTP/1.0 clients (RFC 9112 §6.1, §9.3): a chunked upstream response reaches them de-chunked
// and close-delimited, keep-alive works only when asked for, and no byte of a response is
// damaged when requests are pipelined behind a response still being written to a slow reader.
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
  // Larger than the proxy's socket send buffer can grow (tcp_wmem max, 4 MiB by default), so
  // the first response is still queued in the proxy when the second one arrives.
  constexpr size_t kFirst = 12u << 20;
  static constexpr size_t kSecond = 1u << 20;
  HttpUpstream up;
  up.route("/first", handlers::stream(kFirst));
  // The head and a first chunk in one write (the proxy reads head and body bytes together
  // and relays the body span from the middle of that read), the rest a moment later (the
  // proxy reads it into a fresh slab while that span still waits in the client's queue).
  up.route("/second", [](Exchange& ex) {
    ex.read_body();
    auto chunks = pattern_chunks(kSecond, 10000);
    std::string out = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (size_t i = 0; i < chunks.size(); ++i) {
      char hex[32];
      int len = std::snprintf(hex, sizeof hex, "%zx\r\n", chunks[i].size());
      out.append(hex, static_cast<size_t>(len)).append(chunks[i]).append("\r\n");
      if (i == 0 || i + 1 == chunks.size()) {
        if (i + 1 == chunks.size()) out += "0\r\n\r\n";
        if (!ex.send(out)) return;
        out.clear();
        if (!ex.sleep(100ms)) return;
      }
    }
  });
  START_PROXY(proxy, http_config(up.address()));
  ConnectOptions small;
  small.rcvbuf = 32 * 1024;
  RawClient client(proxy.listener("main"), small);
  ASSERT_TRUE(client.connected());
  ASSERT_EQ(client.send("GET /first HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\n\r\n"
                        "GET /second HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\n\r\n"),
            IoStatus::kOk);
  std::this_thread::sleep_for(300ms);  // the proxy fills the client's window and queues more

  PatternChecker first;
  auto r1 = read_slowly(client, first);
  ASSERT_TRUE(r1.complete()) << r1;
  EXPECT_EQ(r1.status(), 200);
  ASSERT_NE(r1.head.find("content-length"), nullptr);
  EXPECT_TRUE(r1.head.has_token("connection", "keep-alive"));
  EXPECT_EQ(first.bytes(), kFirst);
  EXPECT_TRUE(first.intact()) << "first response: first bad byte at " << first.first_bad();

  PatternChecker second;
  auto r2 = read_slowly(client, second);
  ASSERT_TRUE(r2.complete()) << r2;
  EXPECT_EQ(r2.status(), 200);
  EXPECT_FALSE(r2.head.has("transfer-encoding")) << "HTTP/1.0 clients do not know chunked";
  EXPECT_FALSE(r2.head.has("content-length"));
  EXPECT_TRUE(r2.head.has_token("connection", "close"));
  EXPECT_EQ(second.bytes(), kSecond);
  EXPECT_TRUE(second.intact()) << "second response: first bad byte at " << second.first_bad();
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
