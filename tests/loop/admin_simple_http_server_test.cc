// SimpleHttpServer (the demo's upstream and the loop tests' one) bounds what a client can make
// it hold: an oversized request head is a 431 and a close, and a client that pipelines without
// reading the answers still gets every answer once it reads (reading paused, then resumed).
#include <gtest/gtest.h>

#include <string>

#include "tests/loop/admin_live_server.h"
#include "tests/loop/loop_support.h"

namespace faultline::proxy {
namespace {

TEST(SimpleHttpServerLoop, OversizedHeadIs431AndClose) {
  Upstream upstream;
  admin::testing::RawClient c(upstream.port());
  ASSERT_TRUE(c.connected());
  const std::string big(SimpleHttpServer::kMaxHead + 1024, 'a');
  c.send("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + big + "\r\n\r\n");
  EXPECT_EQ(c.read_response().status, 431);
  EXPECT_TRUE(c.closed_by_peer());
}

// An empty header name (first header or not: a value without a name used to be appended to
// no header at all) and obs-fold (also of an empty value) are 400, as in the proxy.
TEST(SimpleHttpServerLoop, EmptyHeaderNameAndObsFoldAre400AndClose) {
  Upstream upstream;
  for (const std::string& head : {std::string("GET / HTTP/1.1\r\n: v\r\nHost: x\r\n\r\n"),
                                  std::string("GET / HTTP/1.1\r\nHost: x\r\n: v\r\n\r\n"),
                                  std::string("GET / HTTP/1.1\r\nHost: x\r\nX:\r\n\tv\r\n\r\n"),
                                  std::string("GET / HTTP/1.1\r\nHost: x\r\nX: a\r\n b\r\n\r\n")}) {
    admin::testing::RawClient c(upstream.port());
    ASSERT_TRUE(c.send(head));
    EXPECT_EQ(c.read_response().status, 400) << head;
    EXPECT_TRUE(c.closed_by_peer()) << head;
  }
}

// A body that looks like a fold is only a body, and pipelined requests with bodies still work.
TEST(SimpleHttpServerLoop, FoldLikeBodiesArePlainBodies) {
  Upstream upstream;
  admin::testing::RawClient c(upstream.port());
  const std::string body = "a\r\n b\n\tc";
  const std::string post =
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
      body;
  ASSERT_TRUE(c.send(post + post + "GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  for (const std::string& expected :
       {"POST / xff= body=" + std::to_string(body.size()),
        "POST / xff= body=" + std::to_string(body.size()), std::string("GET / xff= body=0")}) {
    auto r = c.read_response();
    EXPECT_EQ(r.status, 200) << expected;
    EXPECT_EQ(r.body, expected);
  }
}

TEST(SimpleHttpServerLoop, PipelinedRequestsAreAllAnsweredUnderBackPressure) {
  Upstream upstream;
  admin::testing::RawClient c(upstream.port());
  std::string burst;
  constexpr int kRequests = 200;  // well past the pending-write bound
  for (int i = 0; i < kRequests; ++i) burst += "GET /big/20000 HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_TRUE(c.send(burst));
  for (int i = 0; i < kRequests; ++i) {
    auto r = c.read_response();
    ASSERT_EQ(r.status, 200) << i;
    ASSERT_EQ(r.body.size(), 20000u) << i;
  }
}

}  // namespace
}  // namespace faultline::proxy
