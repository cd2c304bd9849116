// Extracts what the kubelet would run for the faultline sidecar from a rendered manifest, so
// scripts/check-k8s.sh can start the real binary the same way on the host.
//
//   node pod-spec.mjs RENDER.yaml OUTDIR
//
// For every workload with a container named "faultline" it writes OUTDIR/<Kind>-<name>/:
//   pod.sh         shell arrays: COMMAND ARGS ENV MOUNTS PROBES PORTS LISTENERS UPSTREAMS, and
//                  RUN_UID RUN_GID ADMIN_PORT ADMIN_AUTH DRAIN_SECONDS GRACE_SECONDS PRESTOP_SECONDS
//   volumes/NAME/  the files each mounted volume holds (ConfigMap data as rendered; Secret
//                  data generated, the same value for the volume and any secretKeyRef env)
// Named ports are resolved to numbers. Nothing in the config content is rewritten.
import { readFileSync, mkdirSync, writeFileSync, chmodSync } from "node:fs";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { parseAllDocuments } from "yaml";
import { parse as parseToml } from "smol-toml";

const [renderFile, outDir] = process.argv.slice(2);
if (!renderFile || !outDir) {
  console.error("usage: node pod-spec.mjs RENDER.yaml OUTDIR");
  process.exit(2);
}
const objects = parseAllDocuments(readFileSync(renderFile, "utf8")).map((d) => d.toJS()).filter(Boolean);
const configMaps = new Map(objects.filter((o) => o.kind === "ConfigMap").map((o) => [o.metadata.name, o]));
const secrets = new Map(); // "name/key" -> generated value, shared by volumes and env

function secretValue(name, key) {
  const id = `${name}/${key}`;
  if (!secrets.has(id)) secrets.set(id, `pod-check-${randomBytes(12).toString("hex")}`);
  return secrets.get(id);
}

const q = (s) => `'${String(s).replaceAll("'", `'\\''`)}'`;
const arr = (name, items) => `${name}=(${items.map(q).join(" ")})\n`;

function parseDuration(s) {
  let total = 0, consumed = 0;
  for (const m of String(s).matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) {
    total += Number(m[1]) * { ms: 0.001, s: 1, m: 60, h: 3600 }[m[2]];
    consumed += m[0].length;
  }
  if (consumed !== String(s).length) throw new Error(`bad duration ${s}`);
  return total;
}

const portOf = (hostPort) => Number(String(hostPort).split(":").pop());

let found = 0;
for (const w of objects.filter((o) => o.spec?.template?.spec)) {
  const spec = w.spec.template.spec;
  const c = (spec.containers ?? []).find((c) => c.name === "faultline");
  if (!c) continue;
  found++;
  const dir = path.join(outDir, `${w.kind}-${w.metadata.name}`);
  mkdirSync(path.join(dir, "volumes"), { recursive: true });

  const namedPorts = new Map((c.ports ?? []).map((p) => [p.name, p.containerPort]));
  const resolvePort = (p) => (typeof p === "string" ? namedPorts.get(p) ?? NaN : p);

  // Volumes mounted into the sidecar, materialised as files.
  const volumes = new Map((spec.volumes ?? []).map((v) => [v.name, v]));
  const mounts = [];
  let configText = null;
  for (const m of c.volumeMounts ?? []) {
    const v = volumes.get(m.name);
    const vdir = path.join(dir, "volumes", m.name);
    mkdirSync(vdir, { recursive: true });
    chmodSync(vdir, 0o755);
    let files = [], mode = 0o644;
    if (v.configMap) {
      const cm = configMaps.get(v.configMap.name);
      if (!cm) throw new Error(`${w.metadata.name}: ConfigMap ${v.configMap.name} is not in the render`);
      const items = v.configMap.items ?? Object.keys(cm.data ?? {}).map((k) => ({ key: k, path: k }));
      files = items.map((it) => [it.path, cm.data[it.key]]);
      mode = v.configMap.defaultMode ?? 0o644;
    } else if (v.secret) {
      const items = v.secret.items ?? [{ key: "token", path: "token" }];
      files = items.map((it) => [it.path, secretValue(v.secret.secretName, it.key)]);
      mode = v.secret.defaultMode ?? 0o644;
    } else if (v.emptyDir) {
      files = [];
    } else {
      throw new Error(`${w.metadata.name}: volume ${m.name}: only configMap, secret and emptyDir are supported by the pod check`);
    }
    for (const [p, content] of files) {
      const f = path.join(vdir, p);
      mkdirSync(path.dirname(f), { recursive: true });
      writeFileSync(f, content);
      chmodSync(f, mode);
      if (path.join(m.mountPath, p) === c.args?.[c.args.indexOf("--config") + 1]) configText = content;
    }
    mounts.push(`${vdir}|${m.mountPath}`);
  }

  const env = [];
  for (const e of c.env ?? []) {
    if (e.value !== undefined) env.push(`${e.name}=${e.value}`);
    else if (e.valueFrom?.secretKeyRef) env.push(`${e.name}=${secretValue(e.valueFrom.secretKeyRef.name, e.valueFrom.secretKeyRef.key)}`);
    else if (e.valueFrom?.configMapKeyRef) {
      const r = e.valueFrom.configMapKeyRef;
      env.push(`${e.name}=${configMaps.get(r.name)?.data?.[r.key] ?? ""}`);
    } else throw new Error(`${w.metadata.name}: env ${e.name}: unsupported valueFrom`);
  }

  const probes = [];
  for (const kind of ["startupProbe", "readinessProbe", "livenessProbe"]) {
    const get = c[kind]?.httpGet;
    if (c[kind] && !get) throw new Error(`${w.metadata.name}: ${kind} is not httpGet; the pod check only knows httpGet`);
    if (get) probes.push(`${kind}|${resolvePort(get.port)}|${get.path ?? "/"}`);
  }
  const ports = (c.ports ?? []).map((p) => `${p.name ?? ""}|${p.containerPort}|${p.protocol ?? "TCP"}`);

  if (configText === null) throw new Error(`${w.metadata.name}: the --config file is not provided by any mounted volume`);
  const config = parseToml(configText);
  const listeners = (config.listeners ?? []).map((l) => `${l.name}|${portOf(l.listen)}|${l.protocol ?? "http"}`);
  const upstreams = (config.listeners ?? []).map((l) => `${l.upstream}|${l.protocol ?? "http"}`);
  const sc = { ...(spec.securityContext ?? {}), ...(c.securityContext ?? {}) };

  writeFileSync(
    path.join(dir, "pod.sh"),
    `# generated by pod-spec.mjs from ${renderFile}: ${w.kind}/${w.metadata.name}, container faultline\n` +
      `WORKLOAD=${q(`${w.kind}/${w.metadata.name}`)}\n` +
      arr("COMMAND", c.command ?? []) +
      arr("ARGS", c.args ?? []) +
      arr("ENV", env) +
      arr("MOUNTS", mounts) +
      arr("PROBES", probes) +
      arr("PORTS", ports) +
      arr("LISTENERS", listeners) +
      arr("UPSTREAMS", upstreams) +
      `RUN_UID=${q(sc.runAsUser ?? 65532)}\nRUN_GID=${q(sc.runAsGroup ?? sc.runAsUser ?? 65532)}\n` +
      `READ_ONLY_ROOT=${q(sc.readOnlyRootFilesystem ? 1 : 0)}\n` +
      `ADMIN_PORT=${q(portOf(config.admin?.listen ?? "127.0.0.1:9901"))}\n` +
      `ADMIN_AUTH=${q(config.admin?.token || config.admin?.token_file ? 1 : 0)}\n` +
      `DRAIN_SECONDS=${q(parseDuration(config.runtime?.drain_timeout ?? "10s"))}\n` +
      `GRACE_SECONDS=${q(spec.terminationGracePeriodSeconds ?? 30)}\n` +
      `PRESTOP_SECONDS=${q(c.lifecycle?.preStop?.sleep?.seconds ?? 0)}\n`,
  );
  console.log(dir);
}
if (found === 0) {
  console.error(`${renderFile}: no container named faultline`);
  process.exit(1);
}
