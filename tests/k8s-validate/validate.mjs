// Offline validation of rendered Kubernetes manifests (the output of `kubectl kustomize`).
//
//   node validate.mjs [--external Kind/name]... FILE.yaml...
//
// Three layers, each catching what the previous one cannot:
//  1. schema: every object is validated with the JSON schema of its kind from the
//     `kubernetes-models` package (generated from the Kubernetes OpenAPI spec): types,
//     required fields, formats.
//  2. strict fields: those schemas accept unknown keys, and a typo in a kustomize patch
//     (`readinessprobe:`) is silently dropped by the API server. So every key is checked
//     against the field list of its type, read from the same package's type declarations.
//  3. references: the things that break a rollout although each object is valid on its
//     own: named ports used by probes, Services and NetworkPolicies exist; volume mounts
//     name a volume; ConfigMaps/Secrets referenced exist in the render (or are declared
//     external with --external); selectors match their pod templates; port names are
//     valid; the grace period outlives preStop + faultline's drain_timeout.
//  4. sidecar sizing and exposure, from the faultline.toml the sidecar mounts: the memory
//     limit holds max_connections at the documented per-connection bound, `workers`
//     matches the CPU limit, and an admin API reachable beyond loopback has a token.
// Exit status: 0 valid, 1 invalid (every problem printed as FILE: Kind/name: path: message).
import { readFileSync, existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { parseAllDocuments } from "yaml";
import { parse as parseToml } from "smol-toml";

const require = createRequire(import.meta.url);
const modelsRoot = path.dirname(require.resolve("kubernetes-models/package.json"));
const nodeModules = path.dirname(modelsRoot);

// ---------------------------------------------------------------- type declarations ----

// Reads the property list of the interface declared in one kubernetes-models .d.ts file.
// Returns { props: Map<name, typeText>, imports: Map<alias, file> } or null for leaf types
// (IntOrString, Quantity, Time... are type aliases, not interfaces).
const declCache = new Map();
function readDecl(file) {
  if (declCache.has(file)) return declCache.get(file);
  const text = readFileSync(file, "utf8").replace(/\/\*[\s\S]*?\*\//g, "");
  const imports = new Map();
  for (const m of text.matchAll(/import \{ ([^}]+) \} from "([^"]+)";/g)) {
    for (const name of m[1].split(",").map((s) => s.trim())) imports.set(name, resolveImport(file, m[2]));
  }
  const start = text.search(/export interface I\w+(?: extends [\w, ]+)? \{/);
  let decl = null;
  if (start >= 0) {
    const open = text.indexOf("{", start);
    decl = { props: parseProps(text, open + 1), imports };
  }
  declCache.set(file, decl);
  return decl;
}

function resolveImport(fromFile, spec) {
  if (spec.startsWith(".")) return path.resolve(path.dirname(fromFile), spec.replace(/\.js$/, ".d.ts"));
  return path.join(nodeModules, spec + ".d.ts");
}

// Parses `"name"?: Type;` members at depth 0 of an interface body starting at `pos`.
function parseProps(text, pos) {
  const props = new Map();
  let i = pos;
  for (;;) {
    while (/\s/.test(text[i])) i++;
    if (text[i] === "}" || i >= text.length) return props;
    const m = /^"([^"]+)"\??:\s*/.exec(text.slice(i, i + 200));
    if (!m) throw new Error(`cannot parse type declaration near: ${text.slice(i, i + 60)}`);
    i += m[0].length;
    let depth = 0;
    const typeStart = i;
    for (; i < text.length; i++) {
      const c = text[i];
      if (c === "{" || c === "<" || c === "(") depth++;
      else if (c === "}" || c === ">" || c === ")") depth--;
      else if (c === ";" && depth === 0) break;
    }
    props.set(m[1], text.slice(typeStart, i).trim());
    i++;
  }
}

// Turns a declared type into a checker shape: {kind:"object", file} | {kind:"array", of}
// | {kind:"map", of} | {kind:"leaf"}.
function shapeOf(typeText, imports) {
  const t = typeText.replace(/\s+/g, " ").trim();
  let m = /^Array<(.*)>$/.exec(t);
  if (m) return { kind: "array", of: shapeOf(m[1], imports) };
  m = /^\{ \[key: string\]: (.*?);? \}$/.exec(t);
  if (m) return { kind: "map", of: shapeOf(m[1], imports) };
  if (imports.has(t)) {
    const file = imports.get(t);
    if (existsSync(file) && readDecl(file)) return { kind: "object", file };
  }
  return { kind: "leaf" };
}

function checkFields(value, file, where, problems) {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return;
  const decl = readDecl(file);
  for (const [key, v] of Object.entries(value)) {
    if (!decl.props.has(key)) {
      problems.push(`${where}.${key}: unknown field (not in the ${path.basename(file, ".d.ts")} schema)`);
      continue;
    }
    checkShape(v, shapeOf(decl.props.get(key), decl.imports), `${where}.${key}`, problems);
  }
}

function checkShape(v, shape, where, problems) {
  if (v === null || v === undefined) return;
  if (shape.kind === "object") checkFields(v, shape.file, where, problems);
  else if (shape.kind === "array" && Array.isArray(v)) v.forEach((e, i) => checkShape(e, shape.of, `${where}[${i}]`, problems));
  else if (shape.kind === "map" && typeof v === "object") {
    for (const [k, e] of Object.entries(v)) checkShape(e, shape.of, `${where}.${k}`, problems);
  }
}

// ------------------------------------------------------------------------ schemas ----

function modelPath(apiVersion, kind) {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : [null, apiVersion];
  return path.join(modelsRoot, group ? `${group}/${version}` : version, kind);
}

async function schemaProblems(obj) {
  const base = modelPath(obj.apiVersion, obj.kind);
  if (!existsSync(base + ".js")) return [`unknown apiVersion/kind ${obj.apiVersion} ${obj.kind}`];
  const mod = await import(base + ".js");
  const Model = mod[obj.kind];
  const problems = [];
  try {
    new Model(obj).validate();
  } catch (e) {
    for (const err of e.errors ?? [{ instancePath: "", message: e.message }]) {
      problems.push(`${err.instancePath || "/"}: ${err.message}${err.params ? " " + JSON.stringify(err.params) : ""}`);
    }
  }
  checkFields(obj, base + ".d.ts", "", problems);
  return problems;
}

// --------------------------------------------------------------------- references ----

const IANA_SVC_NAME = /^(?=.{1,15}$)(?=.*[a-z])[a-z0-9]+(-[a-z0-9]+)*$/;

function parseDuration(s) {
  let total = 0;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
  let m, consumed = 0;
  while ((m = re.exec(s))) {
    total += Number(m[1]) * { ms: 0.001, s: 1, m: 60, h: 3600 }[m[2]];
    consumed += m[0].length;
  }
  return consumed === s.length && s.length > 0 ? total : NaN;
}

// Kubernetes quantities: "256Mi", "1G", "500m" (cpu), "2".
function parseQuantity(q) {
  const m = /^(\d+(?:\.\d+)?)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(String(q));
  if (!m) return NaN;
  const unit = { m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };
  return Number(m[1]) * (m[2] ? unit[m[2]] : 1);
}

// Worst-case memory of one proxied connection, as README.md ("Memory per connection is
// bounded") and proxy/http_session.h state it: head arena + one slab per direction + the
// write queues up to their high-water mark, about 0.7 MiB. Plus a fixed allowance for the
// process itself (about 7 MiB idle with one worker; logs, metrics, experiments on top).
const MIB = 2 ** 20;
const PER_CONNECTION_BYTES = 0.7 * MIB;
const PROCESS_BYTES = 32 * MIB;
const DEFAULT_MAX_CONNECTIONS = 10000;  // SPEC §2
const DEFAULT_MAX_MEMORY = 512 * MIB;   // SPEC §12: safety.max_memory, what memory faults may hold

// A faultline byte size: "512MiB", "64KiB", "1GiB", "100B" or a plain integer of bytes.
function parseByteSize(v) {
  if (typeof v === 'number') return v;
  const m = /^(\d+)\s*(B|KiB|MiB|GiB)?$/.exec(String(v));
  if (!m) return NaN;
  return Number(m[1]) * { B: 1, KiB: 2 ** 10, MiB: 2 ** 20, GiB: 2 ** 30 }[m[2] ?? 'B'];
}

const LOOPBACK_LISTEN = /^(127\.\d+\.\d+\.\d+|\[::1\]|localhost):\d+$/;

// The sidecar's config against its container: sizing and admin exposure.
function sidecarConfigProblems(id, c, toml) {
  const problems = [];
  let config;
  try {
    config = parseToml(toml);
  } catch (e) {
    return [`${id}: container ${c.name}: faultline.toml does not parse: ${e.message}`];
  }
  const where = `${id}: container ${c.name}`;
  const limits = c.resources?.limits ?? {};
  const workers = config.runtime?.workers ?? 0;
  if (limits.cpu === undefined) {
    problems.push(`${where}: no CPU limit; set one and [runtime] workers to match it`);
  } else {
    const cores = Math.max(1, Math.ceil(parseQuantity(limits.cpu) - 1e-9));
    if (workers !== cores) {
      problems.push(`${where}: [runtime] workers = ${workers} does not match the CPU limit ${limits.cpu} (want workers = ${cores}; 0 means one per node core)`);
    }
  }
  const connections = (config.listeners ?? []).reduce((n, l) => n + (l.max_connections ?? DEFAULT_MAX_CONNECTIONS), 0);
  const need = PROCESS_BYTES + connections * PER_CONNECTION_BYTES;
  // A memory fault holds up to safety.max_memory on top: above the limit, the game day's
  // memory fault would get the sidecar OOM-killed, and the app's traffic with it.
  const maxMemoryText = config.safety?.max_memory;
  const maxMemory = maxMemoryText === undefined ? DEFAULT_MAX_MEMORY : parseByteSize(maxMemoryText);
  const memoryNote = `safety.max_memory ${maxMemoryText ?? '512MiB (default)'}`;
  if (limits.memory === undefined) {
    problems.push(`${where}: no memory limit; max_connections ${connections} needs ${(need / MIB).toFixed(1)} MiB`);
  } else if (parseQuantity(limits.memory) < need) {
    problems.push(`${where}: memory limit ${limits.memory} cannot hold max_connections ${connections}: 32 MiB + ${connections} x 0.7 MiB per connection = ${(need / MIB).toFixed(1)} MiB`);
  } else if (Number.isNaN(maxMemory)) {
    problems.push(`${where}: safety.max_memory ${JSON.stringify(maxMemoryText)} is not a byte size`);
  } else if (parseQuantity(limits.memory) < need + maxMemory) {
    problems.push(`${where}: memory limit ${limits.memory} cannot hold max_connections ${connections} and ${memoryNote}: ${(need / MIB).toFixed(1)} MiB + ${(maxMemory / MIB).toFixed(1)} MiB of memory faults = ${((need + maxMemory) / MIB).toFixed(1)} MiB; lower safety.max_memory`);
  }
  const admin = config.admin ?? {};
  const listen = admin.listen ?? "127.0.0.1:9901";
  if (!LOOPBACK_LISTEN.test(listen) && !admin.token && !admin.token_file) {
    problems.push(`${where}: admin API on ${listen} without token or token_file: anyone who reaches the pod controls the faults`);
  }
  return problems;
}

function labelsMatch(selector, labels) {
  return Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v);
}

function podTemplates(objects) {
  const kinds = new Set(["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"]);
  return objects.filter((o) => kinds.has(o.kind) && o.spec?.template);
}

function referenceProblems(objects, external) {
  const problems = [];
  const byKey = new Set(objects.map((o) => `${o.kind}/${o.metadata?.name}`));
  const exists = (kind, name) => byKey.has(`${kind}/${name}`) || external.has(`${kind}/${name}`);
  const configs = new Map(objects.filter((o) => o.kind === "ConfigMap").map((o) => [o.metadata.name, o]));

  for (const w of podTemplates(objects)) {
    const id = `${w.kind}/${w.metadata.name}`;
    const spec = w.spec.template.spec;
    const tlabels = w.spec.template.metadata?.labels ?? {};
    if (w.spec.selector?.matchLabels && !labelsMatch(w.spec.selector.matchLabels, tlabels)) {
      problems.push(`${id}: spec.selector does not match the pod template's labels`);
    }
    const volumes = new Map((spec.volumes ?? []).map((v) => [v.name, v]));
    for (const v of volumes.values()) {
      if (v.configMap && !exists("ConfigMap", v.configMap.name) && !v.configMap.optional) {
        problems.push(`${id}: volume ${v.name} references missing ConfigMap ${v.configMap.name}`);
      }
      if (v.secret && !exists("Secret", v.secret.secretName) && !v.secret.optional) {
        problems.push(`${id}: volume ${v.name} references missing Secret ${v.secret.secretName} (declare it with --external Secret/NAME if it is created out of band)`);
      }
    }
    const allContainers = [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
    const podPortNames = new Set();
    for (const c of allContainers) {
      const where = `${id}: container ${c.name}`;
      const names = new Set();
      for (const p of c.ports ?? []) {
        if (p.name !== undefined) {
          if (!IANA_SVC_NAME.test(p.name)) problems.push(`${where}: port name "${p.name}" is not a valid IANA service name (<= 15 chars, a-z0-9 and -)`);
          if (podPortNames.has(p.name)) problems.push(`${where}: port name "${p.name}" is used twice in the pod`);
          names.add(p.name);
          podPortNames.add(p.name);
        }
      }
      for (const probe of ["readinessProbe", "livenessProbe", "startupProbe"]) {
        const port = c[probe]?.httpGet?.port ?? c[probe]?.tcpSocket?.port;
        if (typeof port === "string" && !names.has(port)) problems.push(`${where}: ${probe} uses port "${port}", which the container does not declare`);
      }
      for (const m of c.volumeMounts ?? []) {
        if (!volumes.has(m.name)) problems.push(`${where}: volumeMount ${m.name} has no volume`);
      }
      for (const e of c.env ?? []) {
        const ref = e.valueFrom?.secretKeyRef ?? e.valueFrom?.configMapKeyRef;
        if (!ref || ref.optional) continue;
        const kind = e.valueFrom.secretKeyRef ? "Secret" : "ConfigMap";
        if (!exists(kind, ref.name)) problems.push(`${where}: env ${e.name} references missing ${kind} ${ref.name}`);
      }
    }
    // Shutdown: the sidecar's preStop sleep plus its drain must finish inside the grace period.
    const grace = spec.terminationGracePeriodSeconds ?? 30;
    for (const c of allContainers.filter((c) => c.name === "faultline")) {
      const configVolume = (c.volumeMounts ?? []).map((m) => volumes.get(m.name)).find((v) => v?.configMap);
      const toml = configVolume && configs.get(configVolume.configMap.name)?.data?.["faultline.toml"];
      const m = toml && /^\s*drain_timeout\s*=\s*"([^"]+)"/m.exec(toml);
      const drain = m ? parseDuration(m[1]) : 10;  // SPEC default
      const preStop = c.lifecycle?.preStop?.sleep?.seconds ?? 0;
      if (!(preStop + drain < grace)) {
        problems.push(`${id}: terminationGracePeriodSeconds ${grace} must exceed preStop ${preStop}s + drain_timeout ${drain}s`);
      }
      if (toml) problems.push(...sidecarConfigProblems(id, c, toml));
    }
  }

  const pods = podTemplates(objects).map((w) => ({
    labels: w.spec.template.metadata?.labels ?? {},
    ports: new Set((w.spec.template.spec.containers ?? []).flatMap((c) => (c.ports ?? []).map((p) => p.name))),
  }));
  for (const s of objects.filter((o) => o.kind === "Service" && o.spec?.selector)) {
    const selected = pods.filter((p) => labelsMatch(s.spec.selector, p.labels));
    if (selected.length === 0) problems.push(`Service/${s.metadata.name}: selector matches no pod template in the render`);
    for (const p of s.spec.ports ?? []) {
      if (typeof p.targetPort === "string" && !selected.some((pod) => pod.ports.has(p.targetPort))) {
        problems.push(`Service/${s.metadata.name}: targetPort "${p.targetPort}" is not a port name of the selected pods`);
      }
    }
  }
  for (const np of objects.filter((o) => o.kind === "NetworkPolicy")) {
    const selected = pods.filter((p) => labelsMatch(np.spec.podSelector?.matchLabels, p.labels));
    if (selected.length === 0) problems.push(`NetworkPolicy/${np.metadata.name}: podSelector matches no pod template in the render`);
    for (const rule of np.spec.ingress ?? []) {
      for (const p of rule.ports ?? []) {
        if (typeof p.port === "string" && !selected.every((pod) => pod.ports.has(p.port))) {
          problems.push(`NetworkPolicy/${np.metadata.name}: port "${p.port}" is not a port name of every selected pod`);
        }
      }
    }
  }
  return problems;
}

// --------------------------------------------------------------------------- main ----

const args = process.argv.slice(2);
const external = new Set();
const files = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--external") external.add(args[++i]);
  else files.push(args[i]);
}
if (files.length === 0) {
  console.error("usage: node validate.mjs [--external Kind/name]... FILE.yaml...");
  process.exit(2);
}

let failed = 0;
for (const file of files) {
  const docs = parseAllDocuments(readFileSync(file, "utf8"));
  const objects = [];
  const problems = [];
  for (const doc of docs) {
    if (doc.errors.length) problems.push(`YAML: ${doc.errors[0].message}`);
    const obj = doc.toJS();
    if (obj === null || obj === undefined) continue;
    objects.push(obj);
    const id = `${obj.kind}/${obj.metadata?.name}`;
    for (const p of await schemaProblems(obj)) problems.push(`${id}: ${p}`);
  }
  problems.push(...referenceProblems(objects, external));
  if (objects.length === 0) problems.push("no Kubernetes objects");
  for (const p of problems) console.error(`${file}: ${p}`);
  if (problems.length) failed++;
  else console.log(`ok   ${file}: ${objects.length} objects (${[...new Set(objects.map((o) => o.kind))].join(", ")})`);
}
process.exit(failed ? 1 : 0);
