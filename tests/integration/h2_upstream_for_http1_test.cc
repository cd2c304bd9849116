// HTTP/1.1 clients in front of an HTTP/2 upstream (upstream_protocol = "http2", SPEC §8): each
// request goes out as a stream over h2c prior knowledge (proxy/http2/http1_over_http2.h). The
// upstreams speak only HTTP/2: python3-grpcio's server (tests/harness/grpc/) and nghttpd (from
// nghttp2-server), so every answer proves the conversion; clients are raw sockets and curl.
#include <netinet/in.h>
#include <sys/socket.h>

#include "h2_support.h"

namespace faultline::harness {
namespace {

const std::string kHttp2 = "upstream_protocol = \"http2\"\n";

std::string grpc_frame(const std::string& message) {
  std::string out(5, '\0');
  const uint32_t n = static_cast<uint32_t>(message.size());
  for (int i = 0; i < 4; ++i) out[1 + i] = static_cast<char>((n >> (24 - 8 * i)) & 0xff);
  return out + message;
}

// Reads until `marker` arrived (true) or `timeout` passed; the bytes stay in the buffer.
bool read_until(RawClient& client, std::string_view marker, Millis timeout = Millis(10000)) {
  const auto deadline = Clock::now() + timeout;
  while (client.stream().buffer().find(marker) == std::string::npos) {
    if (client.stream().fill(deadline) != IoStatus::kOk) return false;
  }
  return true;
}

std::string grpc_post(const std::string& path, const std::string& body, const std::string& extra) {
  return "POST " + path + " HTTP/1.1\r\nHost: upstream.test\r\ncontent-type: application/grpc\r\n" +
         "TE: trailers\r\nConnection: TE\r\n" + extra +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

// A gRPC call made over HTTP/1.1: the request goes out as an HTTP/2 stream (the server speaks
// nothing else) with te: trailers and the client's metadata; the response comes back chunked
// with the gRPC trailers in the last chunk. A second call on the same client connection sends
// its body chunked, with a trailer of its own.
TEST(H2UpstreamForHttp1, GrpcCallsOverHttp1CrossAsStreams) {
  START_GRPC_UPSTREAM(upstream);
  START_PROXY(proxy, http_config(upstream.address(), kHttp2));
  RawClient client(proxy.listener("main"));
  ASSERT_TRUE(client.connected());
  const std::string message = grpc_frame("hello");
  ASSERT_EQ(client.send(grpc_post("/test.Echo/Unary", message, "x-client: one\r\nx-empty:\r\n")),
            IoStatus::kOk);
  ASSERT_TRUE(read_until(client, "\r\n0\r\n")) << client.stream().buffer();
  ASSERT_TRUE(read_until(client, "\r\n\r\n", Millis(5000)));
  std::string& got = client.stream().buffer();
  EXPECT_EQ(got.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << got;
  EXPECT_NE(got.find("\r\ntransfer-encoding: chunked\r\n"), std::string::npos) << got;
  EXPECT_NE(got.find("\r\nx-seen: x-client,x-empty\r\n"), std::string::npos) << got;
  const std::string body =
      "a\r\n" + message + "\r\n0\r\ngrpc-status: 0\r\nx-trailer: unary\r\n\r\n";
  EXPECT_NE(got.find("\r\n\r\n" + body), std::string::npos) << got;
  ASSERT_TRUE(got.ends_with(body)) << got;
  got.clear();

  const std::string chunked =
      "POST /test.Echo/Unary HTTP/1.1\r\nHost: upstream.test\r\ncontent-type: application/grpc\r\n"
      "TE: trailers\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n" +
      message.substr(0, 3) + "\r\n7\r\n" + message.substr(3) + "\r\n0\r\nx-end: 1\r\n\r\n";
  ASSERT_EQ(client.send(chunked), IoStatus::kOk);
  ASSERT_TRUE(read_until(client, body)) << got;
  EXPECT_EQ(got.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << got;
  EXPECT_NE(got.find("\r\nx-seen: none\r\n"), std::string::npos) << got;
}

// Flow control both ways, through 64 KiB stream windows: a 3 MiB message up (echoed back) and
// a server-streaming call of 40 messages of 100,000 bytes down arrive whole.
TEST(H2UpstreamForHttp1, LargeBodiesStreamBothWays) {
  START_GRPC_UPSTREAM(upstream);
  START_PROXY(proxy, http_config(upstream.address(), kHttp2));
  std::string big(3u << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>((i * 7919) >> 8);
  const std::string up = grpc_frame(big);
  RawClient client(proxy.listener("main"));
  ASSERT_EQ(client.send(grpc_post("/test.Echo/Unary", up, ""), Millis(30000)), IoStatus::kOk);
  HttpResponse echoed = client.read_response("POST", Millis(30000));
  EXPECT_EQ(echoed.head.status, 200);
  EXPECT_TRUE(echoed.body == up) << "echoed " << echoed.body.size() << " bytes of " << up.size();

  const std::string ask = grpc_frame("40:100000");
  ASSERT_EQ(client.send(grpc_post("/test.Echo/Stream", ask, "")), IoStatus::kOk);
  HttpResponse streamed = client.read_response("POST", Millis(30000));
  EXPECT_EQ(streamed.head.status, 200);
  ASSERT_EQ(streamed.body.size(), 40u * (5 + 100000));
  for (size_t m = 0; m < 40; ++m) {
    const size_t at = m * (5 + 100000) + 5;
    EXPECT_EQ(static_cast<uint8_t>(streamed.body[at]), m % 251) << "message " << m;
    EXPECT_EQ(static_cast<uint8_t>(streamed.body[at + 99999]), m % 251) << "message " << m;
  }
}

// nghttpd serves files over h2c only. Bodies with content-length keep it, HEAD gets the head
// alone, a 404 passes through, a chunked request's trailer crosses, and keep-alive requests
// share one upstream connection.
TEST(H2UpstreamForHttp1, FilesFromAnHttp2OnlyServer) {
  TempDir docs;
  std::string file(1 << 20, '\0');
  for (size_t i = 0; i < file.size(); ++i) file[i] = static_cast<char>(i * 31 + (i >> 10));
  docs.write("big.bin", file);
  // A port for nghttpd (it has no port 0): bound, then freed for it.
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ASSERT_EQ(::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  const std::string port = std::to_string(ntohs(a.sin_port));
  ::close(s);
  pid_t server = spawn_process(
      {"/usr/sbin/nghttpd", "-v", "--no-tls", "-a", "127.0.0.1", "-d", docs.path(), port}, {},
      docs.path() + "/out", docs.path() + "/err");
  ASSERT_GT(server, 0) << "nghttpd (nghttp2-server) missing: scripts/install-deps.sh test";
  KillOnExit reaper{server};
  ASSERT_TRUE(eventually([&] {
    return RawClient({"127.0.0.1", static_cast<uint16_t>(std::stoi(port))}).connected();
  }));
  START_PROXY(proxy, http_config("127.0.0.1:" + port, kHttp2));

  RawClient client(proxy.listener("main"));
  auto get = client.request("GET /big.bin HTTP/1.1\r\nHost: files.test\r\n\r\n");
  EXPECT_EQ(get.head.status, 200);
  ASSERT_TRUE(get.head.has("content-length"));
  EXPECT_EQ(*get.head.find("content-length"), std::to_string(file.size()));
  EXPECT_FALSE(get.head.has("transfer-encoding"));
  EXPECT_TRUE(get.body == file) << get.body.size() << " bytes";
  auto head = client.request("HEAD /big.bin HTTP/1.1\r\nHost: files.test\r\n\r\n");
  EXPECT_EQ(head.head.status, 200);
  EXPECT_EQ(*head.head.find("content-length"), std::to_string(file.size()));
  EXPECT_TRUE(head.body.empty());
  auto missing = client.request("GET /nope HTTP/1.1\r\nHost: files.test\r\n\r\n");
  EXPECT_EQ(missing.head.status, 404);
  auto again = client.request("GET /big.bin HTTP/1.1\r\nHost: files.test\r\n\r\n");
  EXPECT_TRUE(again.body == file);
  // A chunked body's trailer goes out as HTTP/2 trailers (nghttpd -v logs the fields it got).
  auto posted = client.request(
      "POST /big.bin HTTP/1.1\r\nHost: files.test\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n0\r\nx-sum: 42\r\n\r\n");
  EXPECT_EQ(posted.head.status, 200);
  // nghttpd -v numbers its connections: after the readiness probe's (1), one carried every
  // request.
  const std::string log = read_file(docs.path() + "/out");
  EXPECT_NE(log.find(") x-sum: 42\n"), std::string::npos) << log.substr(0, 4000);
  EXPECT_NE(log.find("[id=2]"), std::string::npos) << log.substr(0, 2000);
  EXPECT_EQ(log.find("[id=3]"), std::string::npos) << "a second upstream connection";

  // An Upgrade (WebSocket) has no HTTP/2 equivalent here: a 502, not a hang.
  RawClient ws(proxy.listener("main"));
  auto upgrade = ws.request(
      "GET /big.bin HTTP/1.1\r\nHost: files.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
      "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
  EXPECT_EQ(upgrade.head.status, 502);
  // HTTP/1.0 without Host: HTTP/2 needs an :authority, the configured upstream's.
  RawClient old(proxy.listener("main"));
  auto http10 = old.request("GET /big.bin HTTP/1.0\r\n\r\n");
  EXPECT_EQ(http10.head.status, 200);
  EXPECT_TRUE(http10.body == file) << http10.body.size() << " bytes";
}

// The HTTP/1.1 session's faults apply as before: a header-triggered delay holds the request,
// an abort answers without the upstream.
TEST(H2UpstreamForHttp1, FaultsApplyAsForHttp1) {
  START_GRPC_UPSTREAM(upstream);
  START_PROXY(proxy,
              http_config(upstream.address(), kHttp2, "[triggers.headers]\nenabled = true\n"));
  RawClient client(proxy.listener("main"));
  const std::string message = grpc_frame("x");
  auto delayed = client.request(grpc_post("/test.Echo/Unary", message, "x-chaos-delay: 300ms\r\n"));
  EXPECT_EQ(delayed.head.status, 200);
  EXPECT_GE(delayed.elapsed.count(), 300);
  EXPECT_NE(delayed.body.find(message), std::string::npos);
  auto aborted = client.request("GET /x HTTP/1.1\r\nHost: x\r\nx-chaos-abort: 503\r\n\r\n");
  EXPECT_EQ(aborted.head.status, 503);
}

// An upstream that speaks only HTTP/1.1 cannot be spoken HTTP/2 to: 502, not a hang.
TEST(H2UpstreamForHttp1, AnHttp1OnlyUpstreamIs502) {
  HttpUpstream upstream;
  START_PROXY(proxy, http_config(upstream.address(), kHttp2));
  RawClient client(proxy.listener("main"));
  auto r = client.request("GET / HTTP/1.1\r\nHost: x\r\n\r\n", Millis(10000));
  EXPECT_EQ(r.head.status, 502);
}

}  // namespace
}  // namespace faultline::harness
