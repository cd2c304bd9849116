// npm @grpc/grpc-js (Node's gRPC implementation) as a client of faultline in front of the
// python3-grpcio upstream (tests/harness/grpc/grpc_upstream.py): unary and server-streaming
// calls relayed byte for byte with their trailers, gRPC aborts seen as the call's status (by
// header trigger, by experiment, after K messages of a stream), and each reset code seen as the
// gRPC status grpc-js maps it to. Generic calls on raw bytes, no code generation.
// Usage: node client_test.mjs FAULTLINE_BIN GRPC_UPSTREAM_PY
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import readline from 'node:readline';
import { createRequire } from 'node:module';
import { check, run, startFaultline as startProcess } from './test_support.mjs';

const require = createRequire(import.meta.url);
const grpc = require('@grpc/grpc-js');

const [bin, upstreamScript] = process.argv.slice(2);
const children = [];

// The Python gRPC upstream; resolves with its port once it prints "PORT n".
function startUpstream() {
  const child = spawn('/usr/bin/python3', [upstreamScript], { stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      const m = /^PORT (\d+)$/.exec(line);
      if (m) resolve(Number(m[1]));
    });
    child.on('exit', () => reject(new Error('grpc_upstream.py exited')));
    setTimeout(() => reject(new Error('grpc_upstream.py did not start')), 30000);
  });
}

// One experiment: its name, the lines of its match table, the lines of its one fault.
function experiment(name, match, fault) {
  return `\n[[experiments]]\nname = "${name}"\n[experiments.match]\n${match}\n[[experiments.faults]]\n${fault}\n`;
}

// Each reset code on the calls whose x-case metadata names it, an experiment abort on
// /test.Echo/Slow, and after_messages = 3 on streams marked x-cut.
function experiments() {
  let out = '';
  for (const code of ['cancel', 'refused_stream', 'enhance_your_calm', 'internal_error']) {
    out += experiment(`reset-${code.replaceAll('_', '-')}`, `headers = { "x-case" = "${code}" }`,
      `type = "reset"\ncode = "${code}"`);
  }
  out += experiment('slow-unavailable', 'paths = ["/test.Echo/Slow"]',
    'type = "abort"\ngrpc_status = 14\ngrpc_message = "injected by faultline"');
  out += experiment('cut-stream', 'headers = { "x-cut" = "1" }',
    'type = "abort"\ngrpc_status = 10\ngrpc_message = "cut after three"\nafter_messages = 3');
  return out;
}

async function startFaultline(upstreamPort) {
  const { child, info } = await startProcess(bin, `
[triggers.headers]
enabled = true
[[listeners]]
name = "grpc"
listen = "127.0.0.1:0"
upstream = "127.0.0.1:${upstreamPort}"
${experiments()}`);
  children.push(child);
  return info.listeners.grpc;
}

const identity = (b) => b;

function metadataOf(pairs) {
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(pairs)) md.set(k, v);
  return md;
}

// One unary call: { err, response, status } once it ends.
function unary(client, method, request, pairs = {}) {
  return new Promise((resolve) => {
    let response;
    let err;
    const call = client.makeUnaryRequest(method, identity, identity, request, metadataOf(pairs),
      { deadline: Date.now() + 20000 }, (e, r) => { err = e; response = r; });
    call.on('status', (status) => setImmediate(() => resolve({ err, response, status })));
  });
}

// One server-streaming call: { messages, status } once it ends.
function serverStream(client, request, pairs = {}) {
  return new Promise((resolve) => {
    const messages = [];
    const call = client.makeServerStreamRequest('/test.Echo/Stream', identity, identity, request,
      metadataOf(pairs), { deadline: Date.now() + 20000 });
    call.on('data', (m) => messages.push(m));
    call.on('error', () => {});
    call.on('status', (status) => resolve({ messages, status }));
  });
}

async function main() {
  const upstream = await startUpstream();
  const listen = await startFaultline(upstream);
  const client = new grpc.Client(listen, grpc.credentials.createInsecure());
  const { status: S } = grpc;

  // Unary pass-through: 256 KiB (several stream windows) back unchanged, with the trailers.
  const big = crypto.randomBytes(256 * 1024);
  const echoed = await unary(client, '/test.Echo/Unary', big);
  check(echoed.status.code === S.OK, `unary passes (${echoed.status.code} ${echoed.status.details})`);
  check(echoed.response && Buffer.compare(echoed.response, big) === 0, 'unary response is byte-identical');
  check(echoed.status.metadata.get('x-trailer')[0] === 'unary', 'unary trailers arrive');

  // Server streaming: 40 messages of 3000 bytes, message i filled with i % 251.
  const streamed = await serverStream(client, Buffer.from('40:3000'));
  check(streamed.status.code === S.OK, `stream passes (${streamed.status.code})`);
  check(streamed.messages.length === 40 &&
        streamed.messages.every((m, i) => m.length === 3000 && m.every((b) => b === i % 251)),
        `every streamed message is intact (${streamed.messages.length})`);
  check(streamed.status.metadata.get('x-trailer')[0] === 'stream', 'stream trailers arrive');

  // gRPC aborts: a header trigger, and an experiment on one method.
  const denied = await unary(client, '/test.Echo/Unary', Buffer.from('x'),
    { 'x-chaos-grpc-status': '7', 'x-chaos-grpc-message': 'no access' });
  check(denied.status.code === S.PERMISSION_DENIED && denied.status.details === 'no access',
        `x-chaos-grpc-status: 7 is PERMISSION_DENIED (${denied.status.code} "${denied.status.details}")`);
  const slow = await unary(client, '/test.Echo/Slow', Buffer.from('0'));
  check(slow.status.code === S.UNAVAILABLE && slow.status.details === 'injected by faultline',
        `an abort experiment is UNAVAILABLE (${slow.status.code} "${slow.status.details}")`);
  check((slow.status.metadata.get('x-chaos-injected')[0] || '').includes('@slow-unavailable'),
        'x-chaos-injected names the experiment');

  // after_messages: three messages through, then the status.
  const cut = await serverStream(client, Buffer.from('10:100'), { 'x-cut': '1' });
  check(cut.messages.length === 3 && cut.status.code === S.ABORTED,
        `after_messages = 3 ends the stream after 3 messages (${cut.messages.length}, ${cut.status.code})`);

  // Reset codes as grpc-js maps them.
  const cases = [['cancel', S.CANCELLED], ['refused_stream', S.UNAVAILABLE],
    ['enhance_your_calm', S.RESOURCE_EXHAUSTED], ['internal_error', S.INTERNAL]];
  for (const [code, want] of cases) {
    const r = await unary(client, '/test.Echo/Unary', Buffer.from('x'), { 'x-case': code });
    check(r.status.code === want, `reset ${code} is status ${want} (${r.status.code} "${r.status.details}")`);
  }

  // And the channel still works afterwards.
  const after = await unary(client, '/test.Echo/Unary', Buffer.from('ok'));
  check(after.status.code === S.OK, 'a plain call after the faults passes');
  client.close();
}

await run(main, () => {
  for (const c of children) c.kill('SIGKILL');
});
