// The memory fault (SPEC §12) seen in /proc: the proxy's RSS rises by the fault's size within
// its ramp, the gauge faultline_memory_stress_bytes says so, and the memory is given back on
// halt, pause and expiry.
#include "tests/integration/support.h"

namespace faultline::harness {
namespace {

constexpr long kMiBInKiB = 1024;
// Under AddressSanitizer the proxy's RSS also holds the shadow of what the fault maps (one byte
// per eight: 128 KiB per MiB), touched when ASan poisons and unpoisons the range around mmap and
// munmap and not given back at munmap. Release builds measure the fault's own pages only.
#if defined(__SANITIZE_ADDRESS__)
constexpr long kShadowKiBPerMiB = 128;
#else
constexpr long kShadowKiBPerMiB = 0;
#endif

HttpResponse admin_call(const ProxyProcess& proxy, std::string_view method, std::string_view path,
                        std::string_view body = {}) {
  std::vector<Header> headers{{"Connection", "close"}};
  if (!body.empty()) headers.push_back({"Content-Type", "application/json"});
  return one_request(proxy.admin(), make_request(method, path, headers, body));
}

// The gauge's value in /metrics, -1 when absent.
long long memory_gauge(const ProxyProcess& proxy) {
  const auto r = admin_get(proxy, "/metrics");
  const std::string name = "\nfaultline_memory_stress_bytes ";
  const auto at = r.body.find(name);
  if (at == std::string::npos) return -1;
  return std::stoll(r.body.substr(at + name.size()));
}

long rss_growth_kib(const ProxyProcess& proxy, long baseline) {
  return rss_kib(proxy.pid()) - baseline;
}

TEST(FaultMemory, RssRisesBySizeWithinTheRampAndFallsBackAfterHalt) {
  HttpUpstream up;
  START_PROXY(proxy, http_config(up.address()));
  const long baseline = rss_kib(proxy.pid());
  ASSERT_GT(baseline, 0);
  EXPECT_EQ(memory_gauge(proxy), 0);
  const auto created = Clock::now();
  auto r = admin_call(proxy, "POST", "/v1/experiments",
                      R"({"name": "hog", "faults": [{"type": "memory", "size": "128MiB",
                          "ramp": "1s"}]})");
  ASSERT_EQ(r.status(), 201) << r;
  // Within the ramp (1 s) plus slack for a loaded box.
  EXPECT_TRUE(eventually(
      [&] { return rss_growth_kib(proxy, baseline) >= 120 * kMiBInKiB + 120 * kShadowKiBPerMiB; },
      Millis(6000)))
      << "RSS grew by only " << rss_growth_kib(proxy, baseline) << " KiB";
  EXPECT_GE(elapsed_ms(created), 900) << "128MiB appeared before the 1s ramp";
  EXPECT_LE(rss_growth_kib(proxy, baseline),
            128 * kMiBInKiB + 32 * kMiBInKiB + 128 * kShadowKiBPerMiB)
      << "held more than the size";
  EXPECT_TRUE(eventually([&] { return memory_gauge(proxy) == (128LL << 20); }, Millis(3000)))
      << "gauge " << memory_gauge(proxy);

  ASSERT_EQ(admin_call(proxy, "POST", "/v1/halt").status(), 200);
  EXPECT_TRUE(eventually(
      [&] { return rss_growth_kib(proxy, baseline) < 16 * kMiBInKiB + 128 * kShadowKiBPerMiB; },
      Millis(2000)))
      << "RSS still " << rss_growth_kib(proxy, baseline) << " KiB above the baseline after halt";
  // The stress thread unmaps chunk by chunk and lowers the gauge after each: RSS can be under
  // the bound above while the last chunks are still going.
  EXPECT_TRUE(eventually([&] { return memory_gauge(proxy) == 0; }, Millis(2000)))
      << "gauge " << memory_gauge(proxy) << " after halt";

  // Unhalting brings the load back; pausing the experiment releases it again.
  ASSERT_EQ(admin_call(proxy, "DELETE", "/v1/halt").status(), 200);
  EXPECT_TRUE(eventually(
      [&] { return rss_growth_kib(proxy, baseline) >= 120 * kMiBInKiB + 120 * kShadowKiBPerMiB; },
      Millis(6000)));
  ASSERT_EQ(admin_call(proxy, "POST", "/v1/experiments/hog/pause").status(), 200);
  EXPECT_TRUE(eventually(
      [&] { return rss_growth_kib(proxy, baseline) < 16 * kMiBInKiB + 128 * kShadowKiBPerMiB; },
      Millis(2000)))
      << "RSS still " << rss_growth_kib(proxy, baseline) << " KiB above the baseline after pause";
}

TEST(FaultMemory, ExpiryReleasesTheMemory) {
  HttpUpstream up;
  START_PROXY(proxy, http_config(up.address(), "", R"(
[[experiments]]
name = "brief-hog"
duration = "3s"
[[experiments.faults]]
type = "memory"
size = "64MiB"
)"));
  EXPECT_TRUE(eventually([&] { return memory_gauge(proxy) == (64LL << 20); }, Millis(2500)));
  const long held = rss_kib(proxy.pid());
  // The runtime's 1 s tick sees the expiry.
  EXPECT_TRUE(eventually([&] { return memory_gauge(proxy) == 0; }, Millis(6000)));
  EXPECT_TRUE(
      eventually([&] { return held - rss_kib(proxy.pid()) >= 56 * kMiBInKiB; }, Millis(2000)))
      << "RSS " << rss_kib(proxy.pid()) << " KiB after expiry, " << held << " KiB while held";
}

TEST(FaultMemory, SizeAboveSafetyMaxMemoryIsRefused) {
  HttpUpstream up;
  START_PROXY(proxy, http_config(up.address(), "", "\n[safety]\nmax_memory = \"64MiB\"\n"));
  auto r = admin_call(proxy, "POST", "/v1/experiments",
                      R"({"name": "big", "faults": [{"type": "memory", "size": "65MiB"}]})");
  EXPECT_EQ(r.status(), 400) << r;
  EXPECT_NE(r.body.find("exceeds safety.max_memory (64MiB)"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("faults[0].size"), std::string::npos) << r.body;
}

}  // namespace
}  // namespace faultline::harness
