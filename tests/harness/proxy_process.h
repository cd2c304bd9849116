#pragma once
// Runs the real faultline binary ($FAULTLINE_BIN) as a child process: temp config, stdout
// and stderr captured to files, ports learned from the ready file the proxy writes when
// FAULTLINE_READY_FILE is set, signals, exit codes. The child can never outlive the test:
// PR_SET_PDEATHSIG kills it if the test dies, and the destructor terminates it.
#include <sys/types.h>

#include <cstdint>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tests/harness/net.h"

namespace faultline::harness {

// $FAULTLINE_BIN; an empty string if unset.
std::string faultline_binary();

// A private temporary directory, removed with everything in it.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  // Writes `content` to path()/name and returns the full path.
  std::string write(const std::string& name, const std::string& content) const;

 private:
  std::string path_;
};

struct ExitStatus {
  bool exited = false;  // normal exit (code valid); otherwise killed by `signal`
  int code = -1;
  int signal = 0;
  long max_rss_kib = 0;  // this child's own peak resident set (wait4), not its siblings'
  std::string str() const;
};

struct CommandResult {
  std::optional<ExitStatus> status;  // nullopt: still running at the timeout (then killed)
  std::string out;
  std::string err;
};

// Runs `faultline ARGS...` to completion (killed after `timeout`).
CommandResult run_faultline(const std::vector<std::string>& args, Millis timeout = Millis(10000),
                            const std::vector<std::string>& extra_env = {},
                            uint64_t open_files = 0);

struct ProxyOptions {
  Millis ready_timeout{10000};
  // Teardown sends SIGTERM and expects a clean exit (code 0) within this time; a crash,
  // a sanitizer report (non-zero exit) or a hang is reported as a test failure.
  Millis exit_timeout{8000};
  bool expect_clean_exit = true;
  std::vector<std::string> extra_env;  // "NAME=value"
  uint64_t open_files = 0;             // > 0: the child's RLIMIT_NOFILE, soft = hard
  uint64_t open_files_soft = 0;        // > 0 (with open_files): a lower soft limit
};

class ProxyProcess {
 public:
  // Writes `config_toml` to a temp file and runs `faultline run --config FILE`, then waits
  // for the ready file. Check ready() (and failure() for why not) before using it.
  explicit ProxyProcess(const std::string& config_toml, ProxyOptions options = {});
  ~ProxyProcess();
  ProxyProcess(const ProxyProcess&) = delete;
  ProxyProcess& operator=(const ProxyProcess&) = delete;

  bool ready() const { return ready_; }
  const std::string& failure() const { return failure_; }

  Endpoint listener(const std::string& name) const;
  Endpoint admin() const { return admin_; }
  // The Toxiproxy API's address ([compat.toxiproxy] enabled); port 0 when it is off.
  Endpoint toxiproxy() const { return toxiproxy_; }
  pid_t pid() const { return pid_; }
  const std::string& config_path() const { return config_path_; }
  const TempDir& dir() const { return dir_; }

  void signal(int sig) const;
  // Waits for the process to exit; nullopt on timeout. Reaps it.
  std::optional<ExitStatus> wait_exit(Millis timeout);
  bool running();
  std::string stderr_text() const;
  std::string stdout_text() const;
  // Stops checking the exit on teardown (for tests that killed it on purpose).
  void forget_exit_check() { options_.expect_clean_exit = false; }

 private:
  bool wait_ready();

  ProxyOptions options_;
  TempDir dir_;
  std::string config_path_;
  std::string ready_path_;
  pid_t pid_ = -1;
  std::optional<ExitStatus> exit_;
  bool ready_ = false;
  std::string failure_;
  std::map<std::string, Endpoint> listeners_;
  Endpoint admin_;
  Endpoint toxiproxy_;
};

// Spawns a child with stdout/stderr redirected to files (and, with open_files > 0, that
// RLIMIT_NOFILE as hard limit, and as soft limit unless open_files_soft is set). Returns its
// pid (or -1).
pid_t spawn_process(const std::vector<std::string>& argv, const std::vector<std::string>& env_add,
                    const std::string& out_path, const std::string& err_path,
                    uint64_t open_files = 0, uint64_t open_files_soft = 0);
// waitpid with a deadline (polls). nullopt on timeout.
std::optional<ExitStatus> wait_child(pid_t pid, Millis timeout);

// Kills (SIGKILL) and reaps a child spawned by a test when the scope ends.
struct KillOnExit {
  explicit KillOnExit(pid_t child) : pid(child) {}
  KillOnExit(const KillOnExit&) = delete;
  KillOnExit& operator=(const KillOnExit&) = delete;
  ~KillOnExit();
  pid_t pid;
};

std::string read_file(const std::string& path);

}  // namespace faultline::harness
