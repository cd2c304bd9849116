// Proves the sidecar component changes only what it is documented to change, by comparing
// a kustomization rendered WITHOUT the component (BEFORE) with the same kustomization
// rendered WITH it (AFTER):
//
//   node component-footprint.mjs BEFORE.yaml AFTER.yaml
//   node component-footprint.mjs --strip KUSTOMIZATION.yaml   (drops its `components:`, in
//                                                              place, to render BEFORE)
//
// - an object without the opt-in label faultline.io/inject: "true" must be identical
//   (a redis Service must never be pointed at the HTTP proxy);
// - an opted-in Service may differ only in its first port's targetPort (now "faultline");
// - an opted-in Deployment may only GAIN the faultline container, volumes named
//   faultline-*, and the pod label faultline.io/sidecar; nothing the app wrote (labels,
//   annotations such as prometheus.io/*, grace period, containers, volumes) may change or go.
// Exit status: 0 when the footprint is as documented, 1 otherwise (every difference printed).
import { readFileSync, writeFileSync } from "node:fs";
import { parseAllDocuments, parseDocument } from "yaml";

if (process.argv[2] === "--strip") {
  const doc = parseDocument(readFileSync(process.argv[3], "utf8"));
  doc.delete("components");
  writeFileSync(process.argv[3], doc.toString());
  process.exit(0);
}
const [beforeFile, afterFile] = process.argv.slice(2);
if (!beforeFile || !afterFile) {
  console.error("usage: node component-footprint.mjs BEFORE.yaml AFTER.yaml");
  process.exit(2);
}
const load = (f) => {
  const objects = parseAllDocuments(readFileSync(f, "utf8")).map((d) => d.toJS()).filter(Boolean);
  return new Map(objects.map((o) => [`${o.kind}/${o.metadata?.namespace ?? ""}/${o.metadata?.name}`, o]));
};
const before = load(beforeFile);
const after = load(afterFile);
const optedIn = (o) => o.metadata?.labels?.["faultline.io/inject"] === "true";

// Lists whose elements carry a name (containers, volumes, ports, env) compare by name, as
// a strategic-merge patch merges them; other lists by index.
function keyed(list) {
  if (list.every((e) => e && typeof e === "object" && typeof e.name === "string")) {
    return Object.fromEntries(list.map((e) => [`[name=${e.name}]`, e]));
  }
  return Object.fromEntries(list.map((e, i) => [`[${i}]`, e]));
}

// Every path where `a` and `b` differ: {path, kind: "added" | "removed" | "changed"}.
function diff(a, b, path = "", out = []) {
  const isObj = (v) => v !== null && typeof v === "object";
  if (!isObj(a) || !isObj(b) || Array.isArray(a) !== Array.isArray(b)) {
    if (JSON.stringify(a) !== JSON.stringify(b)) out.push({ path, kind: "changed" });
    return out;
  }
  const [ka, kb] = Array.isArray(a) ? [keyed(a), keyed(b)] : [a, b];
  const sep = Array.isArray(a) ? "" : ".";
  for (const k of Object.keys(ka)) {
    if (!(k in kb)) out.push({ path: `${path}${sep}${k}`, kind: "removed" });
    else diff(ka[k], kb[k], `${path}${sep}${k}`, out);
  }
  for (const k of Object.keys(kb)) if (!(k in ka)) out.push({ path: `${path}${sep}${k}`, kind: "added" });
  return out;
}

const allowedAdditions = [
  /^\.spec\.template\.spec\.containers\[name=faultline\]$/,
  /^\.spec\.template\.spec\.volumes\[name=faultline-[a-z0-9-]+\]$/,
  /^\.spec\.template\.metadata\.labels\.faultline\.io\/sidecar$/,
];
// A whole list or map the pod template did not have before: allowed when it holds only
// what the component adds.
function allowedWhole(path, value) {
  if (path === ".spec.template.spec.volumes") return value.every((v) => /^faultline-/.test(v.name));
  if (path === ".spec.template.metadata.labels") return Object.keys(value).every((k) => k === "faultline.io/sidecar");
  return false;
}
// The value at a plain dotted path (only used for the two paths above, which have no
// dotted keys).
const at = (obj, path) => path.slice(1).split(".").reduce((v, key) => v?.[key], obj);

const problems = [];
for (const [id, b] of before) {
  const a = after.get(id);
  if (!a) {
    problems.push(`${id}: removed by the component`);
    continue;
  }
  for (const d of diff(b, a)) {
    let allowed = false;
    if (optedIn(b) && b.kind === "Service") allowed = d.kind === "changed" && /^\.spec\.ports\[(0|name=[^\]]+)\]\.targetPort$/.test(d.path) && d.path.startsWith(`.spec.ports${Object.keys(keyed(b.spec.ports))[0]}`);
    if (optedIn(b) && b.kind === "Deployment") {
      allowed = d.kind === "added" && (allowedAdditions.some((re) => re.test(d.path)) || allowedWhole(d.path, at(a, d.path)));
    }
    if (!allowed) {
      const why = optedIn(b) ? "the component may not do that to an opted-in object" : "it does not opt in (label faultline.io/inject: \"true\")";
      problems.push(`${id}: ${d.path} ${d.kind} by the component, but ${why}`);
    }
  }
}
// And opting in works: an opted-in Deployment has the sidecar, an opted-in Service's first
// port goes to it.
for (const [id, a] of after) {
  if (!optedIn(a)) continue;
  if (a.kind === "Deployment" && !(a.spec.template.spec.containers ?? []).some((c) => c.name === "faultline")) {
    problems.push(`${id}: opts in but has no faultline container`);
  }
  if (a.kind === "Service" && a.spec.ports?.[0]?.targetPort !== "faultline") {
    problems.push(`${id}: opts in but its first port does not target "faultline"`);
  }
}
for (const id of after.keys()) if (!before.has(id)) problems.push(`${id}: added by the component (it adds no objects)`);

for (const p of problems) console.error(`${afterFile}: ${p}`);
if (problems.length) process.exit(1);
const touched = [...before.values()].filter(optedIn).map((o) => `${o.kind}/${o.metadata.name}`);
console.log(`ok   ${afterFile}: component changed only ${touched.join(", ") || "nothing"}, as documented`);
