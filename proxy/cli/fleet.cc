#include "proxy/cli/fleet.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ostream>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "proxy/cli/ctl.h"

extern char** environ;

namespace faultline::proxy {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr int kDefaultAdminPort = 9901;

// `kubectl proxy --port=0`, started for one run of ctl and stopped when it is done.
class KubectlProxy {
 public:
  ~KubectlProxy() { stop(); }

  // Starts it and waits (15 s at most) for "Starting to serve on HOST:PORT"; the URL or why not.
  Result<std::string> start(const std::string& kubectl) {
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0)
      return Result<std::string>::failure(std::string("pipe: ") + std::strerror(errno));
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
    std::vector<std::string> words = {kubectl, "proxy", "--port=0", "--address=127.0.0.1"};
    std::vector<char*> argv;
    for (std::string& word : words) argv.push_back(word.data());
    argv.push_back(nullptr);
    const int spawned =
        ::posix_spawnp(&pid_, kubectl.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(pipe_fds[1]);
    read_fd_ = pipe_fds[0];
    if (spawned != 0) {
      pid_ = -1;
      return Result<std::string>::failure("cannot run " + kubectl + ": " + std::strerror(spawned) +
                                          " (install kubectl, or pass --k8s-proxy URL)");
    }
    std::string seen;
    const auto deadline = Clock::now() + std::chrono::seconds(15);
    while (Clock::now() < deadline) {
      const auto newline = seen.find('\n');
      if (newline != std::string::npos) {
        const std::string line = seen.substr(0, newline);
        seen.erase(0, newline + 1);
        constexpr std::string_view kServing = "Starting to serve on ";
        const auto at = line.find(kServing);
        if (at != std::string::npos) return "http://" + line.substr(at + kServing.size());
        continue;
      }
      pollfd p{read_fd_, POLLIN, 0};
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (::poll(&p, 1, static_cast<int>(std::max<int64_t>(1, left.count()))) <= 0) continue;
      char buf[512];
      const ssize_t n = ::read(read_fd_, buf, sizeof buf);
      if (n <= 0) break;  // it exited: its stderr (ours) said why
      seen.append(buf, static_cast<size_t>(n));
    }
    return Result<std::string>::failure(
        "kubectl proxy did not start (see its message above; check the kubeconfig, or pass "
        "--k8s-proxy URL)");
  }

  void stop() {
    if (read_fd_ >= 0) ::close(read_fd_);
    read_fd_ = -1;
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    const auto deadline = Clock::now() + std::chrono::seconds(2);
    while (::waitpid(pid_, nullptr, WNOHANG) == 0) {
      if (Clock::now() > deadline) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
  int read_fd_ = -1;
};

// The current kubeconfig context's namespace, as kubectl itself would use it; empty if none.
std::string context_namespace(const std::string& kubectl) {
  const std::string command =
      kubectl + " config view --minify -o 'jsonpath={..namespace}' 2>/dev/null";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return {};
  char buf[256];
  std::string text;
  while (std::fgets(buf, sizeof buf, pipe) != nullptr) text += buf;
  ::pclose(pipe);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  // A namespace is a DNS label; anything else is not one.
  for (const char c : text)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return {};
  return text;
}

// Percent-encodes a query value (label selectors have '=', ',', '!' and spaces).
std::string query_escape(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

bool is_faultline_container(const json& container) {
  if (container.value("name", "") == "faultline") return true;
  const std::string image = container.value("image", "");
  const auto slash = image.rfind('/');
  const std::string repository = image.substr(slash == std::string::npos ? 0 : slash + 1);
  return repository.rfind("faultline", 0) == 0;
}

bool condition_true(const json& status, std::string_view type) {
  if (!status.contains("conditions") || !status["conditions"].is_array()) return false;
  for (const json& condition : status["conditions"])
    if (condition.value("type", "") == type) return condition.value("status", "") == "True";
  return false;
}

// The first line of what a verb printed, for its row.
std::string first_line(const std::string& text) {
  std::string line = text.substr(0, text.find('\n'));
  constexpr std::string_view kPrefix = "faultline ctl: ";
  if (line.rfind(kPrefix, 0) == 0) line.erase(0, kPrefix.size());
  return line;
}

struct PodOutcome {
  int code = kCtlOk;
  std::string out;
  std::string err;
};

}  // namespace

Result<std::vector<FleetPod>> parse_pod_list(std::string_view text, int admin_port,
                                             bool include_unready) {
  using R = Result<std::vector<FleetPod>>;
  const json list = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!list.is_object() || !list.contains("items") || !list["items"].is_array())
    return R::failure("the API server's pod list is not a PodList");
  std::vector<FleetPod> pods;
  for (const json& item : list["items"]) {
    if (!item.is_object()) continue;
    FleetPod pod;
    const json metadata = item.value("metadata", json::object());
    const json spec = item.value("spec", json::object());
    const json status = item.value("status", json::object());
    pod.name = metadata.value("name", "");
    if (pod.name.empty()) continue;
    const json* faultline = nullptr;
    if (spec.contains("containers") && spec["containers"].is_array())
      for (const json& container : spec["containers"])
        if (container.is_object() && is_faultline_container(container)) {
          faultline = &container;
          break;
        }
    pod.admin_port = admin_port;
    if (pod.admin_port == 0) {
      pod.admin_port = kDefaultAdminPort;
      if (faultline && faultline->contains("ports") && (*faultline)["ports"].is_array())
        for (const json& port : (*faultline)["ports"])
          if (port.is_object() &&
              (port.value("name", "") == "faultline-admin" || port.value("name", "") == "admin") &&
              port.value("containerPort", 0) > 0)
            pod.admin_port = port.value("containerPort", 0);
    }
    const std::string phase = status.value("phase", "Unknown");
    if (metadata.contains("deletionTimestamp") && !metadata["deletionTimestamp"].is_null())
      pod.skipped = "terminating";
    else if (phase != "Running")
      pod.skipped = "not running (" + phase + ")";
    else if (faultline == nullptr)
      pod.skipped = "no faultline container";
    else if (!include_unready && !condition_true(status, "Ready"))
      pod.skipped = "not ready";
    pods.push_back(std::move(pod));
  }
  std::sort(pods.begin(), pods.end(),
            [](const FleetPod& a, const FleetPod& b) { return a.name < b.name; });
  return pods;
}

int run_fleet(const FleetOptions& given, const std::string& verb_name, const FleetVerb& verb,
              std::ostream& out, std::ostream& err) {
  const auto fail = [&](int code, const std::string& message) {
    if (given.json)
      out << json{{"error", message}, {"exit_code", code}}.dump() << '\n';
    else
      err << "faultline ctl: " << message << '\n';
    return code;
  };
  if (given.selector.empty())
    return fail(kCtlUsage, "--k8s needs a label selector (-l app=checkout)");
  FleetOptions options = given;
  if (options.namespace_name.empty() && options.proxy_url.empty())
    options.namespace_name = context_namespace(options.kubectl);
  if (options.namespace_name.empty()) options.namespace_name = "default";

  KubectlProxy kubectl;
  std::string api_text = options.proxy_url;
  if (api_text.empty()) {
    Result<std::string> started = kubectl.start(options.kubectl);
    if (!started) return fail(kCtlUnreachable, started.error());
    api_text = started.value();
  }
  while (!api_text.empty() && api_text.back() == '/') api_text.pop_back();
  Result<AdminUrl> api = parse_admin_url(api_text);
  if (!api) return fail(kCtlUsage, "--k8s-proxy: " + api.error());

  const std::string pods_path = "/api/v1/namespaces/" + query_escape(options.namespace_name) +
                                "/pods?labelSelector=" + query_escape(options.selector);
  HttpRequestOptions list_options;
  list_options.io_timeout = std::chrono::seconds(15);
  Result<HttpReply> listed = http_request(api.value(), "GET", pods_path, "", "", list_options);
  if (!listed)
    return fail(kCtlUnreachable, "cannot list pods through " + api_text + ": " + listed.error());
  if (listed->status != 200)
    return fail(kCtlFleetFailed, "listing pods in namespace " + options.namespace_name +
                                     " failed with HTTP " + std::to_string(listed->status) + ": " +
                                     first_line(listed->body));
  Result<std::vector<FleetPod>> pods =
      parse_pod_list(listed->body, options.admin_port, /*include_unready=*/verb_name == "halt");
  if (!pods) return fail(kCtlFleetFailed, pods.error());

  std::vector<const FleetPod*> targets;
  for (const FleetPod& pod : pods.value())
    if (pod.skipped.empty()) targets.push_back(&pod);

  // The verb to every target, `parallel` at a time.
  std::vector<PodOutcome> outcomes(targets.size());
  std::atomic<size_t> next{0};
  const auto work = [&] {
    for (size_t i = next++; i < targets.size(); i = next++) {
      const FleetPod& pod = *targets[i];
      const std::string url = api_text + "/api/v1/namespaces/" + options.namespace_name + "/pods/" +
                              pod.name + ":" + std::to_string(pod.admin_port) + "/proxy";
      std::ostringstream pod_out, pod_err;
      outcomes[i].code = verb(url, pod_out, pod_err);
      outcomes[i].out = pod_out.str();
      outcomes[i].err = pod_err.str();
    }
  };
  const size_t threads =
      std::min(targets.size(), static_cast<size_t>(std::max(1, options.parallel)));
  std::vector<std::thread> pool;
  for (size_t i = 0; i < threads; ++i) pool.emplace_back(work);
  for (std::thread& thread : pool) thread.join();

  bool failed = targets.empty();
  json rows = json::array();
  size_t width = 3;
  for (const FleetPod& pod : pods.value()) width = std::max(width, pod.name.size());
  if (!options.json)
    out << std::left << std::string("POD").append(width - 3 + 2, ' ') << "RESULT   DETAIL\n";
  for (const FleetPod& pod : pods.value()) {
    std::string result = "skipped", detail = pod.skipped;
    int code = -1;
    std::string output;
    const auto it = std::find(targets.begin(), targets.end(), &pod);
    if (it != targets.end()) {
      const PodOutcome& outcome = outcomes[static_cast<size_t>(it - targets.begin())];
      code = outcome.code;
      output = outcome.out;
      result = code == kCtlOk ? "ok" : "failed";
      detail = code == kCtlOk ? first_line(outcome.out)
                              : "exit " + std::to_string(code) + ": " +
                                    first_line(outcome.err.empty() ? outcome.out : outcome.err);
      failed = failed || code != kCtlOk;
    }
    if (options.json) {
      json row = {{"pod", pod.name}, {"namespace", options.namespace_name}, {"result", result}};
      if (code >= 0) {
        row["exit_code"] = code;
        const json parsed = json::parse(output, nullptr, false);
        row["answer"] = parsed.is_discarded() ? json(output) : parsed;
      } else {
        row["reason"] = pod.skipped;
      }
      rows.push_back(row);
      continue;
    }
    out << pod.name << std::string(width - pod.name.size() + 2, ' ') << result
        << std::string(9 - std::min<size_t>(8, result.size()), ' ') << detail << '\n';
  }
  if (options.json) out << json{{"pods", rows}}.dump(2) << '\n';
  if (targets.empty())
    err << "faultline ctl: no running" << (verb_name == "halt" ? "" : ", ready")
        << " pod with a faultline container matches -l " << options.selector << " in namespace "
        << options.namespace_name << '\n';
  else if (failed)
    err << "faultline ctl: " << verb_name << " failed on some pods\n";
  return failed ? kCtlFleetFailed : kCtlOk;
}

}  // namespace faultline::proxy
