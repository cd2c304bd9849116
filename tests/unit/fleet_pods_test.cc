// `ctl --k8s` (SPEC §11): which pods of the API server's PodList get the verb, which are
// skipped and why, and which admin port each is reached on.
#include <gtest/gtest.h>

#include "proxy/cli/fleet.h"

namespace faultline::proxy {
namespace {

constexpr const char* kList = R"({"kind": "PodList", "items": [
  {"metadata": {"name": "b-ready"},
   "spec": {"containers": [{"name": "app", "image": "nginx"},
                           {"name": "faultline", "image": "faultline:1",
                            "ports": [{"name": "faultline-admin", "containerPort": 9911}]}]},
   "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}},
  {"metadata": {"name": "a-by-image"},
   "spec": {"containers": [{"name": "chaos", "image": "ghcr.io/acme/faultline:2"}]},
   "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}},
  {"metadata": {"name": "c-unready"},
   "spec": {"containers": [{"name": "faultline", "image": "faultline"}]},
   "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "False"}]}},
  {"metadata": {"name": "d-pending"},
   "spec": {"containers": [{"name": "faultline", "image": "faultline"}]},
   "status": {"phase": "Pending"}},
  {"metadata": {"name": "e-plain"},
   "spec": {"containers": [{"name": "app", "image": "nginx"}]},
   "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}},
  {"metadata": {"name": "f-leaving", "deletionTimestamp": "2026-01-01T00:00:00Z"},
   "spec": {"containers": [{"name": "faultline", "image": "faultline"}]},
   "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}}
]})";

TEST(FleetPods, TargetsRunningReadyFaultlinePodsAndSaysWhyOthersAreSkipped) {
  auto pods = parse_pod_list(kList, 0, /*include_unready=*/false);
  ASSERT_TRUE(pods) << pods.error();
  ASSERT_EQ(pods->size(), 6u);
  const auto& p = pods.value();  // sorted by name
  EXPECT_EQ(p[0].name, "a-by-image");
  EXPECT_EQ(p[0].skipped, "");
  EXPECT_EQ(p[0].admin_port, 9901);  // no port named admin: the default
  EXPECT_EQ(p[1].name, "b-ready");
  EXPECT_EQ(p[1].skipped, "");
  EXPECT_EQ(p[1].admin_port, 9911);  // the container's port named "faultline-admin"
  EXPECT_EQ(p[2].skipped, "not ready");
  EXPECT_EQ(p[3].skipped, "not running (Pending)");
  EXPECT_EQ(p[4].skipped, "no faultline container");
  EXPECT_EQ(p[5].skipped, "terminating");
}

TEST(FleetPods, HaltAlsoReachesRunningPodsThatAreNotReady) {
  auto pods = parse_pod_list(kList, 0, /*include_unready=*/true);
  ASSERT_TRUE(pods);
  EXPECT_EQ(pods.value()[2].name, "c-unready");
  EXPECT_EQ(pods.value()[2].skipped, "");
  EXPECT_EQ(pods.value()[3].skipped, "not running (Pending)");
}

TEST(FleetPods, AnExplicitAdminPortWins) {
  auto pods = parse_pod_list(kList, 9000, false);
  ASSERT_TRUE(pods);
  for (const FleetPod& pod : pods.value()) EXPECT_EQ(pod.admin_port, 9000) << pod.name;
}

TEST(FleetPods, NotAPodListIsAnError) {
  EXPECT_FALSE(parse_pod_list("{\"kind\": \"Status\"}", 0, false));
  EXPECT_FALSE(parse_pod_list("<html>", 0, false));
}

}  // namespace
}  // namespace faultline::proxy
