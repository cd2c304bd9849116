#pragma once
// Helpers for the TLS tests: certificates made at run time with the openssl command line
// (ECDSA P-256, a throwaway CA; no private key is checked in), real TLS clients run through
// /bin/sh, and the [listeners.tls] lines of a config.
#include <string>
#include <vector>

#include "tests/integration/support.h"

namespace faultline::harness {

// Runs `sh -c script` to completion (killed after `timeout`).
inline CommandResult run_shell(const std::string& script, Millis timeout = Millis(20000)) {
  TempDir dir;
  const std::string out = dir.path() + "/stdout", err = dir.path() + "/stderr";
  CommandResult result;
  pid_t pid = spawn_process({"/bin/sh", "-c", script}, {}, out, err);
  result.status = wait_child(pid, timeout);
  if (!result.status) {
    ::kill(pid, SIGKILL);
    wait_child(pid, Millis(5000));
  }
  auto slurp = [](const std::string& path) {
    std::string s;
    if (FILE* f = std::fopen(path.c_str(), "rb")) {
      char buf[4096];
      size_t n;
      while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) s.append(buf, n);
      std::fclose(f);
    }
    return s;
  };
  result.out = slurp(out);
  result.err = slurp(err);
  return result;
}

inline bool exited_ok(const CommandResult& r) {
  return r.status && r.status->exited && r.status->code == 0;
}

// A throwaway CA and leaf certificates it signs, for names localhost and 127.0.0.1.
class TestPki {
 public:
  TestPki() {
    ok_ =
        run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
            "-keyout ca.key -out ca.crt -subj /CN=faultline-test-ca -days 2");
    ok_ = ok_ && issue("server", 4097) && issue("client", 8193);
  }
  bool ok() const { return ok_; }
  const std::string& error() const { return error_; }
  std::string path(const std::string& name) const { return dir_.path() + "/" + name; }
  std::string ca() const { return path("ca.crt"); }
  std::string cert() const { return path("server.crt"); }
  std::string key() const { return path("server.key"); }
  const TempDir& dir() const { return dir_; }

  // NAME.crt and NAME.key signed by the CA, with serial `serial` (hex in openssl's output).
  bool issue(const std::string& name, long serial, const std::string& cn = "localhost") {
    return run("openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout " + name +
               ".key -out " + name + ".csr -subj /CN=" + cn +
               " && printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' > " + name +
               ".ext && openssl x509 -req -in " + name + ".csr -CA ca.crt -CAkey ca.key " +
               "-set_serial " + std::to_string(serial) + " -days 2 -extfile " + name +
               ".ext -out " + name + ".crt");
  }

 private:
  bool run(const std::string& script) {
    auto r = run_shell("cd '" + dir_.path() + "' && " + script);
    if (!exited_ok(r)) {
      error_ = script + ": " + r.err;
      return false;
    }
    return true;
  }
  TempDir dir_;
  bool ok_ = false;
  std::string error_;
};

// One experiment with one fault: `match` is the body of [experiments.match] (may be empty).
inline std::string experiment(const std::string& name, const std::string& match,
                              const std::string& fault) {
  return "\n[[experiments]]\nname = \"" + name + "\"\n" +
         (match.empty() ? "" : "[experiments.match]\n" + match + "\n") +
         "[[experiments.faults]]\n" + fault + "\n";
}

// A listener key for tests whose upstream speaks HTTP/1.1 only: its TLS then offers ALPN
// http/1.1 alone (with the default "auto", an h2 client's requests would go upstream as h2c).
inline const std::string kHttp1Upstream = "upstream_protocol = \"http1\"\n";

// The [listeners.tls] table (to append as a listener's extra lines).
inline std::string tls_table(const std::string& cert, const std::string& key,
                             const std::string& more = "") {
  return "\n[listeners.tls]\ncert_file = \"" + cert + "\"\nkey_file = \"" + key + "\"\n" + more;
}

// The value of one Prometheus sample line in `metrics`, or -1.
inline double metric_value(const std::string& metrics, const std::string& series) {
  size_t at = 0;
  while ((at = metrics.find(series, at)) != std::string::npos) {
    if (at == 0 || metrics[at - 1] == '\n') {
      size_t sp = at + series.size();
      if (sp < metrics.size() && metrics[sp] == ' ') return std::stod(metrics.substr(sp + 1));
    }
    at += series.size();
  }
  return -1;
}

inline std::string q(const std::string& s) {
  return "'" + s + "'";
}

// A TLS listener (the test PKI's certificate) in front of an HTTP/1.1 upstream.
class TlsListenerTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(pki_.ok()) << pki_.error(); }
  std::string config() {
    return http_config(up_.address(), kHttp1Upstream + tls_table(pki_.cert(), pki_.key()));
  }

  TestPki pki_;
  HttpUpstream up_;
};

}  // namespace faultline::harness
