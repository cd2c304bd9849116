// `faultline ctl --admin URL` parsing.
#include <gtest/gtest.h>

#include "proxy/cli/ctl_http.h"

namespace faultline::proxy {
namespace {

TEST(AdminCtlUrl, Forms) {
  auto u = parse_admin_url("http://127.0.0.1:9901");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, 9901);
  EXPECT_EQ(u->base_path, "");

  u = parse_admin_url("localhost:9000");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->host, "localhost");
  EXPECT_EQ(u->port, 9000);

  u = parse_admin_url("http://[::1]:9901/chaos/");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, 9901);
  EXPECT_EQ(u->base_path, "/chaos");

  u = parse_admin_url("http://admin.internal");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->port, 80);
}

TEST(AdminCtlUrl, Rejects) {
  for (const char* bad : {"https://127.0.0.1:9901", "http://:9901", "http://[::1:9901",
                          "http://host:0", "http://host:65536", "http://host:99x", ""}) {
    auto u = parse_admin_url(bad);
    EXPECT_FALSE(u.ok()) << bad;
    if (!u.ok()) {
      EXPECT_NE(u.error().find(bad), std::string::npos) << u.error();
    }
  }
  EXPECT_NE(parse_admin_url("https://x").error().find("https is not supported"), std::string::npos);
}

}  // namespace
}  // namespace faultline::proxy
