#pragma once
// Helpers for the HTTP/2 and gRPC integration tests: the Python gRPC upstream
// (tests/harness/grpc/grpc_upstream.py, Debian python3-grpcio) as a child process, and real
// clients (grpc_client.py, nghttp, curl) run to completion with their output captured.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support.h"

namespace faultline::harness {

inline std::string grpc_script(const std::string& name) {
  return source_dir() + "/tests/harness/grpc/" + name;
}

// Debian's interpreter: python3-grpcio lives in its dist-packages, whatever python3 is on PATH.
inline const char* kPython = "/usr/bin/python3";

inline bool have_python_grpc() {
  return std::system("/usr/bin/python3 -c 'import grpc' >/dev/null 2>&1") == 0;
}

inline std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

// Runs a command line to completion (bounded by `timeout_s`); returns its stdout.
inline std::string run_capture(const std::vector<std::string>& argv, int timeout_s = 120) {
  std::string cmd = "timeout " + std::to_string(timeout_s);
  for (const auto& a : argv) cmd += " " + shell_quote(a);
  cmd += " 2>/dev/null";
  std::string out;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  ::pclose(p);
  return out;
}

// A TLS channel for grpc_client.py: trusts `ca`, asks for and verifies `server_name`.
struct GrpcTls {
  std::string ca;
  std::string server_name = "localhost";
};

// grpc_client.py TARGET ARGS... -> its JSON answer (null when it printed none); over TLS
// when `tls` is set, h2c otherwise.
inline nlohmann::json grpc_call(const Endpoint& to, std::vector<std::string> args,
                                int timeout_s = 120, const GrpcTls* tls = nullptr) {
  std::vector<std::string> argv = {kPython, grpc_script("grpc_client.py")};
  if (tls) argv.insert(argv.end(), {"--tls", tls->ca, tls->server_name});
  argv.push_back(to.str());
  argv.insert(argv.end(), args.begin(), args.end());
  std::string out = run_capture(argv, timeout_s);
  auto j = nlohmann::json::parse(out, nullptr, false);
  if (j.is_discarded()) ADD_FAILURE() << "grpc_client printed no JSON: " << out;
  return j;
}

// nghttp -v's log lines that name a stream's response or its reset, with their times.
inline std::string nghttp_frames(const Endpoint& to, const std::vector<std::string>& paths,
                                 const std::vector<std::string>& extra = {}) {
  std::vector<std::string> argv = {"nghttp", "-v"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  for (const auto& p : paths) argv.push_back("http://" + to.str() + p);
  return run_capture(argv, 30);
}

// The time nghttp printed on the first line containing `what`, in ms; -1 when none.
inline double at_ms(const std::string& log, const std::string& what) {
  size_t at = log.find(what);
  if (at == std::string::npos) return -1;
  size_t line = log.rfind('\n', at);
  line = line == std::string::npos ? 0 : line + 1;
  return std::atof(log.c_str() + log.find('[', line) + 1) * 1000;
}

// One [[experiments]] table named `name` that matches requests whose path is `path` and has
// one fault made of `fault_lines` ("type = ..." and its keys, newline-separated).
inline std::string path_experiment(const std::string& name, const std::string& path,
                                   const std::string& fault_lines) {
  return "\n[[experiments]]\nname = \"" + name + "\"\n[experiments.match]\npaths = [\"" + path +
         "\"]\n[[experiments.faults]]\n" + fault_lines + "\n";
}

// at_ms of each of `whats` in order; a line that is missing fails the test (and reads -1).
inline std::vector<double> times_in(const std::string& log, const std::vector<std::string>& whats) {
  std::vector<double> out;
  for (const auto& what : whats) {
    out.push_back(at_ms(log, what));
    if (out.back() < 0) ADD_FAILURE() << "no \"" << what << "\" in\n" << log;
  }
  return out;
}

// The gRPC upstream: its gRPC port and its dual (HTTP/1.1 and h2c) port. With a certificate
// and key it serves TLS (ALPN h2) on its gRPC port, which dual_address() then names too.
class GrpcUpstream {
 public:
  GrpcUpstream(const std::string& tls_cert = "", const std::string& tls_key = "") {
    int in[2], out[2];
    if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      ::dup2(in[0], 0);
      ::dup2(out[1], 1);
      std::string script = grpc_script("grpc_upstream.py");
      if (!tls_cert.empty())
        ::execl(kPython, kPython, script.c_str(), "--tls", tls_cert.c_str(), tls_key.c_str(),
                static_cast<char*>(nullptr));
      ::execl(kPython, kPython, script.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(in[0]);
    ::close(out[1]);
    stdin_ = in[1];
    stdout_ = out[0];
    std::string text;
    auto deadline = Clock::now() + Millis(30000);
    while (Clock::now() < deadline && text.find("DUAL ") == std::string::npos) {
      pollfd p{stdout_, POLLIN, 0};
      if (::poll(&p, 1, 200) <= 0) continue;
      char buf[256];
      ssize_t n = ::read(stdout_, buf, sizeof buf);
      if (n <= 0) break;
      text.append(buf, static_cast<size_t>(n));
    }
    std::sscanf(text.c_str(), "PORT %hu\nDUAL %hu", &port_, &dual_);
  }
  ~GrpcUpstream() {
    if (stdin_ >= 0) ::close(stdin_);
    if (stdout_ >= 0) ::close(stdout_);
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  GrpcUpstream(const GrpcUpstream&) = delete;
  GrpcUpstream& operator=(const GrpcUpstream&) = delete;

  bool ready() const { return port_ != 0 && dual_ != 0; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string dual_address() const { return "127.0.0.1:" + std::to_string(dual_); }
  Endpoint endpoint() const { return {"127.0.0.1", port_}; }

 private:
  pid_t pid_ = -1;
  int stdin_ = -1;
  int stdout_ = -1;
  uint16_t port_ = 0;
  uint16_t dual_ = 0;
};

#define START_GRPC_UPSTREAM(var, ...)                            \
  ASSERT_TRUE(::faultline::harness::have_python_grpc())          \
      << "python3-grpcio missing: scripts/install-deps.sh test"; \
  ::faultline::harness::GrpcUpstream var{__VA_ARGS__};           \
  ASSERT_TRUE(var.ready()) << "grpc_upstream.py did not start"

}  // namespace faultline::harness
