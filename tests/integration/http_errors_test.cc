// HTTP error paths: upstream failures and timeouts, malformed and oversized requests,
// request-smuggling shapes, and an upstream that dies mid-response.
#include <netinet/in.h>
#include <sys/socket.h>

#include "tests/integration/support.h"

namespace faultline::harness {
namespace {

TEST(HttpErrors, UnreachableUpstreamIs502) {
  START_PROXY(proxy, http_config(closed_port_address()));
  auto r = one_request(proxy.listener("main"), get_request("/"));
  ASSERT_TRUE(r.complete()) << r;
  EXPECT_EQ(r.status(), 502);
}

// A listener whose accept queue is full drops further SYNs, so a connect to it hangs
// until the proxy's connect_timeout: a 504 reproducible on loopback.
TEST(HttpErrors, UpstreamConnectTimeoutIs504) {
  uint16_t port = 0;
  Fd full = listen_tcp(0, 0, &port);
  std::vector<Fd> fillers;
  for (int i = 0; i < 8; ++i) {
    Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    fillers.push_back(std::move(fd));
  }
  std::this_thread::sleep_for(50ms);
  START_PROXY(proxy,
              http_config("127.0.0.1:" + std::to_string(port), "connect_timeout = \"300ms\"\n"));
  auto r = one_request(proxy.listener("main"), get_request("/"), 10s);
  ASSERT_TRUE(r.complete()) << r;
  EXPECT_EQ(r.status(), 504);
  EXPECT_GE(r.elapsed.count(), 300);
  EXPECT_LT(r.elapsed.count(), 3000);
}

TEST(HttpErrors, ResponseTimeoutIs504) {
  HttpUpstream up;
  up.route("/slow", handlers::delayed(5s, handlers::fixed(200, "too late")));
  START_PROXY(proxy, http_config(up.address(), "response_timeout = \"400ms\"\n"));
  auto r = one_request(proxy.listener("main"), get_request("/slow"), 10s);
  ASSERT_TRUE(r.complete()) << r;
  EXPECT_EQ(r.status(), 504);
  EXPECT_GE(r.elapsed.count(), 400);
  EXPECT_LT(r.elapsed.count(), 3000);
}

TEST(HttpErrors, UpstreamClosingWithoutAnswerIs502) {
  HttpUpstream up;
  up.route("/hangup", [](Exchange& ex) {
    ex.read_body();
    ex.close_after();
  });
  START_PROXY(proxy, http_config(up.address()));
  auto r = one_request(proxy.listener("main"), get_request("/hangup"));
  ASSERT_TRUE(r.complete()) << r;
  EXPECT_EQ(r.status(), 502);
}

// The client must see a 400 and then the connection closed.
void expect_400_and_close(const Endpoint& to, const std::string& raw) {
  RawClient client(to);
  ASSERT_TRUE(client.connected());
  client.send(raw);
  auto r = client.read_response("GET", 5s);
  ASSERT_TRUE(r.complete()) << r << " for:\n" << raw;
  EXPECT_EQ(r.status(), 400) << raw;
  auto d = client.read_until_close(3s);
  EXPECT_NE(d.io, IoStatus::kTimeout) << "connection left open after 400 for:\n" << raw;
  EXPECT_TRUE(d.bytes.empty()) << d.bytes;
}

TEST(HttpErrors, MalformedRequestsAre400AndClose) {
  HttpUpstream up;
  START_PROXY(proxy, http_config(up.address()));
  auto to = proxy.listener("main");
  expect_400_and_close(to, "THIS IS NOT HTTP\r\n\r\n");
  expect_400_and_close(to, "GET / HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n");
  expect_400_and_close(to, "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n");
  EXPECT_EQ(up.requests_seen(), 0u) << "a malformed request reached the upstream";
}

TEST(HttpErrors, SmugglingShapesAreRejected) {
  HttpUpstream up;
  START_PROXY(proxy, http_config(up.address()));
  auto to = proxy.listener("main");
  // Content-Length together with Transfer-Encoding.
  expect_400_and_close(to,
                       "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
                       "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
  // Two differing Content-Length headers.
  expect_400_and_close(to,
                       "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
                       "Content-Length: 5\r\n\r\nabcde");
  // obs-fold (a header line continued on the next).
  expect_400_and_close(to, "GET / HTTP/1.1\r\nHost: x\r\nX-Folded: one\r\n two\r\n\r\n");
  EXPECT_EQ(up.requests_seen(), 0u) << "a smuggling-shaped request reached the upstream";
  // A bad chunk size in the body.
  expect_400_and_close(to,
                       "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                       "zz\r\nhello\r\n0\r\n\r\n");
}

TEST(HttpErrors, HeaderBlockOverTheLimitIs431) {
  HttpUpstream up;
  START_PROXY(proxy, http_config(up.address(), "max_header_bytes = \"4KiB\"\n"));
  auto r = one_request(proxy.listener("main"),
                       get_request("/", {{"X-Big", std::string(8 * 1024, 'b')}}));
  ASSERT_TRUE(r.complete()) << r;
  EXPECT_EQ(r.status(), 431);
  EXPECT_EQ(up.requests_seen(), 0u);
  // Just under the limit still passes.
  r = one_request(proxy.listener("main"), get_request("/", {{"X-Big", std::string(3000, 'b')}}));
  EXPECT_EQ(r.status(), 200) << r;
}

TEST(HttpErrors, HalfAHeadTimesOutWith408) {
  HttpUpstream up;
  START_PROXY(proxy, http_config(up.address(), "header_timeout = \"500ms\"\n"));
  RawClient client(proxy.listener("main"));
  auto start = Clock::now();
  client.send("GET /slowloris HTTP/1.1\r\nHost: x\r\nX-Partial: ");
  auto r = client.read_response("GET", 5s);
  ASSERT_TRUE(r.complete()) << r;
  EXPECT_EQ(r.status(), 408);
  EXPECT_GE(elapsed_ms(start), 450);
  EXPECT_LT(elapsed_ms(start), 3000);
  auto d = client.read_until_close(3s);
  EXPECT_NE(d.io, IoStatus::kTimeout) << "connection left open after 408";
  EXPECT_EQ(up.requests_seen(), 0u);
}

TEST(HttpErrors, IdleTimeoutClosesTheClientConnection) {
  HttpUpstream up;
  START_PROXY(proxy, http_config(up.address(), "idle_timeout = \"500ms\"\n"));
  RawClient client(proxy.listener("main"));
  ASSERT_EQ(client.request(get_request("/")).status(), 200);
  auto d = client.read_until_close(5s);
  EXPECT_NE(d.io, IoStatus::kTimeout) << "idle connection not closed";
  EXPECT_GE(d.elapsed.count(), 400);
  EXPECT_LT(d.elapsed.count(), 3000);
  EXPECT_TRUE(d.bytes.empty());
}

TEST(HttpErrors, UpstreamDyingMidResponseClosesTheClient) {
  HttpUpstream up;
  up.route("/die", handlers::die_mid_response(1u << 20, 100000));
  up.route("/reset", handlers::die_mid_response(1u << 20, 100000, /*reset=*/true));
  START_PROXY(proxy, http_config(up.address()));
  for (const char* path : {"/die", "/reset"}) {
    RawClient client(proxy.listener("main"));
    auto r = client.request(get_request(path), 5s);
    EXPECT_NE(r.io, IoStatus::kTimeout) << path << ": client left hanging: " << r;
    EXPECT_FALSE(r.complete()) << path << ": a truncated body was passed off as complete";
    EXPECT_EQ(r.status(), 200) << path;
    EXPECT_LE(r.body_bytes, 100000u) << path;
  }
}

}  // namespace
}  // namespace faultline::harness
