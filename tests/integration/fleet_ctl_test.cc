// `faultline ctl --k8s -l SELECTOR VERB` (SPEC §11) end to end: three real faultline processes
// play the pods of a small fake Kubernetes API server (tests/integration/fleet/fake_kube_api.py:
// pod list by label selector, the pod proxy with the real one's path decoding and dropped
// Authorization), and the real `kubectl proxy` runs in front of it from a kubeconfig, started
// by ctl itself or by the test (--k8s-proxy).
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <memory>

#include "tests/integration/admin/admin_support.h"
#include "tests/integration/support.h"

namespace faultline::harness {
namespace {

using admin_test::metric;
using admin_test::scrape;
using nlohmann::json;

constexpr const char* kToken = "s3cret";

// kubectl on $PATH, as ctl --k8s looks for it.
bool have_kubectl() {
  const char* path = std::getenv("PATH");
  std::string_view dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  while (!dirs.empty()) {
    const auto colon = dirs.find(':');
    const std::string dir(dirs.substr(0, colon));
    if (!dir.empty() && ::access((dir + "/kubectl").c_str(), X_OK) == 0) return true;
    dirs = colon == std::string_view::npos ? std::string_view{} : dirs.substr(colon + 1);
  }
  return false;
}

json pod(const std::string& name, uint16_t admin_port, const std::string& phase = "Running",
         bool ready = true, const std::string& app = "x") {
  return {
      {"metadata", {{"name", name}, {"namespace", "team"}, {"labels", {{"app", app}}}}},
      {"spec",
       {{"containers",
         json::array({{{"name", "app"}, {"image", "nginx:1.27"}},
                      {{"name", "faultline"},
                       {"image", "ghcr.io/example/faultline:1.0"},
                       {"ports", json::array({{{"name", "faultline-admin"},
                                               {"containerPort", admin_port}}})}}})}}},
      {"status",
       {{"phase", phase},
        {"conditions", json::array({{{"type", "Ready"}, {"status", ready ? "True" : "False"}}})}}}};
}

uint16_t port_of(const std::string& address) {
  return static_cast<uint16_t>(std::stoi(address.substr(address.rfind(':') + 1)));
}

// The fake API server and a kubeconfig pointing at it.
class FakeCluster {
 public:
  explicit FakeCluster(const json& pods) {
    const std::string pods_path = dir_.write("pods.json", pods.dump());
    port_file_ = dir_.path() + "/port";
    log_ = dir_.path() + "/forwarded.log";
    pid_ =
        spawn_process({"/usr/bin/env", "python3", FLEET_FAKE_KUBE_API, pods_path, port_file_, log_},
                      {}, dir_.path() + "/fake.out", dir_.path() + "/fake.err");
    EXPECT_GT(pid_, 0);
    EXPECT_TRUE(eventually([&] { return ::access(port_file_.c_str(), R_OK) == 0; }, Millis(10000)))
        << "fake API server did not start: " << read_file(dir_.path() + "/fake.err");
    kubeconfig_ = dir_.write("kubeconfig",
                             "apiVersion: v1\nkind: Config\nclusters:\n"
                             "- name: fake\n  cluster:\n    server: http://127.0.0.1:" +
                                 read_file(port_file_) +
                                 "\nusers:\n- name: tester\n  user:\n    token: "
                                 "kube-token\ncontexts:\n- name: fake\n  context:\n"
                                 "    cluster: fake\n    user: tester\n    namespace: team\n"
                                 "current-context: fake\n");
  }
  ~FakeCluster() {
    stop_kubectl_proxy();
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      wait_child(pid_, Millis(3000));
    }
  }

  std::string kubeconfig_env() const { return "KUBECONFIG=" + kubeconfig_; }
  std::string forwarded() const { return read_file(log_); }

  // A `kubectl proxy --port=0` of the test's own; its URL.
  std::string start_kubectl_proxy() {
    const std::string out = dir_.path() + "/kubectl-proxy.out";
    kubectl_pid_ = spawn_process({"/usr/bin/env", "kubectl", "proxy", "--port=0"},
                                 {kubeconfig_env()}, out, dir_.path() + "/kubectl-proxy.err");
    std::string url;
    eventually(
        [&] {
          const std::string text = read_file(out);
          const auto at = text.find("Starting to serve on ");
          if (at == std::string::npos || text.find('\n', at) == std::string::npos) return false;
          url = "http://" + text.substr(at + 21, text.find('\n', at) - at - 21);
          return true;
        },
        Millis(15000));
    return url;
  }
  void stop_kubectl_proxy() {
    if (kubectl_pid_ <= 0) return;
    ::kill(kubectl_pid_, SIGTERM);
    wait_child(kubectl_pid_, Millis(3000));
    kubectl_pid_ = -1;
  }

 private:
  TempDir dir_;
  std::string port_file_, log_, kubeconfig_;
  pid_t pid_ = -1;
  pid_t kubectl_pid_ = -1;
};

std::unique_ptr<ProxyProcess> start_pod(const HttpUpstream& up) {
  ConfigSpec spec;
  ListenerSpec listener;
  listener.upstream = up.address();
  spec.listeners.push_back(listener);
  spec.admin_extra = std::string("token = \"") + kToken + "\"";
  return std::make_unique<ProxyProcess>(config_toml(spec));
}

std::optional<double> halted(const ProxyProcess& proxy) {
  return metric(scrape(proxy.admin()), "faultline_halted");
}

std::string admin_address(const ProxyProcess& proxy) {
  return proxy.admin().str();
}

class FleetCtl : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!have_kubectl()) GTEST_SKIP() << "kubectl is not installed";
    for (int i = 0; i < 3; ++i) {
      pods_.push_back(start_pod(up_));
      ASSERT_TRUE(pods_.back()->ready()) << pods_.back()->failure();
    }
  }
  json pod_list(json extra = json::array()) const {
    json list = json::array();
    for (int i = 0; i < 3; ++i)
      list.push_back(pod("app-" + std::to_string(i + 1), port_of(admin_address(*pods_[i]))));
    for (auto& item : extra) list.push_back(item);
    return list;
  }

  HttpUpstream up_;
  std::vector<std::unique_ptr<ProxyProcess>> pods_;
};

TEST_F(FleetCtl, HaltReachesEveryPodThroughKubectlProxyThatCtlStarts) {
  FakeCluster cluster(pod_list(json::array({pod("other-1", 1, "Running", true, "y")})));
  CommandResult r =
      run_faultline({"ctl", "--k8s", "-n", "team", "-l", "app=x", "--token", kToken, "halt"},
                    Millis(30000), {cluster.kubeconfig_env()});
  ASSERT_TRUE(r.status) << "ctl hung";
  EXPECT_EQ(r.status->code, 0) << r.out << r.err;
  for (const char* name : {"app-1", "app-2", "app-3"})
    EXPECT_NE(r.out.find(std::string(name) + "  ok"), std::string::npos) << name << "\n" << r.out;
  EXPECT_EQ(r.out.find("other-1"), std::string::npos) << "a pod outside the selector: " << r.out;
  for (auto& proxy : pods_) EXPECT_EQ(halted(*proxy), 1.0);
  // The token reached the pods as x-faultline-token; Authorization never did.
  const std::string forwarded = cluster.forwarded();
  EXPECT_NE(forwarded.find("x-faultline-token"), std::string::npos) << forwarded;
  EXPECT_EQ(forwarded.find("authorization"), std::string::npos) << forwarded;
  EXPECT_NE(forwarded.find("POST /v1/halt"), std::string::npos) << forwarded;
}

TEST_F(FleetCtl, HaltTakesUnderOneSecondForThreePods) {
  FakeCluster cluster(pod_list());
  const std::string proxy_url = cluster.start_kubectl_proxy();
  ASSERT_FALSE(proxy_url.empty()) << "kubectl proxy did not start";
  const auto started = Clock::now();
  CommandResult r = run_faultline({"ctl", "--k8s", "--k8s-proxy", proxy_url, "-n", "team", "-l",
                                   "app=x", "--token", kToken, "halt"},
                                  Millis(30000));
  const long took = elapsed_ms(started);
  ASSERT_TRUE(r.status);
  EXPECT_EQ(r.status->code, 0) << r.out << r.err;
  for (auto& proxy : pods_) EXPECT_EQ(halted(*proxy), 1.0);
  EXPECT_LT(took, 1000) << "ctl --k8s halt of three pods took " << took << " ms";

  r = run_faultline({"ctl", "--k8s", "--k8s-proxy", proxy_url, "-n", "team", "-l", "app=x",
                     "--token", kToken, "unhalt"},
                    Millis(30000));
  EXPECT_EQ(r.status->code, 0) << r.out << r.err;
  for (auto& proxy : pods_) EXPECT_EQ(halted(*proxy), 0.0);
}

TEST_F(FleetCtl, AStoppedPodFailsWithExit5AndItsRowSkippedPodsAreNamed) {
  const std::string closed = closed_port_address();
  FakeCluster cluster(
      pod_list(json::array({pod("app-4", port_of(closed)), pod("app-5", 9901, "Pending", false)})));
  CommandResult r =
      run_faultline({"ctl", "--k8s", "-n", "team", "-l", "app=x", "--token", kToken, "halt"},
                    Millis(30000), {cluster.kubeconfig_env()});
  ASSERT_TRUE(r.status);
  EXPECT_EQ(r.status->code, 5) << r.out << r.err;
  EXPECT_NE(r.out.find("app-4  failed"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("app-5  skipped  not running (Pending)"), std::string::npos) << r.out;
  for (const char* name : {"app-1", "app-2", "app-3"})
    EXPECT_NE(r.out.find(std::string(name) + "  ok"), std::string::npos) << name << "\n" << r.out;
  for (auto& proxy : pods_) EXPECT_EQ(halted(*proxy), 1.0) << "a failed pod stopped the others";
  EXPECT_NE(r.err.find("failed on some pods"), std::string::npos) << r.err;
}

TEST_F(FleetCtl, ApplyIsIdempotentAndUnreadyPodsAreSkippedForOtherVerbs) {
  // app-3 is running but not ready: apply skips it (halt would not).
  json pods = pod_list();
  pods[2]["status"]["conditions"][0]["status"] = "False";
  FakeCluster cluster(pods);
  TempDir dir;
  const std::string file = dir.write("slow.toml",
                                     "name = \"slow-checkout\"\n[[faults]]\ntype = \"latency\"\n"
                                     "delay = \"100ms\"\n");
  const std::string proxy_url = cluster.start_kubectl_proxy();
  ASSERT_FALSE(proxy_url.empty());
  for (int round = 0; round < 2; ++round) {
    CommandResult r = run_faultline({"ctl", "--k8s", "--k8s-proxy", proxy_url, "-n", "team", "-l",
                                     "app=x", "--token", kToken, "apply", file},
                                    Millis(30000));
    ASSERT_TRUE(r.status);
    EXPECT_EQ(r.status->code, 0) << "round " << round << "\n" << r.out << r.err;
    EXPECT_NE(r.out.find("app-3  skipped  not ready"), std::string::npos) << r.out;
  }
  for (int i = 0; i < 2; ++i) {
    auto got = admin_test::api_get(pods_[i]->admin(), "/v1/experiments/slow-checkout", kToken);
    EXPECT_EQ(got.status(), 200) << got;
  }
  EXPECT_EQ(
      admin_test::api_get(pods_[2]->admin(), "/v1/experiments/slow-checkout", kToken).status(),
      404);
  EXPECT_NE(cluster.forwarded().find("PUT /v1/experiments/slow-checkout"), std::string::npos);
}

// Without -n, the kubeconfig context's namespace ("team"), as kubectl would.
TEST_F(FleetCtl, NoMatchingPodIsExit5) {
  FakeCluster cluster(pod_list());
  CommandResult r = run_faultline({"ctl", "--k8s", "-l", "app=nothing", "status"}, Millis(30000),
                                  {cluster.kubeconfig_env()});
  ASSERT_TRUE(r.status);
  EXPECT_EQ(r.status->code, 5) << r.out << r.err;
  EXPECT_NE(r.err.find("no running, ready pod with a faultline container matches -l app=nothing "
                       "in namespace team"),
            std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace faultline::harness
