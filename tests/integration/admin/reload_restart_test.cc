// A changed listener address cannot be applied by a reload: the reload must say it needs a
// restart (issue 4 point 4: "the reload says so plainly") and keep serving the old config.
#include "tests/integration/admin/admin_support.h"

namespace faultline::harness::admin_test {
namespace {

TEST(ReloadRestart, ChangingAListenAddressSaysItNeedsARestart) {
  HttpUpstream up;
  const std::string tail = R"(
[[experiments]]
name = "first"
[experiments.match]
paths = ["/first"]
[[experiments.faults]]
type = "abort"
status = 501
)";
  ADMIN_START_PROXY(proxy, proxy_config(up.address(), tail));
  ConfigSpec spec;
  ListenerSpec main;
  main.upstream = up.address();
  main.listen = "127.0.0.2:0";
  spec.listeners = {main};
  spec.tail = tail;
  replace_file(proxy.config_path(), config_toml(spec));
  ApiReply changed = api_send(proxy.admin(), "POST", "/v1/reload");
  EXPECT_NE(changed.body().find("restart"), std::string::npos) << changed;
  EXPECT_EQ(proxy_get(proxy.listener("main"), "/first").status(), 501);
}

}  // namespace
}  // namespace faultline::harness::admin_test
