// Issue 8 against the real binary: nothing a client of the admin port sends may crash the
// process, lock the port or drive it from a browser (SPEC §7). Each test checks from the
// client's side that the proxy is still alive and answering afterwards.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <ifaddrs.h>
#include <netinet/in.h>

#include <memory>
#include <thread>
#include <vector>

#include "tests/integration/admin/admin_support.h"

namespace faultline::harness::admin_test {
namespace {

const char* kSafety = R"(
[safety]
default_duration = "10m"
max_duration = "1h"
)";

// This machine's IPv4 interface addresses, as a kubelet probe would address the pod.
std::vector<std::string> own_ipv4_addresses() {
  std::vector<std::string> out;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return out;
  for (const ifaddrs* ifa = list; ifa != nullptr; ifa = ifa->ifa_next) {
    if (ifa->ifa_addr == nullptr || ifa->ifa_addr->sa_family != AF_INET) continue;
    char text[INET_ADDRSTRLEN] = {};
    const auto* sin = reinterpret_cast<const sockaddr_in*>(ifa->ifa_addr);
    if (inet_ntop(AF_INET, &sin->sin_addr, text, sizeof text)) out.emplace_back(text);
  }
  freeifaddrs(list);
  return out;
}

std::string deep_body(size_t depth) {
  return R"({"name": "deep", "faults": [{"type": "abort", "status": 503}], "match": )" +
         std::string(depth, '[') + std::string(depth, ']') + "}";
}

// Item 1: a 30 KB body nested ~5,000 deep used to kill the process (SIGSEGV in a recursive
// dump() on the admin thread's 512 KiB stack) before the depth check ran.
TEST(AdminHostileClients, DeeplyNestedBodyIs400AndTheProcessLives) {
  HttpUpstream up;
  ADMIN_START_PROXY(proxy, proxy_config(up.address(), kSafety));
  for (size_t depth : {5'000u, 15'000u}) {
    ApiReply r = api_send(proxy.admin(), "POST", "/v1/experiments", deep_body(depth));
    EXPECT_EQ(r.status(), 400) << r;
    EXPECT_THAT(r.str("error"), ::testing::HasSubstr("nested deeper than 32")) << r;
    ApiReply health = api_get(proxy.admin(), "/healthz");
    ASSERT_EQ(health.status(), 200) << "after a " << depth << "-deep body: " << health << "\n"
                                    << proxy.stderr_text();
  }
  ApiReply put = api_send(proxy.admin(), "PUT", "/v1/experiments/deep", deep_body(5'000));
  EXPECT_EQ(put.status(), 400) << put;
  EXPECT_EQ(api_get(proxy.admin(), "/v1/experiments/deep").status(), 404);
  EXPECT_EQ(api_get(proxy.admin(), "/healthz").status(), 200);
}

// Item 19: duplicate keys were collapsed (last wins) before the reader that rejects them.
TEST(AdminHostileClients, DuplicateKeysAre400NamingTheKey) {
  HttpUpstream up;
  ADMIN_START_PROXY(proxy, proxy_config(up.address(), kSafety));
  ApiReply r = api_send(proxy.admin(), "POST", "/v1/experiments",
                        R"({"name": "first", "faults": [{"type": "abort", "status": 503}],
                            "name": "second"})");
  EXPECT_EQ(r.status(), 400) << r;
  EXPECT_THAT(r.str("error"), ::testing::HasSubstr("duplicate key \"name\" at line 2"));
  EXPECT_EQ(r.str("field"), "name");
  EXPECT_EQ(api_get(proxy.admin(), "/v1/experiments/first").status(), 404);
  EXPECT_EQ(api_get(proxy.admin(), "/v1/experiments/second").status(), 404);
}

// Item 7: 128 idle connections used to make /healthz and POST /v1/halt fail.
TEST(AdminHostileClients, IdleConnectionsNeverLockOutHealthzOrHalt) {
  HttpUpstream up;
  ADMIN_START_PROXY(proxy, proxy_config(up.address(), kSafety));
  std::vector<std::unique_ptr<RawClient>> idle;
  for (int i = 0; i < 300; ++i) {  // more than the cap (128) and the listen backlog (128)
    idle.push_back(std::make_unique<RawClient>(proxy.admin()));
    ASSERT_TRUE(idle.back()->connected()) << i;
  }
  std::this_thread::sleep_for(200ms);  // let the admin thread accept them all
  const auto start = Clock::now();
  ApiReply health = api_get(proxy.admin(), "/healthz");
  EXPECT_EQ(health.status(), 200) << health;
  ApiReply halt = api_send(proxy.admin(), "POST", "/v1/halt");
  EXPECT_EQ(halt.status(), 200) << halt;
  EXPECT_LT(ms_between(start, Clock::now()), 5000.0);
  ApiReply status = api_get(proxy.admin(), "/v1/status");
  ASSERT_EQ(status.status(), 200) << status;
  EXPECT_EQ(status.json.value("halted", false), true);
}

// Item 11: a page from another origin, or reached through DNS rebinding, cannot drive it.
TEST(AdminHostileClients, BrowsersFromElsewhereAreRefused) {
  HttpUpstream up;
  ADMIN_START_PROXY(proxy,
                    proxy_config(up.address(), kSafety, "hosts = [\"faultline.example.com\"]\n"));
  auto call = [&](const std::string& method, const std::string& path, std::vector<Header> headers,
                  const std::string& content_type = {}) {
    ApiCall c;
    c.method = method;
    c.path = path;
    c.extra_headers = std::move(headers);
    if (!content_type.empty()) c.extra_headers.push_back({"Content-Type", content_type});
    return api(proxy.admin(), c);
  };
  // DNS rebinding: the page's own name arrives in Host.
  EXPECT_EQ(call("GET", "/healthz", {{"Host", "rebind.attacker.example:9901"}}).status(), 421);
  EXPECT_EQ(call("POST", "/v1/halt", {{"Host", "rebind.attacker.example"}}).status(), 421);
  // A cross-origin "simple" POST (no preflight) and fetch metadata.
  EXPECT_EQ(call("POST", "/v1/halt", {{"Origin", "http://attacker.example"}}).status(), 403);
  EXPECT_EQ(call("POST", "/v1/reload", {{"Sec-Fetch-Site", "cross-site"}}).status(), 403);
  // A form post: a non-JSON content type even without a body.
  EXPECT_EQ(call("POST", "/v1/halt", {}, "application/x-www-form-urlencoded").status(), 415);
  EXPECT_EQ(api_get(proxy.admin(), "/v1/status").json.value("halted", true), false);

  // What must keep working: loopback by name and address, IPv6 literals, configured names,
  // the admin's own origin, bodiless writes without a type (curl -X POST).
  const std::string port = std::to_string(proxy.admin().port);
  EXPECT_EQ(call("GET", "/healthz", {{"Host", "127.0.0.1:" + port}}).status(), 200);
  EXPECT_EQ(call("GET", "/healthz", {{"Host", "[::1]:" + port}}).status(), 200);
  EXPECT_EQ(call("GET", "/healthz", {{"Host", "Faultline.Example.COM:" + port}}).status(), 200);
  EXPECT_EQ(call("POST", "/v1/halt",
                 {{"Host", "localhost:" + port}, {"Origin", "http://localhost:" + port}})
                .status(),
            200);
  EXPECT_EQ(call("DELETE", "/v1/halt", {}).status(), 200);
}

TEST(AdminHostileClients, ThisMachinesOwnAddressIsAcceptedAsHost) {
  HttpUpstream up;
  ConfigSpec spec;
  ListenerSpec listener;
  listener.upstream = up.address();
  spec.listeners.push_back(listener);
  spec.admin_listen = "0.0.0.0:0";  // as the sidecar config does: probes come to the pod IP
  ADMIN_START_PROXY(proxy, config_toml(spec));
  std::string own;
  for (const std::string& a : own_ipv4_addresses())
    if (!a.starts_with("127.")) own = a;
  if (own.empty()) GTEST_SKIP() << "no non-loopback IPv4 address on this machine";
  Endpoint via_own = proxy.admin();
  via_own.host = own;
  ApiCall probe;
  probe.path = "/healthz";
  probe.extra_headers = {{"Host", own + ":" + std::to_string(via_own.port)}};
  ApiReply r = api(via_own, probe);
  EXPECT_EQ(r.status(), 200) << r;
}

// SPEC §7: the token also as x-faultline-token (the API server's pod proxy drops
// Authorization).
TEST(AdminHostileClients, TokenInXFaultlineTokenHeader) {
  HttpUpstream up;
  ADMIN_START_PROXY(proxy, proxy_config(up.address(), kSafety, "token = \"s3cret\"\n"));
  ApiCall call;
  call.path = "/v1/status";
  call.extra_headers = {{"x-faultline-token", "s3cret"}};
  EXPECT_EQ(api(proxy.admin(), call).status(), 200);
  call.extra_headers = {{"x-faultline-token", "wrong"}};
  EXPECT_EQ(api(proxy.admin(), call).status(), 401);
}

// SPEC §7 / item 20: pausing or resuming an expired experiment is a 409 that says so.
TEST(AdminHostileClients, PauseOrResumeOfAnExpiredExperimentIs409) {
  HttpUpstream up;
  ADMIN_START_PROXY(proxy, proxy_config(up.address(), kSafety));
  ApiReply created = api_send(proxy.admin(), "POST", "/v1/experiments",
                              R"({"name": "brief", "duration": "1s",
                                  "faults": [{"type": "abort", "status": 503}]})");
  ASSERT_EQ(created.status(), 201) << created;
  ASSERT_TRUE(eventually(
      [&] { return api_get(proxy.admin(), "/v1/experiments/brief").str("state") == "expired"; },
      10s));
  for (const char* verb : {"pause", "resume"}) {
    ApiReply r = api_send(proxy.admin(), "POST", std::string("/v1/experiments/brief/") + verb);
    EXPECT_EQ(r.status(), 409) << verb << ": " << r;
    EXPECT_THAT(r.str("error"), ::testing::HasSubstr("expired")) << r;
  }
  // A live one still pauses.
  ASSERT_EQ(api_send(proxy.admin(), "POST", "/v1/experiments",
                     R"({"name": "live", "faults": [{"type": "abort", "status": 503}]})")
                .status(),
            201);
  EXPECT_EQ(api_send(proxy.admin(), "POST", "/v1/experiments/live/pause").status(), 200);
}

size_t count_of(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// Anyone who can reach the admin port can send refused requests as fast as they like: the
// warnings for them are rate limited (one per 10 s per kind), so a flood cannot fill the log.
TEST(AdminHostileClients, AFloodOfRefusedRequestsLogsAHandfulOfLines) {
  HttpUpstream up;
  ADMIN_START_PROXY(proxy, proxy_config(up.address(), kSafety, "token = \"s3cret\"\n"));
  constexpr int kRequests = 50;
  for (int i = 0; i < kRequests; ++i) {
    ASSERT_EQ(api_get(proxy.admin(), "/v1/status", "wrong").status(), 401);
    ApiCall rebind;
    rebind.path = "/healthz";
    rebind.extra_headers = {{"Host", "rebind.attacker.example"}};
    ASSERT_EQ(api(proxy.admin(), rebind).status(), 421);
    ApiCall cross_origin;
    cross_origin.method = "POST";
    cross_origin.path = "/v1/halt";
    cross_origin.token = "s3cret";
    cross_origin.extra_headers = {{"Origin", "http://attacker.example"}};
    ASSERT_EQ(api(proxy.admin(), cross_origin).status(), 403);
  }
  ASSERT_EQ(api_get(proxy.admin(), "/healthz").status(), 200);
  const std::string log = proxy.stderr_text();
  // At least one line of each kind (the refusals are still visible), and at most one per 10 s
  // window; a slow machine may cross a window or two.
  const size_t unauthorized = count_of(log, "admin: unauthorized");
  const size_t refused = count_of(log, "admin: refused");
  EXPECT_GE(unauthorized, 1u) << log;
  EXPECT_LE(unauthorized, 4u) << log;
  EXPECT_GE(refused, 1u) << log;
  EXPECT_LE(refused, 4u) << log;
}

}  // namespace
}  // namespace faultline::harness::admin_test
