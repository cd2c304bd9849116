// For the Node tests that drive the real binary (run_with_npm_package.sh copies it next to them):
// starting `faultline run` on a config text, and the ok/FAIL lines and exit status of a run.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// The config's start: the admin API and two workers on loopback, warnings only, no access log.
const kQuiet = `
[admin]
listen = "127.0.0.1:0"
[runtime]
workers = 2
[log]
level = "warn"
access_log = false
`;

// Starts faultline on kQuiet plus `tables`. Resolves with the child and the ready file's
// contents (bound listener addresses, admin, toxiproxy) once faultline serves; rejects after
// 10 s. The child is the caller's to kill.
export async function startFaultline(bin, tables) {
  const configText = kQuiet + tables;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'faultline-node-'));
  const config = path.join(dir, 'faultline.toml');
  const ready = path.join(dir, 'ready.json');
  fs.writeFileSync(config, configText);
  const child = spawn(bin, ['run', '--config', config], {
    env: { ...process.env, FAULTLINE_READY_FILE: ready },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const deadline = Date.now() + 10000;
  while (Date.now() < deadline) {
    if (fs.existsSync(ready)) return { child, info: JSON.parse(fs.readFileSync(ready, 'utf8')) };
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new Error('faultline did not get ready');
}

let failures = 0;

// One line per check, "ok" or "FAIL"; a failure makes the run exit 1.
export function check(ok, what) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures++;
}

// Runs `main` (a thrown error is a failure), then `cleanup` whatever happened, then exits.
export async function run(main, cleanup) {
  try {
    await main();
  } catch (e) {
    check(false, e.stack || String(e));
  } finally {
    cleanup();
  }
  console.log(failures === 0 ? 'all passed' : `${failures} failed`);
  process.exit(failures === 0 ? 0 : 1);
}
