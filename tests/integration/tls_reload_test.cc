// Certificate reload (SPEC §9): a Kubernetes Secret's `..data` symlink swap with
// watch_config, and SIGHUP. New handshakes get the new certificate, connections already open
// keep their session, and a broken certificate is refused like a failed reload.
#include <signal.h>

#include <filesystem>
#include <thread>

#include "tests/integration/tls_support.h"

namespace faultline::harness {
namespace {

namespace fs = std::filesystem;

class TlsReload : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(pki_.ok()) << pki_.error();
    ASSERT_TRUE(pki_.issue("rotated", 0x3001)) << pki_.error();
    up_.route("/hello", [](Exchange& ex) {
      ex.read_body();
      ex.respond(200, "hello\n");
    });
    // A Secret volume: tls.crt -> ..data/tls.crt, ..data -> ..v1 (a timestamped directory).
    secret_ = pki_.dir().path() + "/secret";
    make_secret(secret_, pki_.cert(), pki_.key());
  }
  // A Secret volume in `dir` holding `cert` and `key` as ..v1.
  static void make_secret(const std::string& dir, const std::string& cert, const std::string& key) {
    fs::create_directories(dir + "/..v1");
    fs::copy_file(cert, dir + "/..v1/tls.crt");
    fs::copy_file(key, dir + "/..v1/tls.key");
    fs::create_directory_symlink("..v1", dir + "/..data");
    fs::create_symlink("..data/tls.crt", dir + "/tls.crt");
    fs::create_symlink("..data/tls.key", dir + "/tls.key");
  }
  // Points ..data at a new directory holding `cert` and `key`, atomically (rename).
  void swap_secret(const std::string& version, const std::string& cert, const std::string& key,
                   std::string secret = "") {
    if (secret.empty()) secret = secret_;
    fs::create_directories(secret + "/" + version);
    fs::copy_file(cert, secret + "/" + version + "/tls.crt");
    fs::copy_file(key, secret + "/" + version + "/tls.key");
    fs::create_directory_symlink(version, secret + "/..data_tmp");
    fs::rename(secret + "/..data_tmp", secret + "/..data");
  }
  // The serial of the certificate a new handshake gets, as openssl prints it ("3001").
  std::string served_serial(const ProxyProcess& proxy) {
    auto r = run_shell(
        "openssl s_client -connect 127.0.0.1:" + std::to_string(proxy.listener("main").port) +
        " -servername localhost </dev/null 2>/dev/null | openssl x509 -noout -serial");
    std::string out = r.out;
    if (out.rfind("serial=", 0) != 0) return "";
    out = out.substr(7);
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    return out;
  }
  double reload_errors(const ProxyProcess& proxy) {
    return metric_value(admin_get(proxy, "/metrics").body,
                        "faultline_config_reloads_total{result=\"error\"}");
  }

  TestPki pki_;
  HttpUpstream up_;
  std::string secret_;
};

TEST_F(TlsReload, SecretSwapServesTheNewCertificateAndKeepsOpenConnections) {
  ConfigSpec spec;
  ListenerSpec l;
  l.upstream = up_.address();
  l.extra = kHttp1Upstream + tls_table(secret_ + "/tls.crt", secret_ + "/tls.key");
  spec.listeners.push_back(l);
  spec.runtime_extra = "watch_config = true";
  START_PROXY(proxy, config_toml(spec));
  ASSERT_EQ(served_serial(proxy), "1001");

  // A keep-alive client: one request, then (once told) a second one on the same connection.
  TempDir dir;
  const std::string go = dir.path() + "/go";
  const std::string script =
      "import os, socket, ssl, sys, time\n"
      "ctx = ssl.create_default_context(cafile='" +
      pki_.ca() +
      "')\n"
      "s = ctx.wrap_socket(socket.create_connection(('127.0.0.1', " +
      std::to_string(proxy.listener("main").port) +
      "), timeout=10), server_hostname='localhost')\n"
      "def get():\n"
      "    s.sendall(b'GET /hello HTTP/1.1\\r\\nHost: localhost\\r\\n\\r\\n')\n"
      "    data = b''\n"
      "    while not data.endswith(b'hello\\n'):\n"
      "        chunk = s.recv(4096)\n"
      "        if not chunk: break\n"
      "        data += chunk\n"
      "    return data\n"
      "print('first', b'200' in get(), flush=True)\n"
      "while not os.path.exists('" +
      go +
      "'): time.sleep(0.02)\n"
      "print('second', b'200' in get(), flush=True)\n";
  const std::string out = dir.path() + "/client.out";
  pid_t client = spawn_process({"/usr/bin/env", "python3", dir.write("client.py", script)}, {}, out,
                               dir.path() + "/client.err");
  auto client_output = [&] { return run_shell("cat " + q(out)).out; };
  ASSERT_TRUE(
      eventually([&] { return client_output().find("first True") != std::string::npos; }, 10s))
      << client_output() << run_shell("cat " + q(dir.path() + "/client.err")).out;

  auto swapped = Clock::now();
  swap_secret("..v2", pki_.path("rotated.crt"), pki_.path("rotated.key"));
  EXPECT_TRUE(eventually([&] { return served_serial(proxy) == "3001"; }, 5s));
  EXPECT_LT(elapsed_ms(swapped), 5000) << "the new certificate took long to be served";

  // The connection opened before the swap still works.
  run_shell("touch " + q(go));
  auto status = wait_child(client, Millis(10000));
  ASSERT_TRUE(status && status->exited) << client_output();
  EXPECT_EQ(status->code, 0) << run_shell("cat " + q(dir.path() + "/client.err")).out;
  EXPECT_NE(client_output().find("second True"), std::string::npos) << client_output();

  // A broken certificate is not applied: the last good one keeps serving, the error counts.
  const double errors_before = reload_errors(proxy);
  const std::string broken = dir.write("broken.crt", "-----BEGIN CERTIFICATE-----\nnope\n");
  swap_secret("..v3", broken, pki_.path("rotated.key"));
  EXPECT_TRUE(eventually([&] { return reload_errors(proxy) > errors_before; }, 5s));
  EXPECT_EQ(served_serial(proxy), "3001");
  auto r = run_shell("curl -sS --max-time 10 --cacert " + q(pki_.ca()) +
                     " --resolve localhost:" + std::to_string(proxy.listener("main").port) +
                     ":127.0.0.1 https://localhost:" + std::to_string(proxy.listener("main").port) +
                     "/hello");
  EXPECT_EQ(r.out, "hello\n") << r.err;
}

// The files watched follow the running config: a reload that points the listener at another
// Secret makes that Secret's swaps reload too (and the first one's no longer matters).
TEST_F(TlsReload, CertificatesNamedByAReloadAreWatched) {
  ASSERT_TRUE(pki_.issue("second", 0x5001)) << pki_.error();
  ASSERT_TRUE(pki_.issue("third", 0x6001)) << pki_.error();
  const std::string other = pki_.dir().path() + "/other-secret";
  make_secret(other, pki_.path("second.crt"), pki_.path("second.key"));
  auto config_with = [&](const std::string& secret) {
    ConfigSpec spec;
    ListenerSpec l;
    l.upstream = up_.address();
    l.extra = tls_table(secret + "/tls.crt", secret + "/tls.key");
    spec.listeners.push_back(l);
    spec.runtime_extra = "watch_config = true";
    return config_toml(spec);
  };
  START_PROXY(proxy, config_with(secret_));
  ASSERT_EQ(served_serial(proxy), "1001");

  // The config watch reloads the rewritten file: the listener now serves the other Secret.
  proxy.dir().write("faultline.toml", config_with(other));
  ASSERT_TRUE(eventually([&] { return served_serial(proxy) == "5001"; }, 5s))
      << proxy.stderr_text();

  // Its ..data swap is seen as well: a new handshake gets the new serial.
  swap_secret("..v2", pki_.path("third.crt"), pki_.path("third.key"), other);
  EXPECT_TRUE(eventually([&] { return served_serial(proxy) == "6001"; }, 5s))
      << "a certificate named by a reload was not watched\n"
      << proxy.stderr_text();

  // The first Secret is no longer named: its swaps reload nothing.
  const double reloads = metric_value(admin_get(proxy, "/metrics").body,
                                      "faultline_config_reloads_total{result=\"ok\"}");
  swap_secret("..v2", pki_.path("rotated.crt"), pki_.path("rotated.key"));
  std::this_thread::sleep_for(1500ms);  // well past the watch's 200 ms debounce
  EXPECT_EQ(metric_value(admin_get(proxy, "/metrics").body,
                         "faultline_config_reloads_total{result=\"ok\"}"),
            reloads);
  EXPECT_EQ(served_serial(proxy), "6001");
}

TEST_F(TlsReload, SighupRereadsTheCertificate) {
  const std::string cert = pki_.dir().path() + "/live.crt";
  const std::string key = pki_.dir().path() + "/live.key";
  fs::copy_file(pki_.cert(), cert);
  fs::copy_file(pki_.key(), key);
  START_PROXY(proxy, http_config(up_.address(), tls_table(cert, key)));
  ASSERT_EQ(served_serial(proxy), "1001");
  fs::copy_file(pki_.path("rotated.crt"), cert, fs::copy_options::overwrite_existing);
  fs::copy_file(pki_.path("rotated.key"), key, fs::copy_options::overwrite_existing);
  proxy.signal(SIGHUP);
  EXPECT_TRUE(eventually([&] { return served_serial(proxy) == "3001"; }, 5s));
  // A key that does not match: refused, the running certificate stays.
  fs::copy_file(pki_.path("client.key"), key, fs::copy_options::overwrite_existing);
  const double errors_before = reload_errors(proxy);
  auto reload = one_request(proxy.admin(),
                            "POST /v1/reload HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                            "Content-Length: 0\r\nConnection: close\r\n\r\n");
  ASSERT_TRUE(reload.complete());
  EXPECT_GE(reload.status(), 400);
  EXPECT_NE(reload.body.find("key_file"), std::string::npos) << reload.body;
  EXPECT_EQ(reload_errors(proxy), errors_before + 1);
  EXPECT_EQ(served_serial(proxy), "3001");
}

}  // namespace
}  // namespace faultline::harness
