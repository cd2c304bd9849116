// The web console through the admin API (SPEC §11): embedded files, a strict CSP, relative
// URLs only, no token needed for the files, the Host allow-list still applied, and experiment
// bodies in TOML as the console's apply box sends them.
#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "proxy/admin/api.h"
#include "proxy/admin/ui_assets.h"
#include "tests/unit/admin_fake_backend.h"

namespace faultline::proxy::admin {
namespace {

using testing::FakeBackend;

AdminRequest req(std::string method, std::string target) {
  AdminRequest r;
  r.method = std::move(method);
  r.target = std::move(target);
  r.client = "127.0.0.1";
  r.host = "127.0.0.1:9901";
  return r;
}

std::string header(const AdminResponse& r, const std::string& name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return {};
}

struct Console : ::testing::Test {
  FakeBackend backend;
  AuditLog audit;
  AdminApi api{backend, audit, "s3cret"};
};

TEST_F(Console, ServesTheEmbeddedFilesWithAStrictPolicy) {
  AdminResponse index = api.handle(req("GET", "/ui/"));
  ASSERT_EQ(index.status, 200) << index.body;  // no token needed for the files
  EXPECT_EQ(index.content_type, "text/html; charset=utf-8");
  EXPECT_NE(index.body.find("<title>faultline console</title>"), std::string::npos);
  const std::string csp = header(index, "Content-Security-Policy");
  EXPECT_NE(csp.find("default-src 'none'"), std::string::npos);
  EXPECT_NE(csp.find("script-src 'self'"), std::string::npos);
  EXPECT_EQ(csp.find("unsafe"), std::string::npos);
  EXPECT_EQ(header(index, "X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(api.handle(req("GET", "/ui/index.html")).body, index.body);

  AdminResponse js = api.handle(req("GET", "/ui/console.js"));
  ASSERT_EQ(js.status, 200);
  EXPECT_EQ(js.content_type, "text/javascript; charset=utf-8");
  EXPECT_FALSE(header(js, "Content-Security-Policy").empty());
  EXPECT_EQ(api.handle(req("GET", "/ui/console.css")).content_type, "text/css; charset=utf-8");
  AdminResponse icon = api.handle(req("GET", "/favicon.ico"));
  EXPECT_EQ(icon.status, 200);
  EXPECT_EQ(icon.content_type, "image/svg+xml");
  EXPECT_EQ(api.handle(req("GET", "/ui/favicon.svg")).body, icon.body);
}

TEST_F(Console, RedirectIsRelativeAndUnknownFilesAre404) {
  AdminResponse r = api.handle(req("GET", "/ui"));
  EXPECT_EQ(r.status, 308);
  EXPECT_EQ(header(r, "Location"), "ui/");  // relative: works under a path prefix
  EXPECT_EQ(api.handle(req("GET", "/ui/../v1/status")).status, 404);
  EXPECT_EQ(api.handle(req("GET", "/ui/nope.js")).status, 404);
  EXPECT_EQ(api.handle(req("POST", "/ui/")).status, 405);
}

TEST_F(Console, HostAllowListAppliesToTheConsole) {
  AdminRequest rebound = req("GET", "/ui/");
  rebound.host = "attacker.example:9901";  // DNS rebinding
  EXPECT_EQ(api.handle(rebound).status, 421);
}

// No inline script or style (the CSP would block them) and no absolute URL (the console
// must work under /api/v1/namespaces/NS/pods/NAME:9901/proxy/ui/).
TEST(ConsoleFiles, NoInlineCodeAndOnlyRelativeUrls) {
  const std::string html(find_ui_file("index.html")->body);
  EXPECT_EQ(html.find("<style"), std::string::npos);
  EXPECT_EQ(html.find("style="), std::string::npos);
  EXPECT_FALSE(std::regex_search(html, std::regex(R"(<script(?![^>]*\bsrc=))")));
  EXPECT_FALSE(std::regex_search(html, std::regex(R"(\son[a-z]+=)")));  // onclick=...
  EXPECT_FALSE(std::regex_search(html, std::regex(R"((src|href)="(/|https?:))")));
  const std::string js(find_ui_file("console.js")->body);
  EXPECT_FALSE(std::regex_search(js, std::regex(R"(fetch\(\s*['"`]/)")));
  EXPECT_NE(js.find("const API = '../v1/'"), std::string::npos);
  EXPECT_EQ(js.find("eval("), std::string::npos);
  EXPECT_EQ(js.find("innerHTML"), std::string::npos);  // API strings never parsed as HTML
  EXPECT_EQ(js.find("document.cookie"), std::string::npos);
  EXPECT_NE(js.find("x-faultline-token"), std::string::npos);
  EXPECT_NE(js.find("sessionStorage"), std::string::npos);
}

// Behind the API server's pod proxy the console's Origin is not the Host the admin sees;
// the browser's own Sec-Fetch-Site still says the page is the console's.
TEST_F(Console, SameOriginBrowserWritesThroughARewritingProxy) {
  AdminRequest halt = req("POST", "/v1/halt");
  halt.faultline_token = "s3cret";
  halt.host = "127.0.0.1:9901";  // the pod's address, as the proxy sent it
  halt.origin = "https://k8s.example:6443";
  halt.sec_fetch_site = "cross-site";
  EXPECT_EQ(api.handle(halt).status, 403);
  halt.sec_fetch_site = "same-site";
  EXPECT_EQ(api.handle(halt).status, 403);
  halt.sec_fetch_site = "";  // not a browser that says where the page came from
  EXPECT_EQ(api.handle(halt).status, 403);
  halt.sec_fetch_site = "same-origin";
  EXPECT_EQ(api.handle(halt).status, 200);
}

TEST_F(Console, TomlExperimentBodies) {
  AdminRequest put = req("PUT", "/v1/experiments/slow");
  put.faultline_token = "s3cret";
  put.content_type = "application/toml";
  put.body = "name = \"slow\"\ndry_run = true\n[[faults]]\ntype = \"latency\"\ndelay = \"10ms\"\n";
  AdminResponse created = api.handle(put);
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(nlohmann::json::parse(created.body)["dry_run"], true);

  // One [[experiments]] table, as `ctl apply` files have it.
  put.target = "/v1/experiments/wrapped";
  put.body =
      "[[experiments]]\nname = \"wrapped\"\n[[experiments.faults]]\ntype = \"abort\"\n"
      "status = 503\n";
  EXPECT_EQ(api.handle(put).status, 201) << api.handle(put).body;

  // Errors name the field and the line.
  put.target = "/v1/experiments/bad";
  put.body = "name = \"bad\"\n\nduration = \"soon\"\n[[faults]]\ntype = \"latency\"\n";
  AdminResponse bad = api.handle(put);
  ASSERT_EQ(bad.status, 400) << bad.body;
  nlohmann::json j = nlohmann::json::parse(bad.body);
  EXPECT_EQ(j["field"], "duration");
  EXPECT_EQ(j["line"], 3);

  put.body = "name = \"bad\"\nfaults = [";  // not TOML at all
  AdminResponse broken = api.handle(put);
  EXPECT_EQ(broken.status, 400) << broken.body;
  EXPECT_TRUE(nlohmann::json::parse(broken.body).contains("line"));

  AdminRequest halt = req("POST", "/v1/halt");  // TOML is for experiment bodies only
  halt.faultline_token = "s3cret";
  halt.content_type = "application/toml";
  halt.body = "x = 1";
  EXPECT_EQ(api.handle(halt).status, 415);
}

}  // namespace
}  // namespace faultline::proxy::admin
