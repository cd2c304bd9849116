// HTTP/2 on an http listener (SPEC §8): h2c with prior knowledge and HTTP/1.1 on one port,
// gRPC unary and server-streaming calls relayed byte for byte with their trailers, real
// clients (python3-grpcio, nghttp, curl) against a real gRPC upstream.
#include "h2_support.h"

namespace faultline::harness {
namespace {

TEST(H2Passthrough, GrpcUnaryIsByteIdenticalWithTrailers) {
  START_GRPC_UPSTREAM(upstream);
  START_PROXY(proxy, http_config(upstream.address()));
  // 1 MiB: many DATA frames and many stream windows (64KiB) in each direction.
  auto r = grpc_call(proxy.listener("main"), {"echo", std::to_string(1 << 20)});
  EXPECT_EQ(r["code"], "OK") << r.dump();
  EXPECT_EQ(r["same"], true) << "response differs from the request: " << r.dump();
  EXPECT_EQ(r["size"], 1 << 20) << r.dump();
  EXPECT_EQ(r["trailers"]["x-trailer"], "unary") << r.dump();
}

TEST(H2Passthrough, GrpcServerStreamingMatchesTheDirectCall) {
  START_GRPC_UPSTREAM(upstream);
  START_PROXY(proxy, http_config(upstream.address()));
  auto direct = grpc_call(upstream.endpoint(), {"stream", "40", "30000"});
  auto relayed = grpc_call(proxy.listener("main"), {"stream", "40", "30000"});
  ASSERT_EQ(direct["code"], "OK") << direct.dump();
  EXPECT_EQ(relayed["code"], "OK") << relayed.dump().substr(0, 500);
  ASSERT_EQ(relayed["messages"].size(), 40u);
  EXPECT_TRUE(relayed["messages"] == direct["messages"]) << "a streamed message differs";
  EXPECT_EQ(relayed["trailers"]["x-trailer"], "stream");
}

// nghttp shows the frames: the response HEADERS, DATA, and the trailers with grpc-status 0.
TEST(H2Passthrough, NghttpSeesGrpcStatusZeroInTrailers) {
  START_GRPC_UPSTREAM(upstream);
  START_PROXY(proxy, http_config(upstream.address()));
  TempDir dir;
  // One gRPC message: flag 0, length 3, "abc".
  std::string body("\0\0\0\0\3abc", 8);
  auto file = dir.write("req.bin", body);
  auto out = run_capture(
      {"nghttp", "-v", "-H", ":method: POST", "-H", "content-type: application/grpc", "-H",
       "te: trailers", "-d", file, "http://" + proxy.listener("main").str() + "/test.Echo/Unary"},
      60);
  EXPECT_NE(out.find(":status: 200"), std::string::npos) << out;
  EXPECT_NE(out.find("grpc-status: 0"), std::string::npos) << out;
  EXPECT_NE(out.find("x-trailer: unary"), std::string::npos) << out;
  EXPECT_NE(out.find("recv DATA frame"), std::string::npos) << out;
}

// One port, both versions: curl with prior knowledge and a plain HTTP/1.1 request on the same
// listener, against an upstream that speaks both.
TEST(H2Passthrough, H2cAndHttp11ShareOnePort) {
  START_GRPC_UPSTREAM(upstream);
  START_PROXY(proxy, http_config(upstream.dual_address()));
  TempDir dir;
  auto file = dir.write("req.bin", std::string("\0\0\0\0\2hi", 7));
  auto h2 =
      run_capture({"curl", "-s", "--http2-prior-knowledge", "-D", "-", "-o", "/dev/null", "-H",
                   "content-type: application/grpc", "-H", "te: trailers", "--data-binary",
                   "@" + file, "http://" + proxy.listener("main").str() + "/test.Echo/Unary"},
                  60);
  EXPECT_NE(h2.find("HTTP/2 200"), std::string::npos) << h2;
  EXPECT_NE(h2.find("grpc-status: 0"), std::string::npos) << h2;

  auto h1 = one_request(proxy.listener("main"), get_request("/plain", {{"Host", "x"}}));
  EXPECT_EQ(h1.head.status, 200);
  EXPECT_EQ(h1.body, "http1 ok");

  // And a gRPC client after them, on the same port.
  auto r = grpc_call(proxy.listener("main"), {"unary", "0102"});
  EXPECT_EQ(r["code"], "OK") << r.dump();
}

// Upgrade: h2c through a proxy would be a tunnel no fault sees: not honoured, not forwarded.
TEST(H2Passthrough, UpgradeH2cIsNeitherHonouredNorForwarded) {
  START_GRPC_UPSTREAM(upstream);
  START_PROXY(proxy, http_config(upstream.dual_address()));
  auto r = one_request(proxy.listener("main"),
                       get_request("/up", {{"Host", "x"},
                                           {"Connection", "Upgrade, HTTP2-Settings"},
                                           {"Upgrade", "h2c"},
                                           {"HTTP2-Settings", "AAMAAABkAARAAAAAAAIAAAAA"}}));
  EXPECT_EQ(r.head.status, 200);
  ASSERT_NE(r.head.find("x-saw-upgrade"), nullptr);
  EXPECT_EQ(*r.head.find("x-saw-upgrade"), "none");

  // A curl that asks for the upgrade stays on HTTP/1.1.
  auto out = run_capture(
      {"curl", "-s", "-i", "--http2", "http://" + proxy.listener("main").str() + "/curl"}, 60);
  EXPECT_NE(out.find("HTTP/1.1 200"), std::string::npos) << out;
  EXPECT_EQ(out.find("101"), std::string::npos) << out;
  EXPECT_NE(out.find("x-saw-upgrade: none"), std::string::npos) << out;
}

}  // namespace
}  // namespace faultline::harness
