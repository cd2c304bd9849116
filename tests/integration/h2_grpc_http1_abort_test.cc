// SPEC §8 gRPC aborts for requests that arrive over HTTP/1.1: HTTP/1.1 has trailers only in
// chunked bodies, so (as Envoy answers) the status goes in the headers of an empty HTTP 200
// with content-type application/grpc. Non-gRPC requests matched by the same abort get 200 with
// the message as body.
#include "tests/integration/support.h"

namespace faultline::harness {
namespace {

const std::string kGrpcAbort = R"([[experiments]]
name = "grpc-down"
[experiments.match]
paths = ["/pkg.Svc/*"]
[[experiments.faults]]
type = "abort"
grpc_status = 14
grpc_message = "down 100%"
)";

std::string grpc_request(const std::string& path, std::vector<Header> extra = {}) {
  extra.push_back({"Content-Type", "application/grpc+proto"});
  extra.push_back({"TE", "trailers"});
  return make_request("POST", path, extra, std::string("\0\0\0\0\0", 5));
}

TEST(H2GrpcOverHttp1, AbortIsATrailersOnlyStyle200) {
  HttpUpstream up;
  START_PROXY(proxy, http_config(up.address(), "", kGrpcAbort));
  auto r = one_request(proxy.listener("main"), grpc_request("/pkg.Svc/Call"));
  ASSERT_TRUE(r.complete()) << r;
  EXPECT_EQ(r.status(), 200) << r;
  ASSERT_TRUE(r.head.has("grpc-status")) << r;
  EXPECT_EQ(*r.head.find("grpc-status"), "14");
  ASSERT_TRUE(r.head.has("grpc-message")) << r;
  EXPECT_EQ(*r.head.find("grpc-message"), "down 100%25");  // percent-encoded (gRPC spec)
  ASSERT_TRUE(r.head.has("content-type"));
  EXPECT_EQ(*r.head.find("content-type"), "application/grpc");
  ASSERT_TRUE(r.head.has("content-length"));
  EXPECT_EQ(*r.head.find("content-length"), "0");
  EXPECT_EQ(r.body_bytes, 0u);
  EXPECT_TRUE(r.head.has("x-chaos-injected")) << r;
  EXPECT_EQ(up.requests_seen(), 0u) << "an aborted gRPC call was forwarded";
}

TEST(H2GrpcOverHttp1, PlainRequestGets200WithTheMessage) {
  HttpUpstream up;
  START_PROXY(proxy, http_config(up.address(), "", kGrpcAbort));
  auto r = one_request(proxy.listener("main"), get_request("/pkg.Svc/Call"));
  ASSERT_TRUE(r.complete()) << r;
  EXPECT_EQ(r.status(), 200) << r;
  EXPECT_FALSE(r.head.has("grpc-status")) << r;
  EXPECT_EQ(r.body, "down 100%\n");
  EXPECT_EQ(up.requests_seen(), 0u);
}

TEST(H2GrpcOverHttp1, HeaderTriggerAbortsAGrpcCall) {
  HttpUpstream up;
  START_PROXY(proxy, http_config(up.address(), "", header_triggers()));
  auto r = one_request(proxy.listener("main"),
                       grpc_request("/pkg.Svc/Call", {{"x-chaos-grpc-status", "8"},
                                                      {"x-chaos-grpc-message", "slow down"}}));
  ASSERT_TRUE(r.complete()) << r;
  EXPECT_EQ(r.status(), 200) << r;
  ASSERT_TRUE(r.head.has("grpc-status")) << r;
  EXPECT_EQ(*r.head.find("grpc-status"), "8");
  ASSERT_TRUE(r.head.has("grpc-message")) << r;
  EXPECT_EQ(*r.head.find("grpc-message"), "slow down");
  EXPECT_EQ(up.requests_seen(), 0u);
}

// An abort with only an HTTP status: the same empty 200 with grpc-status mapped as Envoy
// maps its local replies, and the body as grpc-message; a plain request gets the status.
TEST(H2GrpcOverHttp1, AnHttpAbortOnAGrpcCallIsTheMappedGrpcStatus) {
  HttpUpstream up;
  START_PROXY(proxy,
              http_config(up.address(), "", http_abort_triggers(R"(paths = ["/pkg.Svc/Down"])")));
  struct Case {
    std::string request;
    std::string grpc_status;
    std::string grpc_message;
  };
  const Case cases[] = {
      {grpc_request("/pkg.Svc/Down"), "14", "service down"},
      {grpc_request("/pkg.Svc/Call", {{"x-chaos-abort", "404"}}), "12", ""},
      {grpc_request("/pkg.Svc/Call", {{"x-envoy-fault-abort-request", "403"}}), "7",
       "fault filter abort"},
  };
  for (const Case& c : cases) {
    auto r = one_request(proxy.listener("main"), c.request);
    ASSERT_TRUE(r.complete()) << r;
    EXPECT_EQ(r.status(), 200) << r;
    ASSERT_TRUE(r.head.has("grpc-status")) << r;
    EXPECT_EQ(*r.head.find("grpc-status"), c.grpc_status) << r;
    ASSERT_TRUE(r.head.has("grpc-message")) << r;
    if (!c.grpc_message.empty()) {
      EXPECT_EQ(*r.head.find("grpc-message"), c.grpc_message) << r;
    }
    EXPECT_EQ(*r.head.find("content-type"), "application/grpc") << r;
    EXPECT_EQ(r.body_bytes, 0u) << r;
  }
  auto plain = one_request(proxy.listener("main"), get_request("/pkg.Svc/Down"));
  EXPECT_EQ(plain.status(), 503) << plain;
  EXPECT_EQ(plain.body, "service down");
  EXPECT_EQ(up.requests_seen(), 0u);
}

TEST(H2GrpcOverHttp1, BadGrpcStatusHeaderIsInvalidArgumentForGrpcAnd400Otherwise) {
  HttpUpstream up;
  START_PROXY(proxy, http_config(up.address(), "", header_triggers()));
  auto r = one_request(proxy.listener("main"),
                       grpc_request("/pkg.Svc/Call", {{"x-chaos-grpc-status", "99"}}));
  ASSERT_TRUE(r.complete()) << r;
  EXPECT_EQ(r.status(), 200) << r;
  ASSERT_TRUE(r.head.has("grpc-status")) << r;
  EXPECT_EQ(*r.head.find("grpc-status"), "3");
  ASSERT_TRUE(r.head.has("grpc-message")) << r;
  EXPECT_NE(r.head.find("grpc-message")->find("x-chaos-grpc-status"), std::string::npos) << r;

  auto plain = one_request(proxy.listener("main"),
                           get_request("/pkg.Svc/Call", {{"x-chaos-grpc-status", "99"}}));
  EXPECT_EQ(plain.status(), 400) << plain;
  EXPECT_EQ(up.requests_seen(), 0u);
}

}  // namespace
}  // namespace faultline::harness
