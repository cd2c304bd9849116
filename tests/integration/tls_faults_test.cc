// TLS handshake faults (SPEC §9): tls_handshake_delay and tls_abort on a TLS listener, matched
// by match.sni and match.sources, seen from real clients (curl, openssl s_client, Python's
// ssl): the delay on the client's clock, the named fatal alert, a reset; the kill switch
// releasing a held handshake; metrics and the access log; `check` refusing them on a listener
// without TLS.
#include <signal.h>

#include "tests/integration/tls_support.h"

namespace faultline::harness {
namespace {

class TlsFaults : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(pki_.ok()) << pki_.error();
    up_.route("/hello", [](Exchange& ex) {
      ex.read_body();
      ex.respond(200, "hello\n");
    });
  }
  std::string config(const std::string& experiments, const std::string& protocol = "http") {
    ConfigSpec spec;
    ListenerSpec l;
    l.upstream = up_.address();
    l.protocol = protocol;
    l.extra = (protocol == "http" ? kHttp1Upstream : "") + tls_table(pki_.cert(), pki_.key());
    spec.listeners.push_back(l);
    spec.tail = experiments;
    // The access log on, in JSON.
    std::string text = config_toml(spec);
    const std::string quiet = "format = \"text\"\naccess_log = false";
    text.replace(text.find(quiet), quiet.size(), "format = \"json\"\naccess_log = true");
    return text;
  }
  static std::string logs(const ProxyProcess& proxy) {
    return proxy.stdout_text() + proxy.stderr_text();
  }
  static std::string port(const ProxyProcess& proxy) {
    return std::to_string(proxy.listener("main").port);
  }
  // A Python ssl client's handshake with server name `sni`: "ok SECONDS", "alert REASON",
  // "reset" or "other ...".
  std::string python_handshake(const ProxyProcess& proxy, const std::string& sni) {
    const std::string script =
        "import socket, ssl, sys, time\n"
        "ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)\n"
        "ctx.check_hostname = False\n"
        "ctx.verify_mode = ssl.CERT_NONE\n"
        "s = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=30)\n"
        "t = time.monotonic()\n"
        "try:\n"
        "    ctx.wrap_socket(s, server_hostname=sys.argv[2])\n"
        "    print('ok %.3f' % (time.monotonic() - t))\n"
        "except ConnectionResetError:\n"
        "    print('reset')\n"
        "except ssl.SSLError as e:\n"
        "    print('alert %s' % e.reason)\n"
        "except Exception as e:\n"
        "    print('other %r' % e)\n";
    TempDir dir;
    auto r =
        run_shell("python3 " + q(dir.write("client.py", script)) + " " + port(proxy) + " " + sni);
    std::string out = r.out;
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out.empty() ? "no output: " + r.err : out;
  }
  static double seconds_of(const std::string& ok_line) {
    return ok_line.rfind("ok ", 0) == 0 ? std::stod(ok_line.substr(3)) : -1;
  }
  double metric(const ProxyProcess& proxy, const std::string& series) {
    return metric_value(admin_get(proxy, "/metrics").body, series);
  }
  double injected(const ProxyProcess& proxy, const std::string& experiment,
                  const std::string& fault) {
    return metric(proxy, "faultline_faults_injected_total{experiment=\"" + experiment +
                             "\",fault=\"" + fault + "\"}");
  }

  TestPki pki_;
  HttpUpstream up_;
};

TEST_F(TlsFaults, HandshakeDelayHoldsMatchingServerNamesOnly) {
  START_PROXY(proxy, config(experiment("slow-api", "sni = [\"api.*\"]",
                                       "type = \"tls_handshake_delay\"\ndelay = \"1500ms\"")));
  // curl's own clock: the TLS handshake ends (time_appconnect) after the delay, and the
  // request then goes through; the connection's first response names the fault, the second
  // (same connection) does not.
  const std::string p = port(proxy);
  const std::string url = "https://api.example.com:" + p + "/hello";
  auto r = run_shell("curl -sS -k --max-time 20 -D - --resolve api.example.com:" + p +
                     ":127.0.0.1 -w 'appconnect=%{time_appconnect}\\n' " + url + " " + url);
  ASSERT_TRUE(exited_ok(r)) << r.err;
  const size_t first = r.out.find("appconnect=");
  ASSERT_NE(first, std::string::npos) << r.out;
  EXPECT_GE(std::stod(r.out.substr(first + 11)), 1.4) << r.out;
  EXPECT_NE(r.out.find("x-chaos-injected: tls_handshake_delay=1s500ms@slow-api\r\n"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(r.out.find("x-chaos-injected", first), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("hello\n", first), std::string::npos) << r.out;

  const std::string held = python_handshake(proxy, "API.example.com");  // names are caseless
  EXPECT_GE(seconds_of(held), 1.4) << held;
  // Another name is not held (and not counted).
  const std::string other = python_handshake(proxy, "www.example.com");
  EXPECT_GE(seconds_of(other), 0) << other;
  EXPECT_EQ(injected(proxy, "slow-api", "tls_handshake_delay"), 2);
  EXPECT_EQ(metric(proxy, "faultline_experiment_matched_total{experiment=\"slow-api\"}"), 2);
  EXPECT_EQ(metric(proxy, "faultline_tls_handshakes_total{listener=\"main\",result=\"ok\"}"), 3);
  // One access-log line per faulted handshake, with what was held.
  EXPECT_TRUE(eventually([&] {
    const std::string err = logs(proxy);
    return err.find("\"protocol\":\"tls\"") != std::string::npos &&
           err.find(
               "\"type\":\"tls_handshake_delay\",\"source\":\"experiment\","
               "\"experiment\":\"slow-api\",\"delay_ms\":1500") != std::string::npos;
  })) << logs(proxy);
}

// The hold is ours: the listener's handshake timeout (header_timeout) starts after it.
TEST_F(TlsFaults, DelayLongerThanTheHandshakeTimeoutStillCompletes) {
  std::string text =
      config(experiment("slow", "", "type = \"tls_handshake_delay\"\ndelay = \"2s\""));
  const std::string tls = "\n[listeners.tls]";
  text.insert(text.find(tls), "\nheader_timeout = \"1s\"");
  START_PROXY(proxy, text);
  const std::string held = python_handshake(proxy, "localhost");
  EXPECT_GE(seconds_of(held), 1.9) << held;
  EXPECT_EQ(metric(proxy, "faultline_tls_handshakes_total{listener=\"main\",result=\"error\"}"), 0);
}

// A client that gives up while its handshake is held: the hold ends, the line says so.
TEST_F(TlsFaults, ClientLeavingDuringTheHoldIsLogged) {
  START_PROXY(proxy,
              config(experiment("slow", "", "type = \"tls_handshake_delay\"\ndelay = \"10s\"")));
  TempDir dir;
  const std::string script =
      "import socket, ssl, sys, time\n"
      "ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)\n"
      "ctx.check_hostname = False\n"
      "ctx.verify_mode = ssl.CERT_NONE\n"
      "s = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=0.5)\n"
      "try:\n"
      "    ctx.wrap_socket(s, server_hostname='localhost')\n"
      "    print('completed')\n"
      "except socket.timeout:\n"
      "    print('gave up')\n";
  auto r = run_shell("python3 " + q(dir.write("client.py", script)) + " " + port(proxy));
  EXPECT_EQ(r.out, "gave up\n") << r.err;
  EXPECT_TRUE(eventually([&] {
    const std::string err = logs(proxy);
    return err.find("\"injected\":false,\"ending\":\"client_closed\"") != std::string::npos &&
           err.find("\"type\":\"tls_handshake_delay\"") != std::string::npos;
  })) << logs(proxy);
}

TEST_F(TlsFaults, AbortSendsTheNamedFatalAlert) {
  START_PROXY(proxy, config(experiment("internal", "sni = [\"internal.example.com\"]",
                                       "type = \"tls_abort\"\nalert = \"internal_error\"") +
                            experiment("default-alert", "sni = [\"*.fail.example.com\"]",
                                       "type = \"tls_abort\"")));
  auto s = run_shell("openssl s_client -connect 127.0.0.1:" + port(proxy) +
                     " -servername internal.example.com </dev/null 2>&1");
  EXPECT_NE(s.out.find("alert internal error"), std::string::npos) << s.out;
  EXPECT_NE(s.out.find("SSL alert number 80"), std::string::npos) << s.out;
  EXPECT_EQ(python_handshake(proxy, "internal.example.com"), "alert TLSV1_ALERT_INTERNAL_ERROR");
  // Without `alert`: handshake_failure.
  EXPECT_EQ(python_handshake(proxy, "a.fail.example.com"), "alert SSLV3_ALERT_HANDSHAKE_FAILURE");
  // Not matched: a normal handshake.
  EXPECT_GE(seconds_of(python_handshake(proxy, "fail.example.com")), 0);

  EXPECT_EQ(injected(proxy, "internal", "tls_abort"), 2);
  EXPECT_EQ(injected(proxy, "default-alert", "tls_abort"), 1);
  EXPECT_EQ(metric(proxy, "faultline_tls_handshakes_total{listener=\"main\",result=\"error\"}"), 3);
  EXPECT_TRUE(eventually([&] {
    const std::string err = logs(proxy);
    return err.find("\"injected\":true,\"ending\":\"tls_alert\"") != std::string::npos &&
           err.find("\"experiment\":\"internal\",\"alert\":\"internal_error\"") !=
               std::string::npos;
  })) << logs(proxy);
}

TEST_F(TlsFaults, AbortWithResetResetsTheConnection) {
  START_PROXY(proxy, config(experiment("rst", "", "type = \"tls_abort\"\nreset = true")));
  EXPECT_EQ(python_handshake(proxy, "localhost"), "reset");
  auto s = run_shell("openssl s_client -connect 127.0.0.1:" + port(proxy) +
                     " -servername localhost </dev/null 2>&1");
  EXPECT_NE(s.out.find("errno=104"), std::string::npos) << s.out;  // ECONNRESET
  EXPECT_EQ(injected(proxy, "rst", "tls_abort"), 2);
}

TEST_F(TlsFaults, SourcesSelectTheClients) {
  START_PROXY(proxy,
              config(experiment("elsewhere", "sources = [\"10.0.0.0/8\"]",
                                "type = \"tls_abort\"\nalert = \"access_denied\"") +
                     experiment("here", "sources = [\"127.0.0.0/8\"]\nsni = [\"here.example\"]",
                                "type = \"tls_abort\"\nalert = \"access_denied\"")));
  EXPECT_GE(seconds_of(python_handshake(proxy, "there.example")), 0);
  EXPECT_EQ(python_handshake(proxy, "here.example"), "alert TLSV1_ALERT_ACCESS_DENIED");
  EXPECT_EQ(injected(proxy, "elsewhere", "tls_abort"), 0);
  EXPECT_EQ(injected(proxy, "here", "tls_abort"), 1);
}

TEST_F(TlsFaults, TcpListenerHandshakeIsHeldToo) {
  TcpUpstream echo(tcp_handlers::echo());
  ConfigSpec spec;
  ListenerSpec l;
  l.upstream = echo.address();
  l.protocol = "tcp";
  l.extra = tls_table(pki_.cert(), pki_.key());
  spec.listeners.push_back(l);
  spec.tail = experiment("slow", "", "type = \"tls_handshake_delay\"\ndelay = \"1s\"");
  START_PROXY(proxy, config_toml(spec));
  const std::string held = python_handshake(proxy, "localhost");
  EXPECT_GE(seconds_of(held), 0.9) << held;
  EXPECT_EQ(injected(proxy, "slow", "tls_handshake_delay"), 1);
}

TEST_F(TlsFaults, HaltReleasesAHeldHandshake) {
  START_PROXY(proxy, config(experiment("long", "",
                                       "type = \"tls_handshake_delay\"\n"
                                       "delay = \"20s\"")));
  TempDir dir;
  const std::string out = dir.path() + "/client.out";
  const std::string script =
      "import socket, ssl, sys, time\n"
      "ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)\n"
      "ctx.check_hostname = False\n"
      "ctx.verify_mode = ssl.CERT_NONE\n"
      "s = socket.create_connection(('127.0.0.1', " +
      port(proxy) +
      "), timeout=60)\n"
      "ctx.wrap_socket(s, server_hostname='localhost')\n"
      "print('done', flush=True)\n";
  const auto started = Clock::now();
  pid_t client = spawn_process({"/usr/bin/env", "python3", dir.write("client.py", script)}, {}, out,
                               dir.path() + "/client.err");
  // The handshake is being held.
  ASSERT_TRUE(eventually([&] { return injected(proxy, "long", "tls_handshake_delay") == 1; }, 10s));
  auto halt = one_request(proxy.admin(),
                          "POST /v1/halt HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          "Content-Length: 0\r\nConnection: close\r\n\r\n");
  ASSERT_TRUE(halt.complete());
  ASSERT_EQ(halt.status(), 200) << halt.body;
  const auto halted = Clock::now();
  auto status = wait_child(client, Millis(15000));
  ASSERT_TRUE(status && status->exited) << "the held handshake was not released";
  EXPECT_EQ(status->code, 0) << run_shell("cat " + q(dir.path() + "/client.err")).out;
  // Released by the kill switch, long before the 20 s delay (bounds generous for a loaded box).
  EXPECT_LT(elapsed_ms(halted), 5000);
  EXPECT_LT(elapsed_ms(started), 15000);
  // While halted, no new handshake is held.
  EXPECT_GE(seconds_of(python_handshake(proxy, "localhost")), 0);
  EXPECT_EQ(injected(proxy, "long", "tls_handshake_delay"), 1);
}

TEST_F(TlsFaults, CheckRefusesThemAndMatchSniWithoutTls) {
  TempDir dir;
  const std::string plain = dir.write(
      "plain.toml",
      "[[listeners]]\nname = \"plain\"\nlisten = \"127.0.0.1:0\"\nupstream = \"127.0.0.1:1\"\n"
      "\n[[experiments]]\nname = \"x\"\n[[experiments.faults]]\ntype = \"tls_abort\"\n");
  auto r = run_faultline({"check", "--config", plain});
  ASSERT_TRUE(r.status && r.status->exited);
  EXPECT_EQ(r.status->code, 1);
  EXPECT_NE((r.out + r.err)
                .find(plain + ":9:1: experiments[0].faults[0].type: tls_abort applies to TLS "
                              "listeners only; this experiment runs on listener \"plain\""),
            std::string::npos)
      << r.out << r.err;

  // match.sni with a request fault: fine on a TLS listener (SPEC §9 names the requests'
  // server name), a check error on a listener without TLS, where no request has one.
  const std::string sni_fault =
      "\n[[experiments]]\nname = \"x\"\n[experiments.match]\nsni = [\"a.example\"]\n"
      "[[experiments.faults]]\ntype = \"latency\"\ndelay = \"1s\"\n";
  const std::string sni = dir.write(
      "sni.toml",
      "[[listeners]]\nname = \"main\"\nlisten = \"127.0.0.1:0\"\nupstream = \"127.0.0.1:1\"\n" +
          tls_table(pki_.cert(), pki_.key()) + sni_fault);
  r = run_faultline({"check", "--config", sni});
  ASSERT_TRUE(r.status && r.status->exited);
  EXPECT_EQ(r.status->code, 0) << r.out << r.err;
  const std::string sni_plain = dir.write(
      "sni-plain.toml",
      "[[listeners]]\nname = \"plain\"\nlisten = \"127.0.0.1:0\"\nupstream = \"127.0.0.1:1\"\n" +
          sni_fault);
  r = run_faultline({"check", "--config", sni_plain});
  ASSERT_TRUE(r.status && r.status->exited);
  EXPECT_EQ(r.status->code, 1);
  EXPECT_NE((r.out + r.err)
                .find("experiments[0].match.sni: match.sni is read from the TLS ClientHello and "
                      "applies to tls_handshake_delay, tls_abort and requests on TLS http "
                      "listeners; this experiment runs on listener \"plain\", which has no "
                      "[listeners.tls]"),
            std::string::npos)
      << r.out << r.err;
}

}  // namespace
}  // namespace faultline::harness
