// Faults and timeouts that act on an HTTP/2 request body or connection (SPEC §7, §8): bandwidth
// on the upload (bytes over time on the upstream's clock, over either upstream version),
// slow_close holding a stream's end, and header_timeout closing a connection whose client never
// finishes its HEADERS.
#include <future>

#include "h2_frames.h"
#include "h2_support.h"

namespace faultline::harness {
namespace {

constexpr size_t kUpload = 256 * 1024;

const std::string kThrottledUpload = path_experiment(
    "slow-upload", "/upload", "type = \"bandwidth\"\nrate = \"64KiB/s\"\ndirection = \"upstream\"");

const char* kSlowClose = "type = \"slow_close\"\ndelay = \"800ms\"";

// curl uploading `kUpload` bytes to /upload (in the background; it gives up after 12 s).
std::future<std::string> upload(const ProxyProcess& proxy, const std::string& file) {
  const std::string to = "http://" + proxy.listener("main").str() + "/upload";
  return std::async(std::launch::async, [=] {
    return run_capture({"curl", "-s", "--http2-prior-knowledge", "--max-time", "12",
                        "--data-binary", "@" + file, to},
                       30);
  });
}

// Over HTTP/1.1: the upstream times its own reading of the body.
TEST(H2StreamLimits, UploadBandwidthOverHttp1) {
  HttpUpstream upstream;
  upstream.route("/upload", [](Exchange& ex) {
    const auto start = Clock::now();
    ex.read_body();
    ex.respond(200, "ms=" + std::to_string(elapsed_ms(start)) +
                        " bytes=" + std::to_string(ex.request().body_bytes));
  });
  START_PROXY(proxy,
              http_config(upstream.address(), "upstream_protocol = \"http1\"", kThrottledUpload));
  TempDir dir;
  const std::string answer = upload(proxy, dir.write("up.bin", pattern_string(kUpload))).get();
  const long ms =
      std::atol(answer.c_str() + std::min<size_t>(answer.find("ms=") + 3, answer.size()));
  EXPECT_NE(answer.find("bytes=" + std::to_string(kUpload)), std::string::npos) << answer;
  // 256 KiB at 64 KiB/s: 4 s, less the bucket's first burst.
  EXPECT_GE(ms, 2500) << answer;
  EXPECT_LT(ms, 10000) << answer;
}

// Over HTTP/2: a raw upstream that opens every window wide and counts what arrives.
TEST(H2StreamLimits, UploadBandwidthOverHttp2) {
  TcpUpstream upstream([](int fd, TcpUpstream& server) {
    // SETTINGS_INITIAL_WINDOW_SIZE = 16 MiB, and 16 MiB more on the connection.
    const std::string open_windows =
        h2::frame(h2::kSettings, 0, 0, std::string("\x00\x04\x01\x00\x00\x00", 6)) +
        h2::frame(8, 0, 0, std::string("\x01\x00\x00\x00", 4));
    if (::send(fd, open_windows.data(), open_windows.size(), MSG_NOSIGNAL) < 0) return;
    char buf[65536];
    for (;;) {
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return;
      server.count_received(static_cast<uint64_t>(n));
    }
  });
  START_PROXY(proxy, http_config(upstream.address(), "", kThrottledUpload));
  TempDir dir;
  const auto start = Clock::now();
  auto done = upload(proxy, dir.write("up.bin", pattern_string(kUpload)));
  std::this_thread::sleep_for(1200ms);
  const uint64_t early = upstream.bytes_received();
  EXPECT_LT(early, kUpload * 3 / 4) << "the upload was not throttled";
  ASSERT_TRUE(eventually([&] { return upstream.bytes_received() >= kUpload; }, 10s))
      << upstream.bytes_received() << " bytes arrived";
  EXPECT_GE(elapsed_ms(start), 2500);
  done.wait();
}

// slow_close on a stream: the body comes at once, the stream's end (END_STREAM) after the delay.
TEST(H2StreamLimits, SlowCloseHoldsTheStreamsEnd) {
  HttpUpstream upstream;
  upstream.route("/sc", handlers::fixed(200, "body"));
  START_PROXY(proxy, http_config(upstream.address(), "upstream_protocol = \"http1\"",
                                 path_experiment("linger", "/sc", kSlowClose)));
  const std::string log = nghttp_frames(proxy.listener("main"), {"/sc"});
  const auto at =
      times_in(log, {"recv DATA frame <length=4", "recv DATA frame <length=0, flags=0x01"});
  EXPECT_LT(at[0], 500) << "slow_close held the body: " << log;
  EXPECT_GE(at[1] - at[0], 700) << "the stream ended before the delay: " << log;
}

// A gRPC call under slow_close gets its status (in the trailers) after the delay.
TEST(H2StreamLimits, SlowCloseDelaysAGrpcStatus) {
  START_GRPC_UPSTREAM(upstream);
  START_PROXY(proxy, http_config(upstream.address(), "",
                                 path_experiment("linger", "/test.Echo/Unary", kSlowClose)));
  const auto start = Clock::now();
  auto r = grpc_call(proxy.listener("main"), {"unary", "0102"});
  EXPECT_EQ(r["code"], "OK") << r.dump();
  EXPECT_EQ(r["response"], "0102") << r.dump();
  EXPECT_GE(elapsed_ms(start), 800);
}

// header_timeout: HEADERS without END_HEADERS and no CONTINUATION. The connection gets a GOAWAY
// and closes after header_timeout, although idle_timeout is far off.
TEST(H2StreamLimits, UnfinishedHeadersAreClosedAfterHeaderTimeout) {
  HttpUpstream upstream;
  START_PROXY(proxy,
              http_config(upstream.address(), "header_timeout = \"1s\"\nidle_timeout = \"30s\""));
  RawClient client(proxy.listener("main"));
  ASSERT_TRUE(client.connected());
  const auto start = Clock::now();
  ASSERT_EQ(client.send(std::string(h2::kPreface) + h2::frame(h2::kSettings, 0, 0, "") +
                        h2::post_headers(1, /*flags=*/0)),
            IoStatus::kOk);
  auto frames = h2::read_frames(client, Millis(15000), [](const std::vector<h2::Frame>& f) {
    return f.back().type == h2::kGoaway;
  });
  const long ms = elapsed_ms(start);
  ASSERT_FALSE(frames.empty());
  EXPECT_EQ(frames.back().type, h2::kGoaway) << "no GOAWAY";
  EXPECT_GE(ms, 900);
  EXPECT_LT(ms, 5000);
  auto rest = client.read_until_close(5s);
  EXPECT_NE(rest.io, IoStatus::kTimeout) << "the connection stayed open after its GOAWAY";
  EXPECT_EQ(upstream.requests_seen(), 0u);
}

// header_timeout is about the request's header block only: a stream whose answer takes longer
// than it is answered.
TEST(H2StreamLimits, HeaderTimeoutDoesNotCutASlowResponse) {
  HttpUpstream upstream;
  upstream.route("/slow", handlers::delayed(Millis(1800), handlers::fixed(200, "late")));
  START_PROXY(proxy, http_config(upstream.address(),
                                 "upstream_protocol = \"http1\"\nheader_timeout = \"500ms\""));
  const std::string log = nghttp_frames(proxy.listener("main"), {"/slow"});
  EXPECT_NE(log.find(":status: 200"), std::string::npos) << log;
}

}  // namespace
}  // namespace faultline::harness
