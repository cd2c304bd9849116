// TLS origination ([listeners.upstream_tls], SPEC §9) to a real TLS upstream (Python's ssl
// and http.server): SNI and name verification against server_name, the CA file, verify =
// false, session resumption counted, and a wrong name answered 502 with a clear log line.
#include <signal.h>

#include "tests/integration/tls_support.h"

namespace faultline::harness {
namespace {

// An HTTPS server in a Python child: /hello answers on a keep-alive connection, /close closes
// the connection after answering (so the next request needs a new TLS connection).
class PythonTlsUpstream {
 public:
  PythonTlsUpstream(const std::string& cert, const std::string& key) {
    const std::string script =
        "import http.server, ssl, sys\n"
        "class H(http.server.BaseHTTPRequestHandler):\n"
        "    protocol_version = 'HTTP/1.1'\n"
        "    def do_GET(self):\n"
        "        if self.path.startswith('/eof'):\n"
        "            # A body delimited by the connection's end; /eof-clean ends the TLS\n"
        "            # session with close_notify first, /eof-cut just closes the socket.\n"
        "            self.send_response(200)\n"
        "            self.send_header('Connection', 'close')\n"
        "            self.end_headers()\n"
        "            self.wfile.write(b'eof body\\n')\n"
        "            self.wfile.flush()\n"
        "            self.close_connection = True\n"
        "            if self.path == '/eof-clean':\n"
        "                try:\n"
        "                    self.connection.unwrap()\n"
        "                except Exception:\n"
        "                    pass\n"
        "            return\n"
        "        body = b'hello from tls upstream\\n'\n"
        "        self.send_response(200)\n"
        "        self.send_header('Content-Length', str(len(body)))\n"
        "        if self.path == '/close':\n"
        "            self.send_header('Connection', 'close')\n"
        "            self.close_connection = True\n"
        "        self.end_headers()\n"
        "        self.wfile.write(body)\n"
        "    def log_message(self, *args):\n"
        "        pass\n"
        "ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)\n"
        "ctx.load_cert_chain(sys.argv[1], sys.argv[2])\n"
        "srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), H)\n"
        "srv.socket = ctx.wrap_socket(srv.socket, server_side=True)\n"
        "print(srv.server_address[1], flush=True)\n"
        "srv.serve_forever()\n";
    const std::string path = dir_.write("upstream.py", script);
    out_ = dir_.path() + "/out";
    pid_ =
        spawn_process({"/usr/bin/env", "python3", path, cert, key}, {}, out_, dir_.path() + "/err");
    eventually(
        [&] {
          std::string text = read(out_);
          if (text.find('\n') == std::string::npos) return false;
          port_ = std::stoi(text);
          return true;
        },
        10s);
  }
  ~PythonTlsUpstream() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      wait_child(pid_, Millis(5000));
    }
  }
  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string errors() const { return read(dir_.path() + "/err"); }

 private:
  static std::string read(const std::string& path) {
    std::string s;
    if (FILE* f = std::fopen(path.c_str(), "rb")) {
      char buf[1024];
      size_t n;
      while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) s.append(buf, n);
      std::fclose(f);
    }
    return s;
  }
  TempDir dir_;
  std::string out_;
  pid_t pid_ = -1;
  int port_ = 0;
};

class TlsOrigination : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(pki_.ok()) << pki_.error();
    ASSERT_GT(up_.port(), 0) << up_.errors();
  }
  std::string config(const std::string& upstream_tls) {
    return http_config(up_.address(),
                       "\n[listeners.upstream_tls]\nenabled = true\n" + upstream_tls);
  }
  double metric(const ProxyProcess& proxy, const std::string& series) {
    return metric_value(admin_get(proxy, "/metrics").body, series);
  }

  TestPki pki_;
  PythonTlsUpstream up_{pki_.cert(), pki_.key()};
};

TEST_F(TlsOrigination, VerifiedUpstreamAnswers) {
  START_PROXY(proxy, config("server_name = \"localhost\"\nca_file = \"" + pki_.ca() + "\"\n"));
  for (int i = 0; i < 3; ++i) {
    // /close: the upstream ends each connection, so every request needs a new handshake.
    auto r = one_request(proxy.listener("main"), get_request("/close", {{"Connection", "close"}}));
    ASSERT_TRUE(r.complete()) << to_string(r.io);
    EXPECT_EQ(r.status(), 200);
    EXPECT_EQ(r.body, "hello from tls upstream\n");
  }
  EXPECT_EQ(
      metric(proxy, "faultline_upstream_tls_handshakes_total{listener=\"main\",result=\"ok\"}"), 3);
}

// An HTTP/2 client on a listener with upstream_protocol = "http1" and [listeners.upstream_tls]:
// its stream goes to the upstream as HTTP/1.1 over TLS, never in cleartext.
TEST_F(TlsOrigination, Http2StreamsGoOverHttp1AndTls) {
  START_PROXY(proxy, http_config(up_.address(),
                                 "upstream_protocol = \"http1\"\n"
                                 "[listeners.upstream_tls]\nenabled = true\n"
                                 "server_name = \"localhost\"\nca_file = \"" +
                                     pki_.ca() + "\"\n"));
  const CommandResult r = run_shell("curl -s -D - --http2-prior-knowledge http://" +
                                    proxy.listener("main").str() + "/hello");
  EXPECT_NE(r.out.find("HTTP/2 200"), std::string::npos) << r.out << r.err;
  EXPECT_NE(r.out.find("hello from tls upstream"), std::string::npos) << r.out << r.err;
  EXPECT_EQ(
      metric(proxy, "faultline_upstream_tls_handshakes_total{listener=\"main\",result=\"ok\"}"), 1);
}

// The upstream (TLS 1.3) sends its tickets after the handshake; the proxy keeps the newest one
// and the next connection resumes it, even though every connection ends without close_notify
// (the upstream closes after /close), which OpenSSL would otherwise take as a reason to forget
// the session.
TEST_F(TlsOrigination, RepeatConnectionsResume) {
  START_PROXY(proxy, config("server_name = \"localhost\"\nca_file = \"" + pki_.ca() + "\"\n"));
  for (int i = 0; i < 3; ++i) {
    auto r = one_request(proxy.listener("main"), get_request("/close", {{"Connection", "close"}}));
    ASSERT_TRUE(r.complete()) << to_string(r.io);
    EXPECT_EQ(r.status(), 200);
  }
  EXPECT_EQ(
      metric(proxy, "faultline_upstream_tls_handshakes_total{listener=\"main\",result=\"ok\"}"), 3);
  EXPECT_EQ(metric(proxy, "faultline_upstream_tls_resumed_total{listener=\"main\"}"), 2)
      << "repeat connections to the same upstream did full handshakes";
}

TEST_F(TlsOrigination, KeepAliveUpstreamConnectionIsReused) {
  START_PROXY(proxy, config("server_name = \"localhost\"\nca_file = \"" + pki_.ca() + "\"\n"));
  RawClient client(proxy.listener("main"));
  for (int i = 0; i < 3; ++i) {
    auto r = client.request(get_request("/hello"), 10s);
    ASSERT_TRUE(r.complete()) << to_string(r.io);
    EXPECT_EQ(r.body, "hello from tls upstream\n");
  }
  EXPECT_EQ(
      metric(proxy, "faultline_upstream_tls_handshakes_total{listener=\"main\",result=\"ok\"}"), 1);
}

TEST_F(TlsOrigination, WrongNameGives502AndSaysWhy) {
  START_PROXY(proxy, config("server_name = \"wrong.example\"\nca_file = \"" + pki_.ca() + "\"\n"));
  auto r = one_request(proxy.listener("main"), get_request("/hello", {{"Connection", "close"}}));
  ASSERT_TRUE(r.complete()) << to_string(r.io);
  EXPECT_EQ(r.status(), 502);
  EXPECT_EQ(
      metric(proxy, "faultline_upstream_tls_handshakes_total{listener=\"main\",result=\"error\"}"),
      1);
  EXPECT_TRUE(eventually([&] {
    const std::string err = proxy.stderr_text();
    return err.find("certificate verification failed") != std::string::npos &&
           err.find("wrong.example") != std::string::npos;
  })) << proxy.stderr_text();
}

TEST_F(TlsOrigination, UpstreamEndWithoutCloseNotifyIsNotACompleteBody) {
  START_PROXY(proxy, config("server_name = \"localhost\"\nca_file = \"" + pki_.ca() + "\"\n"));
  auto clean =
      one_request(proxy.listener("main"), get_request("/eof-clean", {{"Connection", "close"}}));
  EXPECT_TRUE(clean.complete()) << to_string(clean.io);
  EXPECT_EQ(clean.body, "eof body\n");
  // Without close_notify the end of the connection may be a truncation: the client sees the
  // cut (a reset), not a complete body.
  auto cut =
      one_request(proxy.listener("main"), get_request("/eof-cut", {{"Connection", "close"}}));
  EXPECT_EQ(cut.io, IoStatus::kReset) << to_string(cut.io);
  EXPECT_EQ(metric(proxy, "faultline_upstream_errors_total{listener=\"main\",kind=\"reset\"}"), 1);
}

TEST_F(TlsOrigination, UntrustedUpstreamIsRefusedUnlessVerifyIsOff) {
  // The system store does not know the test CA.
  {
    START_PROXY(proxy, config("server_name = \"localhost\"\n"));
    auto r = one_request(proxy.listener("main"), get_request("/hello", {{"Connection", "close"}}));
    ASSERT_TRUE(r.complete()) << to_string(r.io);
    EXPECT_EQ(r.status(), 502);
  }
  START_PROXY(proxy, config("verify = false\n"));
  auto r = one_request(proxy.listener("main"), get_request("/hello", {{"Connection", "close"}}));
  ASSERT_TRUE(r.complete()) << to_string(r.io);
  EXPECT_EQ(r.status(), 200);
  EXPECT_EQ(r.body, "hello from tls upstream\n");
}

}  // namespace
}  // namespace faultline::harness
