// Experiments follow the config file across SIGHUP reloads.
#include <signal.h>

#include "tests/integration/support.h"

namespace faultline::harness {
namespace {

TEST(FaultReload, SighupAppliesAndRemovesExperiments) {
  HttpUpstream up;
  const std::string plain = http_config(up.address());
  const std::string faulty = http_config(up.address(), "", R"(
[[experiments]]
name = "after-reload"
[[experiments.faults]]
type = "abort"
status = 503
)");
  START_PROXY(proxy, plain);
  auto to = proxy.listener("main");
  ASSERT_EQ(one_request(to, get_request("/")).status(), 200);

  proxy.dir().write("faultline.toml", faulty);
  proxy.signal(SIGHUP);
  EXPECT_TRUE(eventually([&] { return one_request(to, get_request("/")).status() == 503; }, 3s))
      << "the experiment added by the reload never applied";

  proxy.dir().write("faultline.toml", plain);
  proxy.signal(SIGHUP);
  EXPECT_TRUE(eventually([&] { return one_request(to, get_request("/")).status() == 200; }, 3s))
      << "the experiment removed by the reload kept applying";
}

TEST(FaultReload, ABrokenReloadKeepsTheRunningExperiments) {
  HttpUpstream up;
  START_PROXY(proxy, http_config(up.address(), "", R"(
[[experiments]]
name = "keeps"
[[experiments.faults]]
type = "abort"
status = 503
)"));
  auto to = proxy.listener("main");
  ASSERT_EQ(one_request(to, get_request("/")).status(), 503);
  proxy.dir().write("faultline.toml", "[[experiments]]\nname = \"Bad Name\"\n");
  proxy.signal(SIGHUP);
  std::this_thread::sleep_for(300ms);
  ASSERT_TRUE(proxy.running());
  EXPECT_EQ(one_request(to, get_request("/")).status(), 503);
}

}  // namespace
}  // namespace faultline::harness
