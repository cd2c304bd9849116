// HTTP/2 memory bound (SPEC §8, README "HTTP/2 and gRPC"): a large upload into an upstream that
// never reads holds at most the stream's window in the proxy, because a stream's window is
// given back to the client only once its bytes were forwarded.
#include <future>
#include <iostream>

#include "h2_frames.h"
#include "h2_support.h"

namespace faultline::harness {
namespace {

TEST(H2Memory, LargeUploadIntoAStuckUpstreamStaysBounded) {
  // An HTTP/2 upstream that says SETTINGS and then reads nothing: what the proxy forwards
  // stops at the upstream's stream window and the socket buffers.
  TcpUpstream stuck([](int fd, TcpUpstream& server) {
    const std::string settings = h2::frame(h2::kSettings, 0, 0, "");
    if (::send(fd, settings.data(), settings.size(), MSG_NOSIGNAL) < 0) return;
    server.sleep(Millis(30000));
  });
  START_PROXY(proxy, http_config(stuck.address(), "h2_initial_window = \"64KiB\""));
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

}  // namespace
}  // namespace faultline::harness
