"""TLS clients (Python's ssl) for tests/integration/tls_writes_test.cc.

usage: tls_client.py CA_FILE PORT OUT_DIR MODE [ARGS]
  records          GET /small twice on one connection; prints the second response's status,
                   how many TLS records it came in and their outer content types
  slow             GET /large three times on one connection (the last with Connection: close),
                   with an 8 KiB receive buffer and a pause before each read; writes the bodies
                   to OUT_DIR/body0..2 and prints what follows the last one
  idle COUNT PATH  COUNT connections each read a whole response to GET PATH, then all stay
                   open and idle: OUT_DIR/ready says when
"""
import re
import socket
import ssl
import sys
import time

CA, PORT, OUT, MODE = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
ctx = ssl.create_default_context(cafile=CA)
ctx.set_alpn_protocols(['http/1.1'])


def request(path, extra=''):
    return ('GET %s HTTP/1.1\r\nHost: localhost\r\n%s\r\n' % (path, extra)).encode()


def read_response(recv):
    """Reads one Content-Length response with `recv`; returns (head, body)."""
    data = b''
    while b'\r\n\r\n' not in data:
        chunk = recv()
        if not chunk:
            sys.exit('the connection ended before the response head')
        data += chunk
    head, body = data.split(b'\r\n\r\n', 1)
    length = int(re.search(rb'(?i)content-length: *(\d+)', head).group(1))
    while len(body) < length:
        chunk = recv()
        if not chunk:
            break
        body += chunk
    return head, body


def connect(rcvbuf=None):
    sock = socket.socket()
    if rcvbuf:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.settimeout(20)
    sock.connect(('127.0.0.1', PORT))
    return sock


def records():
    # TLS over memory BIOs, so that every record the proxy sent is seen (its 5-byte header).
    sock = connect()
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = ctx.wrap_bio(inc, out, server_hostname='localhost')
    state = {'raw': b'', 'types': []}

    def send():
        data = out.read()
        if data:
            sock.sendall(data)

    def receive():
        data = sock.recv(65536)
        if not data:
            sys.exit('the proxy closed the connection')
        raw = state['raw'] + data
        while len(raw) >= 5 and len(raw) >= 5 + int.from_bytes(raw[3:5], 'big'):
            n = 5 + int.from_bytes(raw[3:5], 'big')
            state['types'].append(raw[0])
            inc.write(raw[:n])
            raw = raw[n:]
        state['raw'] = raw

    while True:
        try:
            tls.do_handshake()
            break
        except ssl.SSLWantReadError:
            send()
            receive()
    send()

    def recv():
        while True:
            try:
                return tls.read(65536)
            except ssl.SSLWantReadError:
                receive()

    for _ in range(2):  # the session ticket comes with the first exchange
        tls.write(request('/small'))
        send()
        state['types'] = []
        head, _ = read_response(recv)
    print(head.split(b' ')[1].decode(), len(state['types']), state['types'])


def slow():
    tls = ctx.wrap_socket(connect(rcvbuf=8192), server_hostname='localhost')
    for i, extra in enumerate(['', '', 'Connection: close\r\n']):
        tls.sendall(request('/large', extra))
        time.sleep(0.3)  # the proxy's socket fills meanwhile
        _, body = read_response(lambda: tls.recv(1 << 20))
        with open('%s/body%d' % (OUT, i), 'wb') as f:
            f.write(body)
    try:
        rest = tls.recv(1)
    except ssl.SSLError as e:
        rest = str(e).encode()
    print('end', rest)


def idle(count, path):
    conns = [ctx.wrap_socket(connect(), server_hostname='localhost') for _ in range(count)]
    for tls in conns:
        tls.sendall(request(path))
    for tls in conns:
        read_response(lambda: tls.recv(1 << 20))
    open(OUT + '/ready', 'w').close()
    time.sleep(60)


if MODE == 'records':
    records()
elif MODE == 'slow':
    slow()
elif MODE == 'idle':
    idle(int(sys.argv[5]), sys.argv[6])
else:
    sys.exit('unknown mode ' + MODE)
