// SPEC §7: a response that ends a connection (it says `connection: close`, the request had
// `Connection: close`, HTTP/1.0 without keep-alive, an abort whose request body was not read)
// is followed by closing the connection at once — the client sees EOF right after the
// response, never at idle_timeout (60 s here).
#include <csignal>

#include "tests/integration/support.h"

namespace faultline::harness {
namespace {

// Far beyond every bound below: a connection left open shows up as a timeout, not a pass.
constexpr Millis kEofWithin{1000};

std::string experiment(const std::string& name, const std::string& fault_lines) {
  return "\n[[experiments]]\nname = \"" + name + "\"\n[[experiments.faults]]\n" + fault_lines +
         "\n";
}

// After a complete response: the next thing the client sees is EOF, soon.
void expect_eof_soon(RawClient& client, const HttpResponse& r) {
  ASSERT_TRUE(r.complete()) << r;
  EXPECT_TRUE(r.head.has_token("connection", "close")) << r;
  auto start = Clock::now();
  auto io = client.wait_for_activity(5s);
  EXPECT_EQ(io, IoStatus::kEof) << to_string(io);
  EXPECT_LT(elapsed_ms(start), kEofWithin.count()) << "the connection stayed open";
}

class HttpSessionClose : public ::testing::Test {
 protected:
  HttpUpstream up;
};

TEST_F(HttpSessionClose, HeaderAbortWithConnectionCloseClosesAtOnce) {
  START_PROXY(proxy, http_config(up.address(), "", header_triggers()));
  RawClient client(proxy.listener("main"));
  auto r = client.request(get_request("/", {{"x-chaos-abort", "503"}, {"Connection", "close"}}));
  EXPECT_EQ(r.status(), 503);
  expect_eof_soon(client, r);
}

TEST_F(HttpSessionClose, ConfiguredAbortForHttp10WithoutKeepAliveClosesAtOnce) {
  START_PROXY(proxy,
              http_config(up.address(), "", experiment("down", "type = \"abort\"\nstatus = 503")));
  RawClient client(proxy.listener("main"));
  auto r = client.request("GET / HTTP/1.0\r\nHost: x\r\n\r\n");
  EXPECT_EQ(r.status(), 503);
  expect_eof_soon(client, r);
}

TEST_F(HttpSessionClose, AbortOfARequestWhoseBodyIsNotSentClosesAtOnce) {
  // Expect: 100-continue and no body: the abort answers without reading it, so the
  // connection cannot carry another request.
  START_PROXY(proxy, http_config(up.address(), "", header_triggers()));
  RawClient client(proxy.listener("main"));
  auto r = client.request(
      "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n"
      "Expect: 100-continue\r\nx-chaos-abort: 413\r\n\r\n");
  EXPECT_EQ(r.status(), 413);
  expect_eof_soon(client, r);
}

TEST_F(HttpSessionClose, AbortOfARequestWhoseAnnouncedBodyNeverComesEndsAtIdleTimeout) {
  // Without Expect the body is discarded to keep the connection; a client that never sends
  // it must not hold the connection forever (no timer ran while discarding).
  START_PROXY(proxy, http_config(up.address(), "idle_timeout = \"500ms\"\n", header_triggers()));
  RawClient client(proxy.listener("main"));
  auto r = client.request(
      "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n"
      "x-chaos-abort: 503\r\n\r\n");
  ASSERT_TRUE(r.complete()) << r;
  EXPECT_EQ(r.status(), 503);
  auto io = client.wait_for_activity(10s);
  EXPECT_EQ(io, IoStatus::kEof) << to_string(io);
}

TEST_F(HttpSessionClose, AbortOfARequestWithItsBodyKeepsTheConnection) {
  START_PROXY(proxy, http_config(up.address(), "", header_triggers()));
  RawClient client(proxy.listener("main"));
  auto r = client.request(make_request("POST", "/a", {{"x-chaos-abort", "503"}}, "some body"));
  ASSERT_TRUE(r.complete()) << r;
  EXPECT_EQ(r.status(), 503);
  EXPECT_FALSE(r.head.has_token("connection", "close"));
  auto ok = client.request(get_request("/fine"));
  ASSERT_TRUE(ok.complete()) << ok;
  EXPECT_EQ(ok.status(), 200);
}

TEST_F(HttpSessionClose, BadChaosHeaderClosesAtOnce) {
  START_PROXY(proxy, http_config(up.address(), "", header_triggers()));
  RawClient client(proxy.listener("main"));
  auto r = client.request(get_request("/", {{"x-chaos-delay", "abc"}}));
  EXPECT_EQ(r.status(), 400);
  expect_eof_soon(client, r);
}

TEST_F(HttpSessionClose, MalformedAndOversizedRequestsCloseAtOnce) {
  START_PROXY(proxy, http_config(up.address(), "max_header_bytes = \"1KiB\"\n"));
  {
    RawClient client(proxy.listener("main"));
    auto r = client.request("GET / HTTP/1.1\r\nHost x\r\n\r\n");
    EXPECT_EQ(r.status(), 400);
    expect_eof_soon(client, r);
  }
  RawClient client(proxy.listener("main"));
  auto r = client.request(get_request("/", {{"x-big", std::string(4096, 'a')}}));
  EXPECT_EQ(r.status(), 431);
  expect_eof_soon(client, r);
}

TEST_F(HttpSessionClose, UpstreamFailuresCloseAtOnce) {
  {
    START_PROXY(proxy, http_config(closed_port_address()));
    RawClient client(proxy.listener("main"));
    auto r = client.request(get_request("/"));
    EXPECT_EQ(r.status(), 502);
    expect_eof_soon(client, r);
  }
  up.route("/slow", handlers::delayed(3s, handlers::fixed(200, "late")));
  START_PROXY(proxy, http_config(up.address(), "response_timeout = \"300ms\"\n"));
  RawClient client(proxy.listener("main"));
  auto r = client.request(get_request("/slow"));
  EXPECT_EQ(r.status(), 504);
  expect_eof_soon(client, r);
}

TEST_F(HttpSessionClose, CloseDelimitedUpstreamResponseClosesAtOnce) {
  up.route("/eof", [](Exchange& ex) {
    ex.read_body();
    ex.send("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end");
    ex.close_after();
  });
  START_PROXY(proxy, http_config(up.address()));
  RawClient client(proxy.listener("main"));
  auto r = client.request(get_request("/eof"));
  EXPECT_EQ(r.body, "until the end");
  ASSERT_TRUE(r.complete()) << r;  // framed by the close itself
  EXPECT_TRUE(r.head.has_token("connection", "close"));
}

TEST_F(HttpSessionClose, ClientConnectionCloseOnARelayedResponseClosesAtOnce) {
  up.set_default(handlers::fixed(200, "ok"));
  START_PROXY(proxy, http_config(up.address()));
  RawClient client(proxy.listener("main"));
  auto r = client.request(get_request("/", {{"Connection", "close"}}));
  EXPECT_EQ(r.status(), 200);
  expect_eof_soon(client, r);
}

TEST_F(HttpSessionClose, DrainClosesAnIdleKeepAliveConnectionAtOnce) {
  up.set_default(handlers::fixed(200, "ok"));
  START_PROXY(proxy, http_config(up.address()));
  RawClient client(proxy.listener("main"));
  auto r = client.request(get_request("/"));
  ASSERT_TRUE(r.complete()) << r;
  auto start = Clock::now();
  proxy.signal(SIGTERM);
  auto io = client.wait_for_activity(5s);
  EXPECT_EQ(io, IoStatus::kEof) << to_string(io);
  EXPECT_LT(elapsed_ms(start), kEofWithin.count());
}

}  // namespace
}  // namespace faultline::harness
