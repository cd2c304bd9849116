// HTTP/2 clients in front of an HTTP/1.1 upstream (upstream_protocol = "http1", SPEC §8): each
// stream becomes an HTTP/1.1 request on the listener's upstream pool. curl and nghttp (from
// nghttp2-client) talk h2c to faultline; the harness's HTTP/1.1 server records what arrives.
#include <future>

#include "h2_support.h"

namespace faultline::harness {
namespace {

const std::string kHttp1 = "upstream_protocol = \"http1\"";

std::string url(const ProxyProcess& proxy, const std::string& path) {
  return "http://" + proxy.listener("main").str() + path;
}

// curl over h2c with prior knowledge; the output is what `args` ask for.
std::string curl_h2(std::vector<std::string> args, int timeout_s = 60) {
  std::vector<std::string> argv = {"curl", "-s", "--http2-prior-knowledge"};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_capture(argv, timeout_s);
}

// The request line and Host come from the pseudo-headers; connection-specific fields go neither
// way (curl refuses a response that carries them over HTTP/2); x-chaos-* is stripped.
TEST(H2Http1Upstream, HeadersAreConvertedBothWays) {
  HttpUpstream upstream;
  upstream.route("/echo", [](Exchange& ex) {
    ex.read_body();
    ex.respond(200, ex.request().body,
               {{"Connection", "keep-alive, x-hop"},
                {"Keep-Alive", "timeout=5"},
                {"x-hop", "1"},
                {"x-up", "yes"}});
  });
  START_PROXY(proxy, http_config(upstream.address(), kHttp1));
  const std::string out =
      curl_h2({"-D", "-", "-H", "x-chaos-delay: 5", "-H", "te: trailers", "-H", "cookie: a=1", "-H",
               "cookie: b=2", "--data-binary", "small body", url(proxy, "/echo?q=1")});
  EXPECT_NE(out.find("HTTP/2 200"), std::string::npos) << out;
  EXPECT_NE(out.find("x-up: yes"), std::string::npos) << out;
  EXPECT_EQ(out.find("keep-alive"), std::string::npos) << out;
  EXPECT_EQ(out.find("x-hop"), std::string::npos) << out;
  EXPECT_NE(out.find("\r\n\r\nsmall body"), std::string::npos) << out;

  auto seen = upstream.wait_for_request("/echo");
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(seen->head.method, "POST");
  EXPECT_EQ(seen->head.target, "/echo?q=1");
  EXPECT_EQ(seen->head.version, "HTTP/1.1");
  ASSERT_TRUE(seen->head.has("host"));
  EXPECT_EQ(*seen->head.find("host"), proxy.listener("main").str());
  EXPECT_FALSE(seen->head.has("x-chaos-delay"));
  ASSERT_TRUE(seen->head.has("te"));
  EXPECT_EQ(*seen->head.find("te"), "trailers");
  ASSERT_TRUE(seen->head.has("cookie"));
  EXPECT_EQ(*seen->head.find("cookie"), "a=1; b=2");
  EXPECT_EQ(seen->body, "small body");
}

// 1 MiB up and 1 MiB down, byte for byte, with the stream windows (64 KiB) released only as
// the bytes are forwarded.
TEST(H2Http1Upstream, OneMebibyteEachWayIsByteIdentical) {
  HttpUpstream upstream;
  upstream.route("/echo", handlers::echo_body());
  upstream.route("/download", handlers::stream(1 << 20));
  START_PROXY(proxy, http_config(upstream.address(), kHttp1));
  TempDir dir;
  const std::string body = pattern_string(1 << 20);
  const std::string file = dir.write("up.bin", body);
  const std::string echoed = curl_h2({"--data-binary", "@" + file, url(proxy, "/echo")});
  EXPECT_EQ(echoed.size(), body.size());
  EXPECT_TRUE(echoed == body) << "the echoed body differs";
  const std::string down = curl_h2({url(proxy, "/download")});
  EXPECT_EQ(down.size(), size_t{1} << 20);
  EXPECT_TRUE(down == pattern_string(1 << 20)) << "the downloaded body differs";
}

// A request body of unknown length (curl reading stdin sends no content-length) goes chunked;
// a chunked response's trailers arrive as HTTP/2 trailers (a HEADERS frame after the DATA).
TEST(H2Http1Upstream, ChunkedBodiesAndTrailersCrossTheVersions) {
  HttpUpstream upstream;
  upstream.route("/chunked", [](Exchange& ex) {
    ex.read_body();
    const std::string& body = ex.request().body;
    const std::string size = [&] {
      char hex[16];
      std::snprintf(hex, sizeof hex, "%zx", body.size());
      return std::string(hex);
    }();
    ex.send("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\ntrailer: x-length\r\n\r\n" + size +
            "\r\n" + body + "\r\n0\r\nx-length: " + std::to_string(body.size()) + "\r\n\r\n");
  });
  START_PROXY(proxy, http_config(upstream.address(), kHttp1));
  TempDir dir;
  const std::string body = pattern_string(300000);
  const std::string file = dir.write("up.bin", body);
  // No content-length: curl streams stdin.
  const std::string echoed =
      run_capture({"sh", "-c",
                   "cat " + shell_quote(file) + " | curl -s --http2-prior-knowledge -X POST -T - " +
                       shell_quote(url(proxy, "/chunked"))},
                  60);
  EXPECT_TRUE(echoed == body) << "the echoed body differs (" << echoed.size() << " bytes)";
  auto seen = upstream.wait_for_request("/chunked");
  ASSERT_TRUE(seen.has_value());
  EXPECT_TRUE(seen->head.has_token("transfer-encoding", "chunked"));
  EXPECT_FALSE(seen->head.has("content-length"));
  EXPECT_EQ(seen->body_bytes, body.size());

  // The trailers, as nghttp sees the frames.
  const std::string small = dir.write("small.bin", "abc");
  const std::string log = nghttp_frames(proxy.listener("main"), {"/chunked"}, {"-d", small});
  const size_t data = log.find("recv DATA frame");
  const size_t trailer = log.find("x-length: 3");
  ASSERT_NE(data, std::string::npos) << log;
  ASSERT_NE(trailer, std::string::npos) << log;
  EXPECT_GT(trailer, data) << "the trailer did not come after the body: " << log;
}

// Concurrent streams of one connection each get an upstream connection from the pool at once
// (eight 600 ms requests take about 600 ms, not 4.8 s), and the pool keeps them for the next.
TEST(H2Http1Upstream, ConcurrentStreamsShareThePool) {
  HttpUpstream upstream;
  upstream.route("/slow", handlers::delayed(Millis(600), handlers::fixed(200, "slow")));
  START_PROXY(proxy, http_config(upstream.address(), kHttp1));
  auto start = Clock::now();
  std::string log = nghttp_frames(proxy.listener("main"), {"/slow"}, {"-m", "8"});
  const long first_ms = elapsed_ms(start);
  size_t answers = 0;
  for (size_t at = log.find(":status: 200"); at != std::string::npos;
       at = log.find(":status: 200", at + 1))
    ++answers;
  EXPECT_EQ(answers, 8u) << log;
  EXPECT_GE(first_ms, 600);
  EXPECT_LT(first_ms, 3000) << "the streams were not relayed concurrently";
  const uint64_t opened = upstream.connections_accepted();
  EXPECT_GE(opened, 2u);
  EXPECT_LE(opened, 8u);

  log = nghttp_frames(proxy.listener("main"), {"/slow"}, {"-m", "8"});
  EXPECT_NE(log.find(":status: 200"), std::string::npos) << log;
  EXPECT_LE(upstream.connections_accepted(), 8u) << "pooled connections were not reused";
}

// Faults apply to converted streams as to any other: an abort never reaches the upstream, a
// latency holds only its stream.
TEST(H2Http1Upstream, FaultsStillApply) {
  HttpUpstream upstream;
  START_PROXY(
      proxy,
      http_config(upstream.address(), kHttp1,
                  path_experiment("broken", "/broken", "type = \"abort\"\nstatus = 503") +
                      path_experiment("late", "/late", "type = \"latency\"\ndelay = \"700ms\"")));
  const std::string broken = curl_h2({"-D", "-", "-o", "/dev/null", url(proxy, "/broken")});
  EXPECT_NE(broken.find("HTTP/2 503"), std::string::npos) << broken;
  EXPECT_NE(broken.find("x-chaos-injected: abort=503@broken"), std::string::npos) << broken;
  const std::string log = nghttp_frames(proxy.listener("main"), {"/late", "/fine"});
  const auto at =
      times_in(log, {"recv (stream_id=13) :status: 200", "recv (stream_id=15) :status: 200"});
  EXPECT_GE(at[0], 700) << log;
  EXPECT_LT(at[1], 500) << "the delayed stream held its neighbour: " << log;
  EXPECT_FALSE(upstream.wait_for_request("/broken", Millis(200)).has_value());
}

// A reset after response bytes cuts the stream (RST_STREAM CANCEL after 1000 bytes) and the
// upstream connection under it, which never goes back to the pool half-read: the next stream
// gets a whole response.
TEST(H2Http1Upstream, AResetMidResponseCutsTheStreamNotThePool) {
  HttpUpstream upstream;
  upstream.route("/cut", handlers::stream(1 << 20));
  upstream.route("/whole", handlers::stream(1 << 20));
  START_PROXY(proxy, http_config(upstream.address(), kHttp1,
                                 path_experiment("cut", "/cut",
                                                 "type = \"reset\"\nphase = \"response\"\n"
                                                 "after_bytes = 1000\ncode = \"cancel\"")));
  const std::string log = nghttp_frames(proxy.listener("main"), {"/cut"});
  EXPECT_NE(log.find("recv RST_STREAM frame <length=4, flags=0x00, stream_id=13>"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("error_code=CANCEL(0x08)"), std::string::npos) << log;
  const std::string whole = curl_h2({url(proxy, "/whole")});
  EXPECT_EQ(whole.size(), size_t{1} << 20);
  EXPECT_TRUE(whole == pattern_string(1 << 20)) << "the next stream's body differs";
}

// A pooled connection the upstream closes as the next request arrives on it (the keep-alive
// race every pool meets): the request goes again on a fresh connection and the client never
// sees it.
TEST(H2Http1Upstream, AStalePooledConnectionIsRetriedOnce) {
  TcpUpstream upstream([](int fd, TcpUpstream& server) {
    const bool first = server.connections_accepted() == 1;
    std::string buf;
    char piece[4096];
    for (int answered = 0;;) {
      ssize_t n = ::recv(fd, piece, sizeof piece, 0);
      if (n <= 0) return;
      buf.append(piece, static_cast<size_t>(n));
      for (size_t end; (end = buf.find("\r\n\r\n")) != std::string::npos;) {
        buf.erase(0, end + 4);
        if (first && answered == 1) return;  // closes instead of answering the second
        const std::string ok = "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
        if (::send(fd, ok.data(), ok.size(), MSG_NOSIGNAL) < 0) return;
        ++answered;
      }
    }
  });
  START_PROXY(proxy, http_config(upstream.address(), kHttp1));
  EXPECT_EQ(curl_h2({url(proxy, "/one")}), "ok");
  EXPECT_EQ(curl_h2({url(proxy, "/two")}), "ok");
  EXPECT_EQ(upstream.connections_accepted(), 2u) << "the pooled connection was not reused";
}

// An unreachable HTTP/1.1 upstream: 502 for HTTP, UNAVAILABLE for gRPC (as over HTTP/2).
TEST(H2Http1Upstream, UnreachableUpstreamIs502) {
  START_PROXY(proxy, http_config(closed_port_address(), kHttp1));
  const std::string out = curl_h2({"-D", "-", "-o", "/dev/null", url(proxy, "/x")});
  EXPECT_NE(out.find("HTTP/2 502"), std::string::npos) << out;
  auto grpc = grpc_call(proxy.listener("main"), {"unary", "01"});
  EXPECT_EQ(grpc["code"], "UNAVAILABLE") << grpc.dump();
}

}  // namespace
}  // namespace faultline::harness
