// What a TLS listener writes (proxy/tls/layer.h), seen by a Python ssl client: a small
// response's head and body travel in one TLS record; large responses to a client that reads
// slowly (the socket takes only part of the records, the rest waits for the next write)
// arrive whole, byte for byte, over keep-alive and before a close.
#include "tests/integration/tls_support.h"

namespace faultline::harness {
namespace {

constexpr uint64_t kLargeBody = 8ull << 20;
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
  }
  std::string config() {
    return http_config(up_.address(), kHttp1Upstream + tls_table(pki_.cert(), pki_.key()));
  }
  // Runs a Python client (`body`, after the common prelude) against the proxy's listener.
  CommandResult python(const ProxyProcess& proxy, const std::string& body) {
    const std::string script =
        "import re, socket, ssl, sys, time\n"
        "ctx = ssl.create_default_context(cafile='" +
        pki_.ca() +
        "')\n"
        "ctx.set_alpn_protocols(['http/1.1'])\n"
        "PORT = " +
        std::to_string(proxy.listener("main").port) + "\nOUT = '" + dir_.path() + "'\n" + body;
    return run_shell("python3 " + q(dir_.write("client.py", script)), Millis(30000));
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

}  // namespace
}  // namespace faultline::harness
