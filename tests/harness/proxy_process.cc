#include "tests/harness/proxy_process.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

extern char** environ;

namespace faultline::harness {

std::string faultline_binary() {
  const char* bin = std::getenv("FAULTLINE_BIN");
  return bin ? bin : "";
}

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string templ = std::string(base && *base ? base : "/tmp") + "/faultline-it-XXXXXX";
  if (!::mkdtemp(templ.data())) {
    std::perror("harness: mkdtemp");
    std::abort();
  }
  path_ = templ;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string TempDir::write(const std::string& name, const std::string& content) const {
  std::string full = path_ + "/" + name;
  std::ofstream(full, std::ios::binary) << content;
  return full;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string ExitStatus::str() const {
  return exited ? "exit code " + std::to_string(code)
                : "killed by signal " + std::to_string(signal) + " (" + strsignal(signal) + ")";
}

pid_t spawn_process(const std::vector<std::string>& argv, const std::vector<std::string>& env_add,
                    const std::string& out_path, const std::string& err_path, uint64_t open_files,
                    uint64_t open_files_soft) {
  // Everything the child needs is prepared before fork: after fork in a threaded process
  // only async-signal-safe calls are allowed.
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> env_store;
  for (char** e = environ; *e; ++e) {
    std::string_view entry(*e);
    bool overridden = false;
    for (const auto& add : env_add)
      overridden |= entry.substr(0, entry.find('=') + 1) == add.substr(0, add.find('=') + 1);
    if (!overridden) env_store.emplace_back(entry);
  }
  for (const auto& add : env_add) env_store.push_back(add);
  std::vector<char*> env;
  for (auto& e : env_store) env.push_back(e.data());
  env.push_back(nullptr);
  int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    ::dup2(devnull, 0);
    ::dup2(out, 1);
    ::dup2(err, 2);
    if (open_files > 0) {
      rlimit limit{static_cast<rlim_t>(open_files_soft > 0 ? open_files_soft : open_files),
                   static_cast<rlim_t>(open_files)};
      if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) ::_exit(126);
    }
    ::execve(args[0], args.data(), env.data());
    ::_exit(127);
  }
  ::close(out);
  ::close(err);
  ::close(devnull);
  return pid;
}

static ExitStatus decode(int status, const rusage& usage) {
  ExitStatus s;
  s.max_rss_kib = usage.ru_maxrss;
  s.exited = WIFEXITED(status);
  if (s.exited) s.code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) s.signal = WTERMSIG(status);
  return s;
}

std::optional<ExitStatus> wait_child(pid_t pid, Millis timeout) {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    int status = 0;
    rusage usage{};
    pid_t rc = ::wait4(pid, &status, WNOHANG, &usage);
    if (rc == pid) return decode(status, usage);
    if (rc < 0 && errno != EINTR) return ExitStatus{};
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(Millis(5));
  }
}

KillOnExit::~KillOnExit() {
  if (pid <= 0) return;
  ::kill(pid, SIGKILL);
  wait_child(pid, Millis(5000));
}

CommandResult run_faultline(const std::vector<std::string>& args, Millis timeout,
                            const std::vector<std::string>& extra_env, uint64_t open_files) {
  TempDir dir;
  std::vector<std::string> argv{faultline_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  std::string out = dir.path() + "/stdout", err = dir.path() + "/stderr";
  CommandResult result;
  pid_t pid = spawn_process(argv, extra_env, out, err, open_files);
  result.status = wait_child(pid, timeout);
  if (!result.status) {
    ::kill(pid, SIGKILL);
    wait_child(pid, Millis(5000));
  }
  result.out = read_file(out);
  result.err = read_file(err);
  return result;
}

ProxyProcess::ProxyProcess(const std::string& config_toml, ProxyOptions options)
    : options_(std::move(options)) {
  config_path_ = dir_.write("faultline.toml", config_toml);
  ready_path_ = dir_.path() + "/ready.json";
  auto env = options_.extra_env;
  env.push_back("FAULTLINE_READY_FILE=" + ready_path_);
  std::string bin = faultline_binary();
  if (bin.empty()) {
    failure_ = "FAULTLINE_BIN is not set";
    return;
  }
  pid_ = spawn_process({bin, "run", "--config", config_path_}, env, dir_.path() + "/stdout",
                       dir_.path() + "/stderr", options_.open_files, options_.open_files_soft);
  if (pid_ < 0) {
    failure_ = std::string("fork failed: ") + std::strerror(errno);
    return;
  }
  ready_ = wait_ready();
}

bool ProxyProcess::wait_ready() {
  auto deadline = Clock::now() + options_.ready_timeout;
  while (!std::filesystem::exists(ready_path_)) {
    if (auto status = wait_child(pid_, Millis(0))) {
      exit_ = status;
      failure_ =
          "faultline exited before it was ready (" + status->str() + "); stderr:\n" + stderr_text();
      return false;
    }
    if (Clock::now() >= deadline) {
      failure_ = "no ready file after " + std::to_string(options_.ready_timeout.count()) +
                 " ms; stderr:\n" + stderr_text();
      return false;
    }
    std::this_thread::sleep_for(Millis(10));
  }
  auto text = read_file(ready_path_);
  auto json = nlohmann::json::parse(text, nullptr, false);
  if (json.is_discarded() || !json.contains("listeners")) {
    failure_ = "unreadable ready file: " + text;
    return false;
  }
  for (auto& [name, value] : json["listeners"].items()) {
    auto ep = Endpoint::parse(value.get<std::string>());
    if (!ep) {
      failure_ = "bad listener address in ready file: " + text;
      return false;
    }
    listeners_[name] = *ep;
  }
  if (json.contains("toxiproxy") && json["toxiproxy"].is_string()) {
    if (auto ep = Endpoint::parse(json["toxiproxy"].get<std::string>())) toxiproxy_ = *ep;
  }
  if (json.contains("admin") && json["admin"].is_string()) {
    if (auto ep = Endpoint::parse(json["admin"].get<std::string>())) admin_ = *ep;
  }
  return true;
}

Endpoint ProxyProcess::listener(const std::string& name) const {
  auto it = listeners_.find(name);
  if (it == listeners_.end()) {
    ADD_FAILURE() << "no listener named " << name << " in the ready file";
    return {};
  }
  return it->second;
}

void ProxyProcess::signal(int sig) const {
  if (pid_ > 0 && !exit_) ::kill(pid_, sig);
}

std::optional<ExitStatus> ProxyProcess::wait_exit(Millis timeout) {
  if (!exit_ && pid_ > 0) exit_ = wait_child(pid_, timeout);
  return exit_;
}

bool ProxyProcess::running() {
  return pid_ > 0 && !wait_exit(Millis(0));
}

std::string ProxyProcess::stderr_text() const {
  return read_file(dir_.path() + "/stderr");
}
std::string ProxyProcess::stdout_text() const {
  return read_file(dir_.path() + "/stdout");
}

ProxyProcess::~ProxyProcess() {
  if (pid_ <= 0) return;
  if (!exit_) {
    ::kill(pid_, SIGTERM);
    exit_ = wait_child(pid_, options_.exit_timeout);
    if (!exit_) {
      ::kill(pid_, SIGKILL);
      wait_child(pid_, Millis(10000));
      if (options_.expect_clean_exit)
        ADD_FAILURE() << "faultline did not exit within " << options_.exit_timeout.count()
                      << " ms of SIGTERM; stderr:\n"
                      << stderr_text();
      return;
    }
    if (options_.expect_clean_exit && !(exit_->exited && exit_->code == 0))
      ADD_FAILURE() << "faultline ended with " << exit_->str()
                    << " after SIGTERM (expected a clean exit 0); stderr:\n"
                    << stderr_text();
  }
}

}  // namespace faultline::harness
