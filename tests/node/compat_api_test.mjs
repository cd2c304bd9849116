// Toxiproxy's npm client (toxiproxy-node-client 4.1.0) against faultline's Toxiproxy API: it
// creates proxies on :0, adds each toxic and checks what the toxic does from the client's side
// of the data plane. Bounds are generous (a loaded 2-core box): lower bounds on delays, no
// tight upper bounds. Usage: node client_test.mjs FAULTLINE_BIN
import net from 'node:net';
import { createRequire } from 'node:module';
import { check, run, startFaultline as startProcess } from './test_support.mjs';

const require = createRequire(import.meta.url);
const { Toxiproxy } = require('toxiproxy-node-client');

const bin = process.argv[2];
const servers = [];
let child;

function listen(server) {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
}

// An echo upstream, and one that sends `size` bytes once the client has written one.
async function echoUpstream() {
  const server = net.createServer((s) => { s.on('error', () => {}); s.pipe(s); });
  servers.push(server);
  return `127.0.0.1:${await listen(server)}`;
}
async function sourceUpstream(size) {
  const server = net.createServer((s) => {
    s.on('error', () => {});
    s.once('data', () => s.end(Buffer.alloc(size, 0x61)));
  });
  servers.push(server);
  return `127.0.0.1:${await listen(server)}`;
}

async function startFaultline() {
  const started = await startProcess(bin, `
[compat.toxiproxy]
enabled = true
listen = "127.0.0.1:0"
`);
  child = started.child;
  return started.info;
}

function hostPort(listen) {
  const i = listen.lastIndexOf(':');
  return { host: listen.slice(0, i), port: Number(listen.slice(i + 1)) };
}

// Connects, writes `send`, collects what comes back until the connection ends (or `limitMs`).
function exchange(listen, send, limitMs = 10000) {
  return new Promise((resolve) => {
    const start = Date.now();
    const chunks = [];
    const { host, port } = hostPort(listen);
    const s = net.connect(port, host);
    let firstAt = null;
    let error = null;
    const done = () => resolve({
      bytes: Buffer.concat(chunks), pieces: chunks.length, firstMs: firstAt, endMs: Date.now() - start, error,
    });
    const timer = setTimeout(() => { s.destroy(); error = error ?? 'TIMEOUT'; }, limitMs);
    s.on('connect', () => s.write(send));
    s.on('data', (d) => { if (firstAt === null) firstAt = Date.now() - start; chunks.push(d); });
    s.on('error', (e) => { error = e.code; });
    s.on('close', () => { clearTimeout(timer); done(); });
  });
}

// Round trip of `text` through an echo upstream, keeping the connection open.
function roundTrip(listen, text) {
  return new Promise((resolve) => {
    const { host, port } = hostPort(listen);
    const s = net.connect(port, host);
    const start = Date.now();
    let got = '';
    s.on('connect', () => s.write(text));
    s.on('data', (d) => {
      got += d;
      if (got.length >= text.length) { s.destroy(); resolve({ ms: Date.now() - start, got }); }
    });
    s.on('error', (e) => resolve({ error: e.code }));
  });
}

// A connection kept open through an echo proxy: ping() writes and resolves with the round
// trip in ms once the echo is back; `closed` resolves with the time the connection ended.
function openConnection(listen) {
  return new Promise((resolve) => {
    const { host, port } = hostPort(listen);
    const s = net.connect(port, host);
    let got = '';
    let waiter = null;
    const conn = {
      closed: new Promise((r) => s.on('close', () => r(Date.now()))),
      ping(text) {
        return new Promise((r) => {
          const start = Date.now();
          got = '';
          waiter = () => { if (got.length >= text.length) { waiter = null; r(Date.now() - start); } };
          s.write(text);
        });
      },
    };
    s.on('data', (d) => { got += d; if (waiter) waiter(); });
    s.on('error', () => {});
    s.on('connect', () => resolve(conn));
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function main() {
  const info = await startFaultline();
  const toxiproxy = new Toxiproxy(`http://${info.toxiproxy}`);
  const echo = await echoUpstream();

  check((await toxiproxy.getVersion()).trim() === '2.12.0', 'GET /version');

  const proxy = await toxiproxy.createProxy({ name: 'echo', listen: '127.0.0.1:0', upstream: echo });
  check(hostPort(proxy.listen).port > 0, `createProxy resolves listen (${proxy.listen})`);
  const plain = await roundTrip(proxy.listen, 'hello');
  check(plain.got === 'hello', 'the proxy relays');

  // latency: 300 ms on the downstream stream, per chunk.
  const latency = await proxy.addToxic({ type: 'latency', stream: 'downstream', attributes: { latency: 300 } });
  check(latency.attributes.latency === 300 && latency.attributes.jitter === 0, 'latency echoes its attributes');
  const slow = await roundTrip(proxy.listen, 'ping');
  check(slow.ms >= 300, `latency delays the answer (${slow.ms} ms)`);
  await latency.remove();
  const fast = await roundTrip(proxy.listen, 'ping');
  check(fast.ms < 300, `removing the toxic removes the delay (${fast.ms} ms)`);

  // Toxics act on connections already open, as Toxiproxy's do: added, the next bytes suffer
  // them; removed, they stop.
  const open = await openConnection(proxy.listen);
  const before = await open.ping('a');
  const openLatency = await proxy.addToxic({ type: 'latency', attributes: { latency: 300 } });
  const during = await open.ping('b');
  check(during >= 300, `a latency toxic added slows an open connection (${before} -> ${during} ms)`);
  await openLatency.update({ attributes: { latency: 600 } });
  const updated = await open.ping('u');
  check(updated >= 600, `updating the toxic changes the open connection's delay (${updated} ms)`);
  await openLatency.remove();
  const after = await open.ping('c');
  check(after < 300, `removing it stops delaying that connection (${after} ms)`);
  const addedAt = Date.now();
  const openTimeout = await proxy.addToxic({ type: 'timeout', attributes: { timeout: 300 } });
  const openClosed = await Promise.race([open.closed, sleep(5000).then(() => null)]);
  check(openClosed !== null && openClosed - addedAt >= 300,
    `a timeout toxic added closes an open connection after its timeout (${openClosed && openClosed - addedAt} ms)`);
  await openTimeout.remove();
  // Disabling a proxy closes its open connections.
  const open2 = await openConnection(proxy.listen);
  await open2.ping('d');
  await proxy.update({ enabled: false });
  const open2Closed = await Promise.race([open2.closed, sleep(2000).then(() => null)]);
  check(open2Closed !== null, 'disabling a proxy closes its open connections');
  await proxy.update({ enabled: true });

  // timeout: data upstream is dropped, and the connection closes after 400 ms.
  const timeout = await proxy.addToxic({ type: 'timeout', stream: 'upstream', attributes: { timeout: 400 } });
  const dropped = await exchange(proxy.listen, 'lost');
  check(dropped.bytes.length === 0, 'timeout drops the data');
  check(dropped.endMs >= 400 && dropped.error !== 'TIMEOUT', `timeout closes after its time (${dropped.endMs} ms)`);
  await timeout.remove();

  // reset_peer: the stream's first data is dropped and the client reset `timeout` ms later
  // (0: at once).
  const reset = await proxy.addToxic({ type: 'reset_peer', attributes: { timeout: 500 } });
  const rst = await exchange(proxy.listen, 'x');
  check(rst.error === 'ECONNRESET' && rst.bytes.length === 0,
    `reset_peer resets and drops the data (${rst.error}, ${rst.bytes.length} bytes)`);
  check(rst.endMs >= 500, `reset_peer resets no earlier than its timeout (${rst.endMs} ms)`);
  await reset.remove();
  const resetNow = await proxy.addToxic({ type: 'reset_peer', stream: 'upstream', attributes: { timeout: 0 } });
  const rstNow = await exchange(proxy.listen, 'x');
  check(rstNow.error === 'ECONNRESET' && rstNow.endMs < 500,
    `reset_peer timeout 0 resets at the first data (${rstNow.error}, ${rstNow.endMs} ms)`);
  await resetNow.remove();

  // Toxics on a proxy in front of an upstream that sends 20000 bytes.
  const source = await sourceUpstream(20000);
  const big = await toxiproxy.createProxy({ name: 'source', listen: '127.0.0.1:0', upstream: source });

  // limit_data: the connection closes cleanly after 1000 bytes.
  const limit = await big.addToxic({ type: 'limit_data', attributes: { bytes: 1000 } });
  const limited = await exchange(big.listen, 'go');
  check(limited.bytes.length === 1000 && !limited.error, `limit_data stops at 1000 bytes (${limited.bytes.length}, ${limited.error})`);
  await limit.remove();

  // bandwidth: 10 KB/s, so 20000 bytes take about 2 s (1 s at least, whatever the burst).
  const bandwidth = await big.addToxic({ type: 'bandwidth', attributes: { rate: 10 } });
  const throttled = await exchange(big.listen, 'go');
  check(throttled.bytes.length === 20000, 'bandwidth delivers everything');
  check(throttled.endMs >= 1000, `bandwidth spreads the bytes over time (${throttled.endMs} ms)`);
  await bandwidth.remove();

  // slicer: pieces of about 100 bytes, 5 ms apart (delay in microseconds).
  const slicer = await big.addToxic({ type: 'slicer', attributes: { average_size: 100, size_variation: 10, delay: 5000 } });
  const sliced = await exchange(big.listen, 'go');
  check(sliced.bytes.length === 20000, 'slicer delivers everything');
  check(sliced.pieces >= 20, `slicer delivers in pieces (${sliced.pieces} reads)`);
  await slicer.remove();

  // slow_close: the close comes 300 ms after the data.
  const slowClose = await big.addToxic({ type: 'slow_close', attributes: { delay: 300 } });
  const lingering = await exchange(big.listen, 'go');
  check(lingering.bytes.length === 20000 && lingering.endMs >= 300, `slow_close delays the close (${lingering.endMs} ms)`);
  await slowClose.remove();

  // enabled: false refuses connections; /reset enables it again and removes every toxic.
  await proxy.addToxic({ type: 'latency', attributes: { latency: 500 } });
  const disabled = await proxy.update({ enabled: false });
  check(disabled.enabled === false, 'update({enabled:false})');
  const refused = await exchange(proxy.listen, 'x', 3000);
  check(refused.error === 'ECONNREFUSED', `a disabled proxy refuses (${refused.error})`);
  await toxiproxy.reset();
  const restored = await toxiproxy.get('echo');
  check(restored.enabled === true && restored.listen === proxy.listen, 'reset enables it on the same address');
  const again = await roundTrip(proxy.listen, 'back');
  check(again.got === 'back' && again.ms < 500, `reset removed the toxics (${again.ms} ms)`);

  // populate and getAll.
  const populated = await toxiproxy.populate([{ name: 'p1', listen: '127.0.0.1:0', upstream: echo }]);
  check(hostPort(populated.p1.listen).port > 0, 'populate');
  const all = await toxiproxy.getAll();
  check(Object.keys(all).sort().join(',') === 'echo,p1,source', 'getAll lists every proxy');
  await all.p1.remove();
  check(Object.keys(await toxiproxy.getAll()).length === 2, 'remove deletes the proxy');
}

await run(main, () => {
  if (child) child.kill('SIGTERM');
  for (const s of servers) s.close();
});
