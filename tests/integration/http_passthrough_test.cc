// HTTP listeners without faults: what a client and an upstream see through the proxy.
#include "tests/integration/support.h"

namespace faultline::harness {
namespace {

std::string joined(const std::vector<std::string>& values) {
  std::string out;
  for (const auto& v : values) out += (out.empty() ? "" : ", ") + v;
  return out;
}

TEST(HttpPassthrough, KeepAliveOnBothSidesReusesTheUpstreamConnection) {
  HttpUpstream up;
  up.route("/a", handlers::fixed(200, "alpha", {{"X-Origin", "up"}}));
  START_PROXY(proxy, http_config(up.address()));
  RawClient client(proxy.listener("main"));
  for (int i = 0; i < 5; ++i) {
    auto r = client.request(get_request("/a"));
    ASSERT_TRUE(r.complete()) << r;
    EXPECT_EQ(r.status(), 200);
    EXPECT_EQ(r.body, "alpha");
    ASSERT_NE(r.head.find("x-origin"), nullptr);
  }
  // A second client connection, after the first went idle, reuses the pooled connection.
  RawClient second(proxy.listener("main"));
  EXPECT_EQ(second.request(get_request("/a")).status(), 200);
  EXPECT_EQ(up.requests_seen(), 6u);
  EXPECT_EQ(up.connections_accepted(), 1u) << "upstream connections were not reused";
}

TEST(HttpPassthrough, UpstreamConnectionCloseIsNotReused) {
  HttpUpstream up;
  up.route("/close", [](Exchange& ex) {
    ex.close_after();
    ex.respond(200, "closing");
  });
  START_PROXY(proxy, http_config(up.address()));
  RawClient client(proxy.listener("main"));
  auto r = client.request(get_request("/close"));
  EXPECT_EQ(r.status(), 200) << r;
  EXPECT_EQ(r.body, "closing");
  std::this_thread::sleep_for(50ms);
  r = client.request(get_request("/other"));
  EXPECT_EQ(r.status(), 200) << r;
  EXPECT_EQ(up.connections_accepted(), 2u);
}

TEST(HttpPassthrough, ConnectionCloseAndHttp10EndTheClientConnection) {
  HttpUpstream up;
  START_PROXY(proxy, http_config(up.address()));
  RawClient closing(proxy.listener("main"));
  auto r = closing.request(get_request("/bye", {{"Connection", "close"}}));
  ASSERT_TRUE(r.complete()) << r;
  EXPECT_EQ(r.status(), 200);
  auto d = closing.read_until_close(3s);
  EXPECT_EQ(d.io, IoStatus::kOk) << "connection not closed after Connection: close";
  EXPECT_TRUE(d.bytes.empty());

  RawClient old(proxy.listener("main"));
  r = old.request("GET /old HTTP/1.0\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(r.complete()) << r;
  EXPECT_EQ(r.status(), 200);
  EXPECT_EQ(r.body, "ok");
  d = old.read_until_close(3s);
  EXPECT_EQ(d.io, IoStatus::kOk) << "HTTP/1.0 connection without keep-alive left open";
}

TEST(HttpPassthrough, PipelinedRequestsAreAnsweredInOrder) {
  HttpUpstream up;
  up.route("/first", handlers::fixed(200, "one"));
  up.route("/second", handlers::delayed(300ms, handlers::fixed(200, "two")));
  up.route("/third", handlers::fixed(200, "three"));
  START_PROXY(proxy, http_config(up.address()));
  RawClient client(proxy.listener("main"));
  ASSERT_EQ(client.send(get_request("/first") + get_request("/second") + get_request("/third")),
            IoStatus::kOk);
  for (const char* want : {"one", "two", "three"}) {
    auto r = client.read_response();
    ASSERT_TRUE(r.complete()) << r;
    EXPECT_EQ(r.status(), 200);
    EXPECT_EQ(r.body, want);
  }
}

TEST(HttpPassthrough, ContentLengthAndChunkedBodiesBothWays) {
  HttpUpstream up;
  up.route("/echo", handlers::echo_body());
  up.route("/chunked", handlers::chunked({"chunk one, ", "chunk two, ", "chunk three"}));
  up.route("/stream", handlers::stream(8u << 20, /*chunked=*/true, 10000));
  START_PROXY(proxy, http_config(up.address()));
  RawClient client(proxy.listener("main"));

  std::string body = pattern_string(300000);
  auto r = client.request(make_request("POST", "/echo", {}, body));
  ASSERT_TRUE(r.complete()) << r;
  EXPECT_EQ(r.body, body);

  std::string chunked_request =
      "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n1;ext=1\r\n \r\n6\r\nworld!\r\n0\r\n\r\n";
  r = client.request(chunked_request);
  ASSERT_TRUE(r.complete()) << r;
  EXPECT_EQ(r.body, "hello world!");
  auto seen = up.wait_for_request("/echo");
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(seen->body, "hello world!");

  r = client.request(get_request("/chunked"));
  ASSERT_TRUE(r.complete()) << r;
  EXPECT_EQ(r.body, "chunk one, chunk two, chunk three");

  PatternChecker checker;
  client.send(get_request("/stream"));
  r = client.read_response("GET", 30s, std::ref(checker), 0);
  ASSERT_TRUE(r.complete()) << r;
  EXPECT_EQ(checker.bytes(), 8u << 20);
  EXPECT_TRUE(checker.intact()) << "first bad byte at " << checker.first_bad();
}

TEST(HttpPassthrough, ExpectContinueReachesTheClient) {
  HttpUpstream up;
  up.route("/upload", handlers::echo_body());
  START_PROXY(proxy, http_config(up.address()));
  RawClient client(proxy.listener("main"));
  ASSERT_EQ(client.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n"
                        "Expect: 100-continue\r\n\r\n"),
            IoStatus::kOk);
  auto interim = client.read_response("POST", 5s);
  ASSERT_TRUE(interim.complete()) << interim;
  ASSERT_EQ(interim.status(), 100) << "no 100 Continue before the body was sent";
  client.send("hello there");
  auto r = client.read_response("POST", 5s);
  ASSERT_TRUE(r.complete()) << r;
  EXPECT_EQ(r.status(), 200);
  EXPECT_EQ(r.body, "hello there");
}

TEST(HttpPassthrough, ExpectContinueRejectedWithoutTheBody) {
  HttpUpstream up;
  up.route("/upload", [](Exchange& ex) {
    ex.close_after();  // never reads the body
    ex.respond(417, "no thanks");
  });
  START_PROXY(proxy, http_config(up.address()));
  RawClient client(proxy.listener("main"));
  ASSERT_EQ(client.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n"
                        "Expect: 100-continue\r\n\r\n"),
            IoStatus::kOk);
  auto r = client.read_response("POST", 5s);
  ASSERT_TRUE(r.complete()) << r;
  EXPECT_EQ(r.status(), 417);
  EXPECT_EQ(r.body, "no thanks");
}

TEST(HttpPassthrough, HeadAnd204And304HaveNoBody) {
  HttpUpstream up;
  up.route("/doc", handlers::fixed(200, std::string(1000, 'd')));
  up.route("/empty", handlers::fixed(204, ""));
  up.route("/cached", handlers::fixed(304, "", {{"ETag", "\"v1\""}}));
  START_PROXY(proxy, http_config(up.address()));
  RawClient client(proxy.listener("main"));
  // Each answer is followed by another request on the same connection: a proxy that
  // expected or sent a body here would desynchronise the connection.
  auto r = client.request(make_request("HEAD", "/doc"));
  ASSERT_TRUE(r.complete()) << r;
  EXPECT_EQ(r.status(), 200);
  ASSERT_NE(r.head.find("content-length"), nullptr);
  EXPECT_EQ(*r.head.find("content-length"), "1000");
  r = client.request(get_request("/empty"));
  ASSERT_TRUE(r.complete()) << r;
  EXPECT_EQ(r.status(), 204);
  r = client.request(get_request("/cached", {{"If-None-Match", "\"v1\""}}));
  ASSERT_TRUE(r.complete()) << r;
  EXPECT_EQ(r.status(), 304);
  r = client.request(get_request("/doc"));
  ASSERT_TRUE(r.complete()) << r;
  EXPECT_EQ(r.body.size(), 1000u);
  // Nothing stray after the last response.
  EXPECT_EQ(client.wait_for_activity(200ms), IoStatus::kTimeout);
}

TEST(HttpPassthrough, UpgradeTurnsTheConnectionIntoATunnel) {
  HttpUpstream up;
  up.route("/ws", handlers::upgrade_echo());
  START_PROXY(proxy, http_config(up.address()));
  RawClient client(proxy.listener("main"));
  auto r = client.request(get_request("/ws", {{"Connection", "Upgrade"},
                                              {"Upgrade", "websocket"},
                                              {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="},
                                              {"Sec-WebSocket-Version", "13"}}));
  ASSERT_TRUE(r.complete()) << r;
  ASSERT_EQ(r.status(), 101);
  auto seen = up.wait_for_request("/ws", 5s, /*head_only=*/true);
  ASSERT_TRUE(seen.has_value());
  EXPECT_TRUE(seen->head.has_token("upgrade", "websocket")) << "Upgrade header not forwarded";
  std::string payload = pattern_string(256 * 1024);
  std::thread writer([&] { client.send(payload, 10s); });
  PatternChecker checker;
  auto s = client.stream().read_exact(payload.size(), std::ref(checker), Clock::now() + 10s);
  writer.join();
  EXPECT_EQ(s, IoStatus::kOk) << to_string(s);
  EXPECT_TRUE(checker.intact());
  client.shutdown_write();
  auto d = client.read_until_close(5s);
  EXPECT_NE(d.io, IoStatus::kTimeout) << "tunnel not closed after both sides finished";
}

TEST(HttpPassthrough, HopByHopHeadersAreRemovedBothWays) {
  HttpUpstream up;
  up.route("/hop",
           handlers::fixed(
               200, "ok",
               {{"Connection", "X-Resp-Hop"}, {"X-Resp-Hop", "secret"}, {"X-Resp-End", "kept"}}));
  START_PROXY(proxy, http_config(up.address()));
  RawClient client(proxy.listener("main"));
  auto r = client.request(get_request("/hop", {{"Connection", "keep-alive, X-Req-Hop"},
                                               {"X-Req-Hop", "secret"},
                                               {"Keep-Alive", "timeout=5"},
                                               {"Proxy-Connection", "keep-alive"},
                                               {"X-End-To-End", "kept"}}));
  ASSERT_TRUE(r.complete()) << r;
  EXPECT_EQ(r.head.find("x-resp-hop"), nullptr) << "Connection-named response header relayed";
  ASSERT_NE(r.head.find("x-resp-end"), nullptr);
  EXPECT_EQ(*r.head.find("x-resp-end"), "kept");
  auto seen = up.wait_for_request("/hop");
  ASSERT_TRUE(seen.has_value());
  EXPECT_FALSE(seen->head.has("x-req-hop")) << "Connection-named request header forwarded";
  EXPECT_FALSE(seen->head.has("keep-alive"));
  EXPECT_FALSE(seen->head.has("proxy-connection"));
  EXPECT_FALSE(seen->head.has_token("connection", "x-req-hop"));
  ASSERT_TRUE(seen->head.has("x-end-to-end"));
  EXPECT_EQ(*seen->head.find("x-end-to-end"), "kept");
  // The connection is still usable: the client's keep-alive was honoured.
  EXPECT_EQ(client.request(get_request("/hop")).status(), 200);
}

TEST(HttpPassthrough, XForwardedForIsAppendedWhenEnabled) {
  HttpUpstream up;
  START_PROXY(proxy, http_config(up.address(), "forwarded_for = true\n"));
  RawClient client(proxy.listener("main"));
  ASSERT_EQ(client.request(get_request("/plain")).status(), 200);
  auto seen = up.wait_for_request("/plain");
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(joined(seen->head.all("x-forwarded-for")), "127.0.0.1");
  ASSERT_EQ(client.request(get_request("/chained", {{"X-Forwarded-For", "203.0.113.7"}})).status(),
            200);
  seen = up.wait_for_request("/chained");
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(joined(seen->head.all("x-forwarded-for")), "203.0.113.7, 127.0.0.1");
}

TEST(HttpPassthrough, RequestLineAndEndToEndHeadersArriveUnchanged) {
  HttpUpstream up;
  START_PROXY(proxy, http_config(up.address()));
  auto r = one_request(proxy.listener("main"),
                       get_request("/path/x%20y?q=1&r=two", {{"Accept", "text/plain"},
                                                             {"X-Custom", "Value With  Spaces"},
                                                             {"Cookie", "a=1; b=2"}}));
  ASSERT_EQ(r.status(), 200) << r;
  auto seen = up.wait_for_request("/path/x%20y");
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(seen->head.method, "GET");
  EXPECT_EQ(seen->head.target, "/path/x%20y?q=1&r=two");
  EXPECT_EQ(*seen->head.find("host"), "localhost");
  EXPECT_EQ(*seen->head.find("x-custom"), "Value With  Spaces");
  EXPECT_EQ(*seen->head.find("cookie"), "a=1; b=2");
}

}  // namespace
}  // namespace faultline::harness
