// SimpleHttpServer (the demo's upstream and the loop tests' one) bounds what a client can make
// it hold: an oversized request head is a 431 and a close, and a client that pipelines without
// reading the answers still gets every answer once it reads (reading paused, then resumed).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

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

// The same head gets the same status however its bytes are split into reads: a bad byte
// within the raw head budget is a 400, a head that outgrows the budget is a 431 (the fuzzer
// saw 400 or 431 for one head; the span-counting budget moved with the reads).
TEST(SimpleHttpServerLoop, HeadVerdictDoesNotDependOnHowTheBytesAreSplit) {
  Upstream upstream;
  const size_t k = SimpleHttpServer::kMaxHead;
  struct Case {
    std::string head;
    int status;
  };
  const std::vector<Case> cases = {
      // A name outgrowing the budget, then a byte no name may hold ('@'): 431.
      {"GET / HTTP/1.1\r\nHost: x\r\nX-Big" + std::string(k + 10, 'a') + "@: v\r\n\r\n", 431},
      // The same bad byte well inside the budget: 400.
      {"GET / HTTP/1.1\r\nHost: x\r\nX-Big" + std::string(k - 1000, 'a') + "@: v\r\n\r\n", 400},
      // Many short fields: small as names and values, past the budget as bytes: 431.
      {"GET / HTTP/1.1\r\nHost: x\r\n" +
           [&] {
             std::string fields;
             while (fields.size() < k + 100) fields += "a:b\r\n";
             return fields;
           }() +
           "\r\n",
       431},
  };
  for (const Case& c : cases) {
    const std::string& head = c.head;
    // One write; two writes split in the middle; the first kilobytes at once, then the bytes
    // around the budget one by one.
    for (int mode = 0; mode < 3; ++mode) {
      admin::testing::RawClient client(upstream.port());
      ASSERT_TRUE(client.connected());
      if (mode == 0) {
        client.send(head);
      } else if (mode == 1) {
        const size_t half = head.size() / 2;
        client.send(head.substr(0, half));
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        client.send(head.substr(half));
      } else {
        const size_t first = std::min(head.size(), k - 2048);
        client.send(head.substr(0, first));
        for (size_t i = first; i < head.size() && i < k + 2048; ++i)
          if (!client.send(head.substr(i, 1))) break;  // the server has answered and closed
        if (head.size() > k + 2048) client.send(head.substr(k + 2048));
      }
      EXPECT_EQ(client.read_response().status, c.status)
          << "mode " << mode << ", head of " << head.size() << " bytes";
    }
  }
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
