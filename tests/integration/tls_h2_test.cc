// HTTP/2 over TLS (SPEC §8, §9): ALPN h2 on a TLS listener picks the HTTP/2 session, http/1.1
// (or no ALPN) the HTTP/1.1 session on the same port; HTTP/2 upstream connections originate
// TLS with ALPN h2 (name verification as for HTTP/1.1: a wrong name is a 502 and a log line);
// match.sni selects request faults on TLS listeners, for HTTP/1.1 and HTTP/2 alike. Real
// clients: openssl s_client, curl --http2, nghttp, python3-grpcio with TLS credentials, and
// the python3-grpcio upstream (h2c, or TLS).
#include <signal.h>

#include "tests/integration/h2_support.h"
#include "tests/integration/tls_support.h"

namespace faultline::harness {
namespace {

class TlsH2 : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(pki_.ok()) << pki_.error(); }
  // A TLS listener (ALPN default: h2, http/1.1) in front of `upstream`; `tables` go after
  // [listeners.tls] (e.g. [listeners.upstream_tls]).
  std::string config(const std::string& upstream, const std::string& tables = "",
                     const std::string& tail = "") {
    return http_config(upstream, tls_table(pki_.cert(), pki_.key()) + tables, tail);
  }
  std::string upstream_tls(const std::string& server_name) {
    return "\n[listeners.upstream_tls]\nenabled = true\nserver_name = \"" + server_name +
           "\"\nca_file = \"" + pki_.ca() + "\"\n";
  }
  static std::string port(const ProxyProcess& proxy) {
    return std::to_string(proxy.listener("main").port);
  }
  // curl to https://HOST:PORT/PATH, HOST resolving to 127.0.0.1, trusting the test CA (or
  // not verifying, for names the certificate does not carry).
  std::string curl(const ProxyProcess& proxy, const std::string& more,
                   const std::string& host = "localhost",
                   const std::string& path = "/test.Echo/Unary") {
    const std::string p = port(proxy);
    return "curl -sS --max-time 20 " +
           (host == "localhost" ? "--cacert " + q(pki_.ca()) : std::string("-k")) + " --resolve " +
           host + ":" + p + ":127.0.0.1 " + more + " https://" + host + ":" + p + path;
  }
  // A gRPC unary call by curl: one 2-byte message, the response head on stdout.
  // A gRPC call by curl; `with_body = false` sends none (HEADERS end the request), for calls a
  // fault answers at once: curl 7.88 reports an upload that the answer's RST_STREAM(NO_ERROR)
  // stops (RFC 9113 §8.1) as error 92 and prints nothing.
  std::string curl_grpc(const ProxyProcess& proxy, const std::string& host = "localhost",
                        bool with_body = true) {
    const std::string body = dir_.write("req.bin", std::string("\0\0\0\0\2hi", 7));
    return curl(proxy,
                "--http2 -D - -o /dev/null -H 'content-type: application/grpc' -H "
                "'te: trailers' " +
                    (with_body ? "--data-binary @" + q(body) : std::string("-X POST")),
                host);
  }
  double metric(const ProxyProcess& proxy, const std::string& series) {
    return metric_value(admin_get(proxy, "/metrics").body, series);
  }
  GrpcTls grpc_tls() const { return {pki_.ca()}; }

  TestPki pki_;
  TempDir dir_;
};

// openssl s_client offering both gets h2; offering http/1.1 gets it and an HTTP/1.1 answer
// on the same listener.
TEST_F(TlsH2, OpensslSeesH2SelectedAndHttp11StillServed) {
  START_GRPC_UPSTREAM(upstream);
  START_PROXY(proxy, config(upstream.dual_address()));
  const std::string s_client = "openssl s_client -connect 127.0.0.1:" + port(proxy) +
                               " -servername localhost -CAfile " + q(pki_.ca()) +
                               " -verify_return_error";
  auto h2 = run_shell(s_client + " -alpn h2,http/1.1 </dev/null 2>&1");
  EXPECT_NE(h2.out.find("ALPN protocol: h2\n"), std::string::npos) << h2.out;
  EXPECT_NE(h2.out.find("Verify return code: 0 (ok)"), std::string::npos) << h2.out;

  auto h1 = run_shell(
      "printf 'GET /plain HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n' | " +
      s_client + " -alpn http/1.1 -ign_eof 2>&1");
  EXPECT_NE(h1.out.find("ALPN protocol: http/1.1"), std::string::npos) << h1.out;
  EXPECT_NE(h1.out.find("HTTP/1.1 200"), std::string::npos) << h1.out;
  EXPECT_NE(h1.out.find("http1 ok"), std::string::npos) << h1.out;
}

// curl --http2, nghttp and curl --http1.1 on one TLS listener, in front of an upstream that
// speaks both versions (h2c and HTTP/1.1).
TEST_F(TlsH2, CurlNghttpAndHttp11ShareOneTlsListener) {
  START_GRPC_UPSTREAM(upstream);
  START_PROXY(proxy, config(upstream.dual_address()));
  auto h2 = run_shell(curl_grpc(proxy) + " -w 'version=%{http_version}\\n'");
  ASSERT_TRUE(exited_ok(h2)) << h2.err;
  EXPECT_NE(h2.out.find("HTTP/2 200"), std::string::npos) << h2.out;
  EXPECT_NE(h2.out.find("grpc-status: 0"), std::string::npos) << h2.out;
  EXPECT_NE(h2.out.find("version=2\n"), std::string::npos) << h2.out;

  // nghttp over TLS (it offers h2 only): the frames of a gRPC exchange.
  const std::string body = dir_.write("nghttp.bin", std::string("\0\0\0\0\3abc", 8));
  auto ng = run_capture(
      {"nghttp", "-v", "-H", ":method: POST", "-H", "content-type: application/grpc", "-H",
       "te: trailers", "-d", body, "https://127.0.0.1:" + port(proxy) + "/test.Echo/Unary"},
      60);
  EXPECT_NE(ng.find("The negotiated protocol: h2"), std::string::npos) << ng;
  EXPECT_NE(ng.find(":status: 200"), std::string::npos) << ng;
  EXPECT_NE(ng.find("grpc-status: 0"), std::string::npos) << ng;
  EXPECT_NE(ng.find("x-trailer: unary"), std::string::npos) << ng;

  auto h1 = run_shell(curl(proxy, "--http1.1 -w ' version=%{http_version}'", "localhost", "/x"));
  ASSERT_TRUE(exited_ok(h1)) << h1.err;
  EXPECT_EQ(h1.out, "http1 ok version=1.1");
  EXPECT_EQ(metric(proxy, "faultline_tls_handshakes_total{listener=\"main\",result=\"ok\"}"), 3);
}

// gRPC with TLS credentials through the TLS listener to an h2c upstream: unary (1 MiB) and
// server-streaming responses identical to the direct call, trailers included.
TEST_F(TlsH2, GrpcOverTlsIsByteIdentical) {
  START_GRPC_UPSTREAM(upstream);
  START_PROXY(proxy, config(upstream.address()));
  const GrpcTls tls = grpc_tls();
  auto echo = grpc_call(proxy.listener("main"), {"echo", std::to_string(1 << 20)}, 120, &tls);
  EXPECT_EQ(echo["code"], "OK") << echo.dump();
  EXPECT_EQ(echo["same"], true) << echo.dump();
  EXPECT_EQ(echo["trailers"]["x-trailer"], "unary") << echo.dump();

  auto direct = grpc_call(upstream.endpoint(), {"stream", "40", "30000"});
  auto relayed = grpc_call(proxy.listener("main"), {"stream", "40", "30000"}, 120, &tls);
  ASSERT_EQ(direct["code"], "OK") << direct.dump();
  EXPECT_EQ(relayed["code"], "OK") << relayed.dump().substr(0, 500);
  ASSERT_EQ(relayed["messages"].size(), 40u);
  EXPECT_TRUE(relayed["messages"] == direct["messages"]) << "a streamed message differs";
  EXPECT_EQ(relayed["trailers"]["x-trailer"], "stream");
  EXPECT_GE(metric(proxy, "faultline_tls_handshakes_total{listener=\"main\",result=\"ok\"}"), 2);
}

TEST_F(TlsH2, GrpcAbortOverTlsIsTheGrpcStatus) {
  START_GRPC_UPSTREAM(upstream);
  START_PROXY(proxy,
              config(upstream.address(), "",
                     experiment("denied", "paths = [\"/test.Echo/*\"]",
                                "type = \"abort\"\ngrpc_status = 7\ngrpc_message = \"nope\"")));
  const GrpcTls tls = grpc_tls();
  auto r = grpc_call(proxy.listener("main"), {"unary", "0102"}, 120, &tls);
  EXPECT_EQ(r["code"], "PERMISSION_DENIED") << r.dump();
  EXPECT_EQ(r["details"], "nope") << r.dump();
}

// [listeners.upstream_tls] with an HTTP/2 request: ALPN h2 to a gRPC upstream serving TLS,
// verified against server_name; TLS on both sides, one upstream handshake per client
// connection, and a repeat connection resumes the upstream session.
TEST_F(TlsH2, UpstreamHttp2OverTls) {
  START_GRPC_UPSTREAM(upstream, pki_.cert(), pki_.key());
  START_PROXY(proxy, config(upstream.address(), upstream_tls("localhost")));
  const GrpcTls tls = grpc_tls();
  auto echo = grpc_call(proxy.listener("main"), {"echo", std::to_string(256 << 10)}, 120, &tls);
  EXPECT_EQ(echo["code"], "OK") << echo.dump();
  EXPECT_EQ(echo["same"], true) << echo.dump();
  auto stream = grpc_call(proxy.listener("main"), {"stream", "10", "1000"}, 120, &tls);
  EXPECT_EQ(stream["code"], "OK") << stream.dump().substr(0, 500);
  EXPECT_EQ(stream["messages"].size(), 10u);
  auto h2 = run_shell(curl_grpc(proxy));
  EXPECT_NE(h2.out.find("HTTP/2 200"), std::string::npos) << h2.out << h2.err;
  EXPECT_NE(h2.out.find("grpc-status: 0"), std::string::npos) << h2.out;
  EXPECT_EQ(
      metric(proxy, "faultline_upstream_tls_handshakes_total{listener=\"main\",result=\"ok\"}"), 3);
  EXPECT_GE(metric(proxy, "faultline_upstream_tls_resumed_total{listener=\"main\"}"), 1);
}

TEST_F(TlsH2, UpstreamHttp2WithAWrongNameIs502AndSaysWhy) {
  START_GRPC_UPSTREAM(upstream, pki_.cert(), pki_.key());
  START_PROXY(proxy, config(upstream.address(), upstream_tls("wrong.example")));
  auto h2 = run_shell(curl(proxy, "--http2 -D - -o /dev/null", "localhost", "/"));
  EXPECT_NE(h2.out.find("HTTP/2 502"), std::string::npos) << h2.out << h2.err;
  const GrpcTls tls = grpc_tls();
  auto r = grpc_call(proxy.listener("main"), {"unary", "0102"}, 120, &tls);
  EXPECT_EQ(r["code"], "UNAVAILABLE") << r.dump();
  EXPECT_TRUE(eventually([&] {
    const std::string err = proxy.stderr_text();
    return err.find("certificate verification failed") != std::string::npos &&
           err.find("wrong.example") != std::string::npos;
  })) << proxy.stderr_text();
  EXPECT_EQ(
      metric(proxy, "faultline_upstream_tls_handshakes_total{listener=\"main\",result=\"error\"}"),
      2);
}

// An upstream whose TLS does not agree on h2 (openssl s_server, no ALPN): HTTP/2 is not
// spoken to it; the request gets 502 and the log says why.
TEST_F(TlsH2, UpstreamThatDoesNotPickH2Is502AndSaysWhy) {
  const std::string out = dir_.path() + "/s_server.out";
  pid_t server = spawn_process({"/usr/bin/openssl", "s_server", "-accept", "127.0.0.1:0", "-cert",
                                pki_.cert(), "-key", pki_.key(), "-www"},
                               {}, out, dir_.path() + "/s_server.err");
  KillOnExit reaper{server};
  std::string address;
  eventually([&] {
    const std::string text = read_file(out);
    const size_t at = text.find("ACCEPT ");
    const size_t end = text.find('\n', at);
    if (at == std::string::npos || end == std::string::npos) return false;
    address = text.substr(at + 7, end - at - 7);
    return true;
  });
  ASSERT_FALSE(address.empty()) << read_file(out);
  START_PROXY(proxy, config(address, upstream_tls("localhost")));
  auto h2 = run_shell(curl(proxy, "--http2 -D - -o /dev/null", "localhost", "/"));
  EXPECT_NE(h2.out.find("HTTP/2 502"), std::string::npos) << h2.out << h2.err;
  EXPECT_TRUE(eventually([&] {
    return proxy.stderr_text().find("did not agree on HTTP/2") != std::string::npos;
  })) << proxy.stderr_text();

  // An HTTP/1.1 client with upstream_protocol = "http2" gets the same.
  START_PROXY(h1_proxy,
              http_config(address, "upstream_protocol = \"http2\"\n" + upstream_tls("localhost")));
  RawClient client(h1_proxy.listener("main"));
  auto r = client.request("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
  EXPECT_EQ(r.head.status, 502);
  EXPECT_TRUE(eventually([&] {
    return h1_proxy.stderr_text().find("did not agree on HTTP/2") != std::string::npos;
  })) << h1_proxy.stderr_text();
}

// upstream_protocol = "http2" with [listeners.upstream_tls]: an HTTP/1.1 client's gRPC call
// crosses to a TLS upstream that speaks only HTTP/2 (ALPN h2), its trailers in the last chunk;
// keep-alive requests reuse the one upstream handshake.
TEST_F(TlsH2, Http1ClientsReachAnHttp2UpstreamOverTls) {
  START_GRPC_UPSTREAM(upstream, pki_.cert(), pki_.key());
  START_PROXY(proxy, http_config(upstream.address(), "upstream_protocol = \"http2\"\n" +
                                                         tls_table(pki_.cert(), pki_.key()) +
                                                         upstream_tls("localhost")));
  const std::string body = dir_.write("req.bin", std::string("\0\0\0\0\2hi", 7));
  const std::string call =
      "--http1.1 -D - -o /dev/null -H 'content-type: application/grpc' -H "
      "'te: trailers' --data-binary @" +
      q(body);
  auto r = run_shell(curl(proxy, call + " " + call.substr(call.find("-D")) +
                                     " https://localhost:" + port(proxy) + "/test.Echo/Unary"));
  ASSERT_TRUE(exited_ok(r)) << r.err;
  EXPECT_NE(r.out.find("HTTP/1.1 200"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("transfer-encoding: chunked"), std::string::npos) << r.out;
  size_t at = r.out.find("grpc-status: 0");
  ASSERT_NE(at, std::string::npos) << r.out;
  EXPECT_NE(r.out.find("grpc-status: 0", at + 1), std::string::npos) << "two calls: " << r.out;
  EXPECT_NE(r.out.find("x-trailer: unary"), std::string::npos) << r.out;
  EXPECT_EQ(
      metric(proxy, "faultline_upstream_tls_handshakes_total{listener=\"main\",result=\"ok\"}"), 1);
}

// match.sni on a request fault: only requests whose connection asked for a matching name are
// aborted, over HTTP/1.1 and HTTP/2.
TEST_F(TlsH2, MatchSniSelectsRequestFaultsForBothVersions) {
  START_GRPC_UPSTREAM(upstream);
  START_PROXY(
      proxy, config(upstream.dual_address(), "",
                    experiment("api-down", "sni = [\"api.*\"]", "type = \"abort\"\nstatus = 503")));
  auto status_of = [&](const std::string& version, const std::string& host) {
    auto r = run_shell(curl(proxy, version + " -o /dev/null -w '%{http_code}'", host, "/x"));
    return r.out;
  };
  EXPECT_EQ(status_of("--http1.1", "api.example.com"), "503");
  EXPECT_EQ(status_of("--http1.1", "localhost"), "200");
  // A gRPC call: the HTTP abort arrives as the grpc-status Envoy maps 503 to (UNAVAILABLE).
  auto h2_matched = run_shell(curl_grpc(proxy, "api.example.com", false));
  EXPECT_NE(h2_matched.out.find("HTTP/2 200"), std::string::npos) << h2_matched.out;
  EXPECT_NE(h2_matched.out.find("grpc-status: 14"), std::string::npos) << h2_matched.out;
  EXPECT_NE(h2_matched.out.find("x-chaos-injected: abort"), std::string::npos) << h2_matched.out;
  auto h2_other = run_shell(curl_grpc(proxy, "localhost"));
  EXPECT_NE(h2_other.out.find("HTTP/2 200"), std::string::npos) << h2_other.out;
  EXPECT_NE(h2_other.out.find("grpc-status: 0"), std::string::npos) << h2_other.out;
}

}  // namespace
}  // namespace faultline::harness
