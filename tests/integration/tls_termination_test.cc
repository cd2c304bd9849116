// TLS termination ([listeners.tls], SPEC §9) with real clients: curl, openssl s_client,
// gnutls-cli (a second TLS stack) and Python's ssl; mTLS; version floor; bad input (garbage,
// a stalled handshake, a client silent after the server's flight, a TLS 1.0-only client)
// closed and counted; certificate errors at start-up reported at the key that names the file.
#include <signal.h>

#include "tests/integration/tls_support.h"

namespace faultline::harness {
namespace {

class TlsTermination : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(pki_.ok()) << pki_.error();
    up_.route("/hello", [](Exchange& ex) {
      ex.read_body();
      ex.respond(200, "hello over tls\n");
    });
  }
  // The upstream speaks HTTP/1.1 only (kHttp1Upstream): the listener then offers ALPN
  // http/1.1 alone, even to clients that offer h2 first (OpensslClientNegotiatesHttp11ByAlpn).
  std::string config(const std::string& tls_more = "", const std::string& listener_extra = "") {
    return http_config(up_.address(), kHttp1Upstream + listener_extra +
                                          tls_table(pki_.cert(), pki_.key(), tls_more));
  }
  std::string port(const ProxyProcess& proxy) {
    return std::to_string(proxy.listener("main").port);
  }
  std::string curl(const ProxyProcess& proxy, const std::string& more = "") {
    const std::string p = port(proxy);
    return "curl -sS --max-time 10 --cacert " + q(pki_.ca()) + " --resolve localhost:" + p +
           ":127.0.0.1 " + more + " https://localhost:" + p + "/hello";
  }
  std::string metrics(const ProxyProcess& proxy) { return admin_get(proxy, "/metrics").body; }
  double handshakes(const ProxyProcess& proxy, const std::string& result) {
    return metric_value(
        metrics(proxy),
        "faultline_tls_handshakes_total{listener=\"main\",result=\"" + result + "\"}");
  }

  TestPki pki_;
  HttpUpstream up_;
};

TEST_F(TlsTermination, CurlGetsTheUpstreamResponseOverKeepAlive) {
  START_PROXY(proxy, config());
  // Two URLs in one curl run: the second request reuses the TLS connection.
  auto r = run_shell(curl(proxy, "-w '%{http_version} %{num_connects}\\n'") +
                     " https://localhost:" + port(proxy) +
                     "/hello -w '%{http_version} %{num_connects}\\n'");
  ASSERT_TRUE(exited_ok(r)) << r.err;
  EXPECT_EQ(r.out, "hello over tls\n1.1 1\nhello over tls\n1.1 0\n");
  EXPECT_EQ(handshakes(proxy, "ok"), 1);
  EXPECT_EQ(handshakes(proxy, "error"), 0);
  EXPECT_GT(metric_value(metrics(proxy), "faultline_tls_cert_expiry_seconds{listener=\"main\"}"),
            static_cast<double>(::time(nullptr)));
  // The certificate's expiry and serial in /v1/status.
  const std::string status = admin_get(proxy, "/v1/status").body;
  EXPECT_NE(status.find("\"cert_serial\":\"1001\""), std::string::npos) << status;
  EXPECT_NE(status.find("\"cert_not_after\":\""), std::string::npos) << status;
}

TEST_F(TlsTermination, OpensslClientNegotiatesHttp11ByAlpn) {
  START_PROXY(proxy, config());
  auto r = run_shell(
      "printf 'GET /hello HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n' | "
      "openssl s_client -connect 127.0.0.1:" +
      port(proxy) + " -servername localhost -alpn h2,http/1.1 -CAfile " + q(pki_.ca()) +
      " -verify_return_error -ign_eof 2>&1");
  EXPECT_NE(r.out.find("ALPN protocol: http/1.1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Verify return code: 0 (ok)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("HTTP/1.1 200"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("hello over tls"), std::string::npos) << r.out;
}

TEST_F(TlsTermination, GnutlsClientWorks) {
  START_PROXY(proxy, config());
  auto r = run_shell(
      // stdin stays open a moment: gnutls-cli ends the session at stdin's EOF.
      "(printf 'GET /hello HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n'; "
      "sleep 2) | gnutls-cli --x509cafile " +
      q(pki_.ca()) + " --port " + port(proxy) +
      " --verify-hostname localhost --alpn http/1.1 127.0.0.1 2>&1");
  EXPECT_NE(r.out.find("HTTP/1.1 200"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("hello over tls"), std::string::npos) << r.out;
  EXPECT_EQ(handshakes(proxy, "ok"), 1);
}

TEST_F(TlsTermination, PythonSslClientWorks) {
  START_PROXY(proxy, config());
  const std::string script =
      "import socket, ssl\n"
      "ctx = ssl.create_default_context(cafile='" +
      pki_.ca() +
      "')\n"
      "ctx.set_alpn_protocols(['h2', 'http/1.1'])\n"
      "s = ctx.wrap_socket(socket.create_connection(('127.0.0.1', " +
      port(proxy) +
      "), timeout=10), server_hostname='localhost')\n"
      "s.sendall(b'GET /hello HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n')\n"
      "data = b''\n"
      "while True:\n"
      "    chunk = s.recv(65536)\n"
      "    if not chunk: break\n"
      "    data += chunk\n"
      "print(s.version(), s.selected_alpn_protocol())\n"
      "print(data.decode())\n";
  TempDir dir;
  auto r = run_shell("python3 " + q(dir.write("client.py", script)));
  ASSERT_TRUE(exited_ok(r)) << r.err;
  EXPECT_EQ(r.out.rfind("TLSv1.3 http/1.1\n", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("hello over tls"), std::string::npos) << r.out;
}

TEST_F(TlsTermination, MinVersion13RefusesTls12) {
  START_PROXY(proxy, config("min_version = \"1.3\"\n"));
  auto r = run_shell(curl(proxy, "--tls-max 1.2"));
  EXPECT_FALSE(exited_ok(r)) << r.out;
  ASSERT_TRUE(eventually([&] { return handshakes(proxy, "error") == 1; }));
  auto ok = run_shell(curl(proxy, "--tlsv1.3"));
  EXPECT_TRUE(exited_ok(ok)) << ok.err;
}

TEST_F(TlsTermination, Tls10OnlyClientIsRefusedAndCounted) {
  START_PROXY(proxy, config());
  // The client's own floor is lowered so that it really offers TLS 1.0 on the wire.
  auto r = run_shell("openssl s_client -connect 127.0.0.1:" + port(proxy) +
                     " -tls1 -cipher 'DEFAULT:@SECLEVEL=0' </dev/null 2>&1");
  EXPECT_NE(r.out.find("Protocol  : TLSv1\n"), std::string::npos) << r.out;  // it offered 1.0
  EXPECT_EQ(r.out.find("Server certificate"), std::string::npos) << r.out;
  EXPECT_TRUE(eventually([&] { return handshakes(proxy, "error") == 1; })) << r.out;
  EXPECT_EQ(handshakes(proxy, "ok"), 0);
}

TEST_F(TlsTermination, GarbageInsteadOfClientHelloIsClosedAndCounted) {
  START_PROXY(proxy, config());
  RawClient client(proxy.listener("main"));
  ASSERT_TRUE(client.connected());
  client.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
  auto d = client.read_until_close(5s);
  EXPECT_NE(d.io, IoStatus::kTimeout) << "the proxy kept a connection that sent garbage";
  EXPECT_EQ(d.bytes.find("hello over tls"), std::string::npos);
  EXPECT_TRUE(eventually([&] { return handshakes(proxy, "error") == 1; }));
  // Still serving.
  auto ok = run_shell(curl(proxy));
  EXPECT_TRUE(exited_ok(ok)) << ok.err;
}

TEST_F(TlsTermination, StalledHandshakeIsClosedWithinHeaderTimeout) {
  START_PROXY(proxy, config("", "header_timeout = \"1s\"\nidle_timeout = \"60s\"\n"));
  RawClient client(proxy.listener("main"));
  ASSERT_TRUE(client.connected());
  // The first bytes of a ClientHello record, then nothing.
  client.send(std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11));
  auto start = Clock::now();
  auto d = client.read_until_close(10s);
  EXPECT_NE(d.io, IoStatus::kTimeout);
  EXPECT_GE(elapsed_ms(start), 800);
  EXPECT_LT(elapsed_ms(start), 5000);
  EXPECT_TRUE(eventually([&] { return handshakes(proxy, "error") == 1; }));
}

// A request that arrives in the same segment as the client's Finished (the TLS layer reads both
// into its read BIO at once; OpenSSL consumes only the Finished while completing the handshake)
// is answered without the client writing again: nothing else would wake the connection.
TEST_F(TlsTermination, RequestSentWithTheFinishedIsAnsweredWithoutAnotherWrite) {
  START_PROXY(proxy, config());
  TempDir dir;
  const std::string script =
      "import socket, ssl, sys\n"
      "ctx = ssl.create_default_context(cafile=sys.argv[2])\n"
      "ctx.minimum_version = ssl.TLSVersion.TLSv1_3\n"
      "incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()\n"
      "tls = ctx.wrap_bio(incoming, outgoing, server_hostname='localhost')\n"
      "s = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=10)\n"
      "writes = 0\n"
      "while True:\n"
      "    try:\n"
      "        tls.do_handshake()\n"
      "        break\n"
      "    except ssl.SSLWantReadError:\n"
      "        if outgoing.pending:\n"
      "            s.sendall(outgoing.read())  # the ClientHello\n"
      "            writes += 1\n"
      "        data = s.recv(65536)\n"
      "        if not data:\n"
      "            sys.exit('closed during the handshake')\n"
      "        incoming.write(data)\n"
      "# The Finished is still in outgoing: the request joins it, in one write.\n"
      "tls.write(b'GET /hello HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n')\n"
      "s.sendall(outgoing.read())\n"
      "writes += 1\n"
      "response = b''\n"
      "try:\n"
      "    while b'hello over tls' not in response:\n"
      "        try:\n"
      "            response += tls.read(65536)\n"
      "        except ssl.SSLWantReadError:\n"
      "            data = s.recv(65536)\n"
      "            if not data:\n"
      "                break\n"
      "            incoming.write(data)\n"
      "        if outgoing.pending:\n"
      "            sys.exit('the client had more to write')\n"
      "except (ssl.SSLZeroReturnError, socket.timeout) as e:\n"
      "    print('ended: %r' % e)\n"
      "print('writes=%d %s' % (writes, response.split(b'\\r\\n')[0].decode()))\n"
      "print('body' if b'hello over tls' in response else 'no body')\n";
  auto r = run_shell("python3 " + q(dir.write("client.py", script)) + " " + port(proxy) + " " +
                     q(pki_.ca()));
  EXPECT_EQ(r.out, "writes=2 HTTP/1.1 200 OK\nbody\n") << r.err;
  EXPECT_EQ(handshakes(proxy, "ok"), 1);
}

// A client that sends a whole ClientHello, reads the server's flight and then goes silent
// (never its Finished) is closed at header_timeout too, and counted.
TEST_F(TlsTermination, ClientSilentAfterTheServersFlightIsClosedWithinHeaderTimeout) {
  START_PROXY(proxy, config("", "header_timeout = \"1s\"\nidle_timeout = \"60s\"\n"));
  TempDir dir;
  const std::string script =
      "import socket, ssl, sys, time\n"
      "ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)\n"
      "ctx.check_hostname = False\n"
      "ctx.verify_mode = ssl.CERT_NONE\n"
      "incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()\n"
      "tls = ctx.wrap_bio(incoming, outgoing, server_hostname='localhost')\n"
      "try:\n"
      "    tls.do_handshake()\n"
      "except ssl.SSLWantReadError:\n"
      "    pass\n"
      "s = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=20)\n"
      "s.sendall(outgoing.read())  # the ClientHello\n"
      "start = time.monotonic()\n"
      "got = 0\n"
      "while True:\n"
      "    data = s.recv(65536)\n"
      "    if not data:\n"
      "        break\n"
      "    got += len(data)  # the server's flight; we never answer it\n"
      "print('closed %d %.3f' % (got, time.monotonic() - start))\n";
  auto r = run_shell("python3 " + q(dir.write("client.py", script)) + " " + port(proxy));
  ASSERT_EQ(r.out.rfind("closed ", 0), 0u) << r.out << r.err;
  const size_t space = r.out.find(' ', 7);
  EXPECT_GT(std::stol(r.out.substr(7, space - 7)), 0) << "no server flight: " << r.out;
  const double seconds = std::stod(r.out.substr(space + 1));
  EXPECT_GE(seconds, 0.8) << r.out;
  EXPECT_LT(seconds, 10) << r.out;
  EXPECT_TRUE(eventually([&] { return handshakes(proxy, "error") == 1; }));
  EXPECT_EQ(handshakes(proxy, "ok"), 0);
}

TEST_F(TlsTermination, MutualTlsAcceptsSignedClientsAndRefusesOthers) {
  START_PROXY(proxy, config("client_ca_file = \"" + pki_.ca() + "\"\n"));
  auto refused = run_shell(curl(proxy));
  EXPECT_FALSE(exited_ok(refused)) << refused.out;
  EXPECT_EQ(refused.out.find("hello over tls"), std::string::npos);
  auto ok = run_shell(
      curl(proxy, "--cert " + q(pki_.path("client.crt")) + " --key " + q(pki_.path("client.key"))));
  ASSERT_TRUE(exited_ok(ok)) << ok.err;
  EXPECT_EQ(ok.out, "hello over tls\n");
  EXPECT_EQ(handshakes(proxy, "ok"), 1);
  EXPECT_EQ(handshakes(proxy, "error"), 1);
}

TEST_F(TlsTermination, TcpListenerRelaysPlaintext) {
  TcpUpstream echo(tcp_handlers::echo());
  ConfigSpec spec;
  ListenerSpec l;
  l.protocol = "tcp";
  l.upstream = echo.address();
  l.extra = tls_table(pki_.cert(), pki_.key());
  spec.listeners.push_back(l);
  START_PROXY(proxy, config_toml(spec));
  const std::string script =
      "import socket, ssl\n"
      "ctx = ssl.create_default_context(cafile='" +
      pki_.ca() +
      "')\n"
      "s = ctx.wrap_socket(socket.create_connection(('127.0.0.1', " +
      port(proxy) +
      "), timeout=10), server_hostname='localhost')\n"
      "s.sendall(b'ping over tls')\n"
      "data = b''\n"
      "while len(data) < 13:\n"
      "    chunk = s.recv(64)\n"
      "    if not chunk: break\n"
      "    data += chunk\n"
      "print(data.decode(), end='')\n";
  TempDir dir;
  auto r = run_shell("python3 " + q(dir.write("client.py", script)));
  ASSERT_TRUE(exited_ok(r)) << r.err;
  EXPECT_EQ(r.out, "ping over tls");
  EXPECT_EQ(echo.bytes_received(), 13u);
}

TEST_F(TlsTermination, UnreadableOrMismatchedFilesAreCheckErrorsAtTheirKey) {
  TempDir dir;
  // A missing certificate: `check` names cert_file's line and column; `run` exits 2.
  const std::string missing = dir.write(
      "missing.toml", http_config(up_.address(), tls_table(dir.path() + "/nope.crt", pki_.key())));
  auto check = run_faultline({"check", "--config", missing});
  ASSERT_TRUE(check.status && check.status->exited);
  EXPECT_EQ(check.status->code, 1);
  EXPECT_NE(check.err.find(missing + ":"), std::string::npos) << check.err;
  EXPECT_NE(check.err.find("listeners[0].tls.cert_file: cannot read"), std::string::npos)
      << check.err;
  auto run = run_faultline({"run", "--config", missing});
  ASSERT_TRUE(run.status && run.status->exited);
  EXPECT_EQ(run.status->code, 2) << run.err;
  EXPECT_NE(run.err.find("listeners[0].tls.cert_file"), std::string::npos) << run.err;

  // A key that belongs to another certificate: reported at key_file.
  const std::string mismatched =
      dir.write("mismatched.toml",
                http_config(up_.address(), tls_table(pki_.cert(), pki_.path("client.key"))));
  check = run_faultline({"check", "--config", mismatched});
  ASSERT_TRUE(check.status && check.status->exited);
  EXPECT_EQ(check.status->code, 1);
  EXPECT_NE(check.err.find("listeners[0].tls.key_file:"), std::string::npos) << check.err;
  EXPECT_NE(check.err.find("does not match"), std::string::npos) << check.err;
  // FILE:LINE:COL: the key_file line of the config.
  const std::string text =
      http_config(up_.address(), tls_table(pki_.cert(), pki_.path("client.key")));
  int line = 1;
  for (size_t i = 0; i < text.find("key_file"); ++i) line += text[i] == '\n';
  EXPECT_NE(check.err.find(mismatched + ":" + std::to_string(line) + ":"), std::string::npos)
      << check.err;
  run = run_faultline({"run", "--config", mismatched});
  ASSERT_TRUE(run.status && run.status->exited);
  EXPECT_EQ(run.status->code, 2) << run.err;
}

// OpenSSL is loaded with the first TLS context (proxy/tls/openssl_library.h): a faultline
// without TLS never maps libssl or libcrypto, which linked the usual way added about 1.8 MiB
// to its idle RSS; one with a TLS listener has them and serves TLS.
TEST_F(TlsTermination, OpensslIsLoadedOnlyWhenTlsIsConfigured) {
  auto maps_openssl = [](const ProxyProcess& proxy) {
    const std::string maps = read_file("/proc/" + std::to_string(proxy.pid()) + "/maps");
    EXPECT_FALSE(maps.empty());
    return maps.find("/libssl.so") != std::string::npos ||
           maps.find("/libcrypto.so") != std::string::npos;
  };
  {
    START_PROXY(plain, http_config(up_.address()));
    EXPECT_EQ(one_request(plain.listener("main"), get_request("/hello")).status(), 200);
    EXPECT_FALSE(maps_openssl(plain));
  }
  START_PROXY(proxy, config());
  EXPECT_TRUE(maps_openssl(proxy));
  auto r = run_shell(curl(proxy));
  ASSERT_TRUE(exited_ok(r)) << r.err;
  EXPECT_EQ(r.out, "hello over tls\n");
}

}  // namespace
}  // namespace faultline::harness
