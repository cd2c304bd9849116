// What a TLS listener writes (proxy/tls/layer.h), seen by a Python ssl client: a small
// response's head and body travel in one TLS record; large responses to a client that reads
// slowly (the socket takes only part of the records, the rest waits for the next write)
// arrive whole, byte for byte, over keep-alive and before a close; idle connections do not
// keep the buffers a large response needed.
#include <signal.h>
#include <unistd.h>

#include "tests/integration/tls_support.h"

namespace faultline::harness {
namespace {

constexpr uint64_t kLargeBody = 8ull << 20;
constexpr uint64_t kMiB = 1ull << 20;
constexpr int kIdleClients = 40;
// What an idle keep-alive TLS connection may keep after a large response (main kept the
// write BIO at its largest: about 130 KiB a connection after 1 MiB responses).
constexpr long kIdleConnectionBoundKiB = 96;
const std::string kSmallBody = "a small body that fits one record\n";

class TlsWrites : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(pki_.ok()) << pki_.error();
    up_.route("/small", [](Exchange& ex) {
      ex.read_body();
      ex.respond(200, kSmallBody);  // head and body in one send
    });
    up_.route("/large", handlers::stream(kLargeBody));
    up_.route("/mib", handlers::stream(kMiB));
  }
  std::string config() {
    return http_config(up_.address(), kHttp1Upstream + tls_table(pki_.cert(), pki_.key()));
  }
  // A Python client: `body` after the common prelude, for the proxy's listener.
  std::string script(const ProxyProcess& proxy, const std::string& body) {
    return dir_.write("client.py",
                      "import re, socket, ssl, sys, time\n"
                      "ctx = ssl.create_default_context(cafile='" +
                          pki_.ca() +
                          "')\n"
                          "ctx.set_alpn_protocols(['http/1.1'])\n"
                          "PORT = " +
                          std::to_string(proxy.listener("main").port) + "\nOUT = '" + dir_.path() +
                          "'\n" + body);
  }
  CommandResult python(const ProxyProcess& proxy, const std::string& body) {
    return run_shell("python3 " + q(script(proxy, body)), Millis(30000));
  }

  TestPki pki_;
  HttpUpstream up_;
  TempDir dir_;
};

TEST_F(TlsWrites, SmallResponseHeadAndBodyTravelInOneRecord) {
  START_PROXY(proxy, config());
  // TLS over memory BIOs: the client sees each record the proxy sent (its 5-byte header).
  auto r = python(proxy,
                  "sock = socket.create_connection(('127.0.0.1', PORT), timeout=10)\n"
                  "inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()\n"
                  "tls = ctx.wrap_bio(inc, out, server_hostname='localhost')\n"
                  "raw, records = b'', []\n"
                  "def send():\n"
                  "    data = out.read()\n"
                  "    if data: sock.sendall(data)\n"
                  "def receive():\n"
                  "    global raw\n"
                  "    data = sock.recv(65536)\n"
                  "    if not data: sys.exit('the proxy closed the connection')\n"
                  "    raw += data\n"
                  "    while len(raw) >= 5 and len(raw) >= 5 + int.from_bytes(raw[3:5], 'big'):\n"
                  "        n = 5 + int.from_bytes(raw[3:5], 'big')\n"
                  "        records.append(raw[0])\n"
                  "        inc.write(raw[:n])\n"
                  "        raw = raw[n:]\n"
                  "while True:\n"
                  "    try:\n"
                  "        tls.do_handshake()\n"
                  "        break\n"
                  "    except ssl.SSLWantReadError:\n"
                  "        send()\n"
                  "        receive()\n"
                  "send()\n"
                  "def exchange():\n"
                  "    tls.write(b'GET /small HTTP/1.1\\r\\nHost: localhost\\r\\n\\r\\n')\n"
                  "    send()\n"
                  "    records.clear()\n"
                  "    got = b''\n"
                  "    while not got.endswith(b'one record\\n'):\n"
                  "        try:\n"
                  "            got += tls.read(65536)\n"
                  "        except ssl.SSLWantReadError:\n"
                  "            receive()\n"
                  "    return got\n"
                  "exchange()  # the session ticket comes with the first exchange\n"
                  "got = exchange()\n"
                  "print(got.split(b' ')[1].decode(), len(records), records)\n");
  ASSERT_TRUE(exited_ok(r)) << r.err;
  // One application_data record (outer type 23) for the head and the body.
  EXPECT_EQ(r.out, "200 1 [23]\n");
}

TEST_F(TlsWrites, LargeResponsesReachASlowReaderWhole) {
  START_PROXY(proxy, config());
  // A small receive buffer and a pause before each read: the proxy's socket fills, so its
  // writes are taken in part and the rest is queued.
  auto r = python(proxy,
                  "s = socket.socket()\n"
                  "s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)\n"
                  "s.settimeout(20)\n"
                  "s.connect(('127.0.0.1', PORT))\n"
                  "t = ctx.wrap_socket(s, server_hostname='localhost')\n"
                  "for i, extra in enumerate(['', '', 'Connection: close\\r\\n']):\n"
                  "    t.sendall(('GET /large HTTP/1.1\\r\\nHost: localhost\\r\\n' + extra + "
                  "'\\r\\n').encode())\n"
                  "    time.sleep(0.3)\n"
                  "    data = b''\n"
                  "    while b'\\r\\n\\r\\n' not in data:\n"
                  "        data += t.recv(65536)\n"
                  "    head, body = data.split(b'\\r\\n\\r\\n', 1)\n"
                  "    length = int(re.search(rb'(?i)content-length: *(\\d+)', head).group(1))\n"
                  "    while len(body) < length:\n"
                  "        chunk = t.recv(1 << 20)\n"
                  "        if not chunk: break\n"
                  "        body += chunk\n"
                  "    open(OUT + '/body%d' % i, 'wb').write(body)\n"
                  "try:\n"
                  "    rest = t.recv(1)\n"
                  "except ssl.SSLError as e:\n"
                  "    rest = str(e).encode()\n"
                  "print('end', rest)\n");
  ASSERT_TRUE(exited_ok(r)) << r.err;
  EXPECT_EQ(r.out, "end b''\n");  // close_notify after the third response
  for (int i = 0; i < 3; ++i) {
    PatternChecker check;
    check(read_file(dir_.path() + "/body" + std::to_string(i)));
    EXPECT_EQ(check.bytes(), kLargeBody) << "response " << i;
    EXPECT_TRUE(check.intact()) << "response " << i << " differs at " << check.first_bad();
  }
}

TEST_F(TlsWrites, IdleConnectionsGiveBackWhatALargeResponseNeeded) {
  if (!kRssBoundApplies) GTEST_SKIP() << "RSS says nothing under AddressSanitizer";
  START_PROXY(proxy, config());
  ASSERT_TRUE(exited_ok(python(proxy,
                               "t = ctx.wrap_socket(socket.create_connection(('127.0.0.1', PORT)),"
                               " server_hostname='localhost')\n"
                               "t.sendall(b'GET /small HTTP/1.1\\r\\nHost: localhost\\r\\n"
                               "Connection: close\\r\\n\\r\\n')\n"
                               "while t.recv(65536): pass\n")));
  std::this_thread::sleep_for(300ms);
  const long baseline = rss_kib(proxy.pid());
  ASSERT_GT(baseline, 0);
  // Every client reads a whole large response, then all stay connected and idle.
  const std::string client =
      script(proxy,
             "conns = []\n"
             "for i in range(" +
                 std::to_string(kIdleClients) +
                 "):\n"
                 "    t = ctx.wrap_socket(socket.create_connection(('127.0.0.1', PORT)),"
                 " server_hostname='localhost')\n"
                 "    t.sendall(b'GET /mib HTTP/1.1\\r\\nHost: localhost\\r\\n\\r\\n')\n"
                 "    conns.append(t)\n"
                 "for t in conns:\n"
                 "    data = b''\n"
                 "    while b'\\r\\n\\r\\n' not in data:\n"
                 "        data += t.recv(65536)\n"
                 "    got = len(data.split(b'\\r\\n\\r\\n', 1)[1])\n"
                 "    while got < " +
                 std::to_string(kMiB) +
                 ":\n"
                 "        got += len(t.recv(1 << 20))\n"
                 "open(OUT + '/ready', 'w').close()\n"
                 "print('ready', flush=True)\n"
                 "time.sleep(30)\n");
  pid_t pid = spawn_process({"/bin/sh", "-c", "exec python3 " + q(client)}, {},
                            dir_.path() + "/out", dir_.path() + "/err");
  EXPECT_TRUE(eventually([&] { return ::access((dir_.path() + "/ready").c_str(), F_OK) == 0; },
                         Millis(30000)))
      << read_file(dir_.path() + "/err") << read_file(dir_.path() + "/out");
  // The slab pool gives its spares back after a second without use (SlabPool::decay).
  std::this_thread::sleep_for(2500ms);
  const long idle = rss_kib(proxy.pid());
  ::kill(pid, SIGKILL);
  wait_child(pid, Millis(5000));
  EXPECT_LT((idle - baseline) / kIdleClients, kIdleConnectionBoundKiB)
      << "baseline " << baseline << " KiB, " << idle << " KiB with " << kIdleClients
      << " idle connections";
}

}  // namespace
}  // namespace faultline::harness
