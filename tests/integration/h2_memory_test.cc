// HTTP/2 memory bound (SPEC §8, README "HTTP/2 and gRPC"): a large upload into an upstream that
// never reads holds at most the stream's window in the proxy, because a stream's window is
// given back to the client only once its bytes were forwarded; over HTTP/1.1 upstreams too, and
// a response nobody reads stops the upstream.
#include <future>
#include <iostream>

#include "h2_frames.h"
#include "h2_support.h"

namespace faultline::harness {
namespace {

// Uploads 64 MiB with curl (giving up after 6 s) through a proxy whose upstream reads nothing:
// curl gets most of it refused, and the proxy's RSS grows by far less than a buffering proxy's.
void expect_bounded_upload(const ProxyProcess& proxy) {
  TempDir dir;
  constexpr size_t kUpload = 64u << 20;
  const std::string file = dir.write("upload.bin", std::string(kUpload, 'u'));
  std::this_thread::sleep_for(300ms);
  const long baseline = rss_kib(proxy.pid());
  ASSERT_GT(baseline, 0);
  long peak = 0;
  std::string curl_out;
  {
    RssSampler rss(proxy.pid());
    auto upload = std::async(std::launch::async, [&] {
      return run_capture({"curl", "-s", "--http2-prior-knowledge", "--max-time", "6", "-T", file,
                          "-o", "/dev/null", "-w", "%{size_upload}",
                          "http://" + proxy.listener("main").str() + "/upload"},
                         30);
    });
    curl_out = upload.get();
    peak = rss.peak_kib();
  }
  // The upload did not get through (the upstream reads nothing): curl gave up with most of it
  // unsent, so the proxy was offered far more than it may hold.
  const uint64_t uploaded = std::strtoull(curl_out.c_str(), nullptr, 10);
  EXPECT_LT(uploaded, kUpload / 2) << curl_out;
  std::cout << "RSS baseline " << baseline << " KiB, peak " << peak << " KiB; curl uploaded "
            << uploaded << " of " << kUpload << " bytes\n";
  if (kRssBoundApplies) {
    // Worst case for one stream: its 64 KiB window plus the write queues; 16 MiB is slack for
    // the allocator, far below the 64 MiB a buffering proxy would hold.
    EXPECT_LT(peak - baseline, 16 * 1024) << "baseline " << baseline << " KiB, peak " << peak
                                          << " KiB, curl uploaded " << uploaded << " bytes";
  }
}

TEST(H2Memory, LargeUploadIntoAStuckUpstreamStaysBounded) {
  // An HTTP/2 upstream that says SETTINGS and then reads nothing: what the proxy forwards
  // stops at the upstream's stream window and the socket buffers.
  TcpUpstream stuck([](int fd, TcpUpstream& server) {
    const std::string settings = h2::frame(h2::kSettings, 0, 0, "");
    if (::send(fd, settings.data(), settings.size(), MSG_NOSIGNAL) < 0) return;
    server.sleep(Millis(30000));
  });
  START_PROXY(proxy, http_config(stuck.address(), "h2_initial_window = \"64KiB\""));
  expect_bounded_upload(proxy);
}

// The same over HTTP/1.1 (upstream_protocol = "http1"): the stream's window goes back to the
// client only as its bytes enter the upstream connection's write queue, which stops taking
// them past 64 KiB.
TEST(H2Memory, LargeUploadIntoAStuckHttp1UpstreamStaysBounded) {
  HttpUpstream stuck;
  stuck.set_default([](Exchange& ex) { ex.sleep(Millis(30000)); });
  START_PROXY(proxy, http_config(stuck.address(), "upstream_protocol = \"http1\""));
  expect_bounded_upload(proxy);
}

// And the other way: a 256 MiB response to an HTTP/2 client that reads nothing. The upstream
// connection is not read while the stream holds a window's worth, so the upstream gets to send
// only what the socket buffers take.
TEST(H2Memory, LargeDownloadToAStuckClientStaysBoundedOverHttp1) {
  HttpUpstream upstream;
  upstream.route("/", handlers::stream(256u << 20));
  START_PROXY(proxy, http_config(upstream.address(), "upstream_protocol = \"http1\""));
  RawClient client(proxy.listener("main"));
  ASSERT_TRUE(client.connected());
  ASSERT_EQ(client.send(std::string(h2::kPreface) + h2::frame(h2::kSettings, 0, 0, "") +
                        h2::post_headers(1, h2::kEndHeaders | h2::kEndStream)),
            IoStatus::kOk);
  std::this_thread::sleep_for(3s);  // reads nothing meanwhile
  const uint64_t sent = upstream.body_bytes_sent();
  std::cout << "upstream sent " << sent << " bytes to a client that reads nothing\n";
  EXPECT_GT(sent, 0u);
  // The client's 64 KiB window, the proxy's hold and four socket buffers on loopback.
  EXPECT_LT(sent, 48u << 20) << "the proxy kept reading a response nobody takes";
}

}  // namespace
}  // namespace faultline::harness
