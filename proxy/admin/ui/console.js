// faultline console: plain JavaScript over the /v1 admin API. Every URL is relative to the
// page (ui/), so the console works under any path prefix, such as the Kubernetes API
// server's pod proxy. The token lives in this tab's sessionStorage and travels as
// x-faultline-token (the pod proxy drops Authorization); no cookies.
'use strict';

(() => {
  const API = '../v1/';
  const TOKEN_KEY = 'faultline.token';
  const SERIES_WINDOW = '5m';
  const POLL_MS = 1000;

  const state = {
    token: sessionStorage.getItem(TOKEN_KEY) || '',
    status: null,
    experiments: [],
    previous: new Map(),  // experiment name -> {t, matched, injected} for rates
    rates: new Map(),     // experiment name -> {matched, injected} per second
    series: new Map(),    // listener name -> points
    selected: '',         // listener of the cheat-sheet
    tick: 0,
    waitingForToken: false,
  };

  const $ = (id) => document.getElementById(id);

  // Builds an element; children are nodes or text (never parsed as HTML).
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'class') node.className = v;
      else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
      else if (v !== undefined && v !== null && v !== false) node.setAttribute(k, v === true ? '' : v);
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }

  class AuthNeeded extends Error {}

  async function api(method, path, body, contentType) {
    const headers = { Accept: 'application/json' };
    if (state.token) headers['x-faultline-token'] = state.token;
    if (body !== undefined) headers['Content-Type'] = contentType || 'application/json';
    const res = await fetch(API + path, {
      method, headers, body, cache: 'no-store', credentials: 'omit', redirect: 'error',
    });
    const text = await res.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch (e) { json = null; }
    if (res.status === 401) {
      askForToken(Boolean(state.token));
      throw new AuthNeeded();
    }
    return { status: res.status, ok: res.ok, json, text };
  }

  // ---- token -------------------------------------------------------------------------------

  function askForToken(refused) {
    if (state.waitingForToken) return;
    state.waitingForToken = true;
    $('token-error').hidden = !refused;
    $('connection').textContent = 'token needed';
    const dialog = $('token-dialog');
    if (!dialog.open) dialog.showModal();
    $('token-input').focus();
  }

  function useToken() {
    state.token = $('token-input').value.trim();
    sessionStorage.setItem(TOKEN_KEY, state.token);
    $('token-input').value = '';
    $('token-dialog').close();
    state.waitingForToken = false;
    refresh(true);
  }

  // ---- formatting --------------------------------------------------------------------------

  function duration(seconds) {
    seconds = Math.max(0, Math.round(seconds));
    const d = Math.floor(seconds / 86400), h = Math.floor(seconds / 3600) % 24;
    const m = Math.floor(seconds / 60) % 60, s = seconds % 60;
    if (d) return `${d}d ${h}h`;
    if (h) return `${h}h ${String(m).padStart(2, '0')}m`;
    if (m) return `${m}m ${String(s).padStart(2, '0')}s`;
    return `${s}s`;
  }

  function latency(seconds) {
    if (seconds === null || seconds === undefined) return '–';
    if (seconds < 0.001) return `${Math.round(seconds * 1e6)}µs`;
    if (seconds < 1) return `${(seconds * 1000).toFixed(seconds < 0.01 ? 1 : 0)}ms`;
    return `${seconds.toFixed(2)}s`;
  }

  function perSecond(n) {
    if (!n) return '0/s';
    return n >= 10 ? `${Math.round(n)}/s` : `${n.toFixed(1)}/s`;
  }

  function percent(f) {
    return `${(f * 100).toFixed(f > 0 && f < 0.1 ? 1 : 0)}%`;
  }

  function shellQuote(s) {
    return `'${String(s).replace(/'/g, `'\\''`)}'`;
  }

  function showMessage(text) {
    const m = $('message');
    m.textContent = text || '';
    m.hidden = !text;
  }

  // ---- status and halt ---------------------------------------------------------------------

  function renderStatus() {
    const s = state.status;
    if (!s) return;
    $('version').textContent = s.version ? `v${s.version}` : '';
    $('uptime').textContent = duration(s.uptime_seconds || 0);
    const halted = Boolean(s.halted);
    document.body.classList.toggle('is-halted', halted);
    const badge = $('halt-state');
    badge.textContent = halted ? 'HALTED' : (s.draining ? 'DRAINING' : 'RUNNING');
    badge.className = `state ${halted ? 'halted' : 'running'}`;
    $('halt-button').hidden = halted;
    $('unhalt-button').hidden = !halted;
    const reason = $('halt-reason');
    reason.hidden = !halted;
    reason.textContent = halted ? `Halted: ${s.halt_reason || 'kill switch on'}. No fault is injected.` : '';
  }

  async function halt() {
    $('halt-button').disabled = true;
    try {
      const r = await api('POST', 'halt');
      if (!r.ok) showMessage(`halt failed: ${errorText(r)}`);
    } catch (e) {
      if (!(e instanceof AuthNeeded)) showMessage(`halt failed: ${e.message}`);
    } finally {
      $('halt-button').disabled = false;
    }
    refresh(true);
  }

  async function unhalt() {
    $('confirm-dialog').close();
    try {
      const r = await api('DELETE', 'halt');
      if (!r.ok) showMessage(`unhalt failed: ${errorText(r)}`);
    } catch (e) {
      if (!(e instanceof AuthNeeded)) showMessage(`unhalt failed: ${e.message}`);
    }
    refresh(true);
  }

  function errorText(r) {
    return (r.json && r.json.error) ? r.json.error : `HTTP ${r.status}`;
  }

  // ---- experiments -------------------------------------------------------------------------

  function injectedTotal(view) {
    const inj = (view.counters && view.counters.injected) || {};
    return Object.values(inj).reduce((a, b) => a + b, 0);
  }

  function updateRates(now) {
    for (const view of state.experiments) {
      const matched = (view.counters && view.counters.matched) || 0;
      const injected = injectedTotal(view);
      const before = state.previous.get(view.name);
      if (before && now > before.t) {
        const dt = (now - before.t) / 1000;
        state.rates.set(view.name, {
          matched: Math.max(0, matched - before.matched) / dt,
          injected: Math.max(0, injected - before.injected) / dt,
        });
      }
      state.previous.set(view.name, { t: now, matched, injected });
    }
  }

  function ttl(view) {
    if (view.state === 'expired') return 'expired';
    if (!view.started_at) return 'not started';
    if (!view.expires_at) return '∞';
    return duration((Date.parse(view.expires_at) - Date.now()) / 1000);
  }

  async function experimentAction(name, action) {
    try {
      const path = `experiments/${encodeURIComponent(name)}`;
      const r = action === 'delete' ? await api('DELETE', path) : await api('POST', `${path}/${action}`);
      if (!r.ok) showMessage(`${action} ${name}: ${errorText(r)}`);
      else showMessage('');
    } catch (e) {
      if (!(e instanceof AuthNeeded)) showMessage(`${action} ${name}: ${e.message}`);
    }
    refresh(true);
  }

  function renderExperiments() {
    const body = $('experiments').tBodies[0];
    body.replaceChildren();
    $('no-experiments').hidden = state.experiments.length > 0;
    for (const v of state.experiments) {
      const rate = state.rates.get(v.name) || { matched: 0, injected: 0 };
      const inj = (v.counters && v.counters.injected) || {};
      const injText = Object.keys(inj).length
        ? Object.entries(inj).map(([k, n]) => `${k} ${n}`).join(', ') : '0';
      const faults = (v.faults || []).map((f) => f.type).join(', ');
      const actions = el('td', { class: 'actions' });
      if (v.state === 'active') {
        actions.append(el('button', { type: 'button', class: 'small', 'data-action': 'pause',
          onclick: () => experimentAction(v.name, 'pause') }, 'pause'));
      } else if (v.state === 'paused') {
        actions.append(el('button', { type: 'button', class: 'small', 'data-action': 'resume',
          onclick: () => experimentAction(v.name, 'resume') }, 'resume'));
      }
      if (v.source === 'api') {
        actions.append(' ', el('button', { type: 'button', class: 'small danger', 'data-action': 'delete',
          onclick: () => experimentAction(v.name, 'delete') }, 'delete'));
      }
      body.append(el('tr', { 'data-experiment': v.name },
        el('td', {}, el('strong', {}, v.name), v.description ? el('div', { class: 'rate' }, v.description) : null),
        el('td', {}, el('span', { class: `pill ${v.state}` }, v.state)),
        el('td', {}, v.source),
        el('td', {}, v.dry_run ? el('span', { class: 'pill dry' }, 'dry run') : 'no'),
        el('td', { class: 'mono' }, faults),
        el('td', { class: 'num ttl' }, ttl(v)),
        el('td', { class: 'num' }, String((v.counters && v.counters.matched) || 0),
          el('div', { class: 'rate' }, perSecond(rate.matched))),
        el('td', { class: 'num' }, injText, el('div', { class: 'rate' }, perSecond(rate.injected))),
        actions));
    }
  }

  // ---- apply -------------------------------------------------------------------------------

  const EXAMPLE = `name = "checkout-latency"
description = "500 ms on checkout for 10 minutes"
duration = "10m"

[match]
paths = ["/checkout/*"]

[[faults]]
type = "latency"
delay = "500ms"
percentage = 25
`;

  function looksLikeJson(text) {
    return text.trimStart().startsWith('{');
  }

  // Sets dry_run in a TOML experiment: among the keys before the first [table] header.
  function tomlWithDryRun(text, dryRun) {
    const lines = text.split('\n');
    let end = lines.findIndex((l) => /^\s*\[/.test(l));
    if (end < 0) end = lines.length;
    const head = lines.slice(0, end).filter((l) => !/^\s*dry_run\s*=/.test(l));
    const wrapped = head.findIndex((l) => /^\s*\[\[experiments\]\]/.test(l));
    if (wrapped >= 0 || /^\s*\[\[experiments\]\]/.test(lines[end] || '')) {
      // [[experiments]] file: the keys follow its header, up to the next header.
      const start = end + 1;
      let stop = lines.slice(start).findIndex((l) => /^\s*\[/.test(l));
      stop = stop < 0 ? lines.length : start + stop;
      const body = lines.slice(start, stop).filter((l) => !/^\s*dry_run\s*=/.test(l));
      return [...lines.slice(0, start), `dry_run = ${dryRun}`, ...body, ...lines.slice(stop)].join('\n');
    }
    return [`dry_run = ${dryRun}`, ...head, ...lines.slice(end)].join('\n');
  }

  // Where a field path ("faults[0].delay") is in the text: each key in turn, the n-th
  // occurrence for an index. Returns {start, end, line} or null.
  function locate(text, field, json) {
    if (!field) return null;
    let pos = 0;
    let found = null;
    const parts = field.split('.');
    for (let i = 0; i < parts.length; i++) {
      const m = /^([A-Za-z0-9_-]+)(?:\[(\d+)\])?$/.exec(parts[i]);
      if (!m) return found;
      const key = m[1];
      const pattern = json ? new RegExp(`"${key}"\\s*:`, 'g') : new RegExp(`(^|[\\s.\\[])${key}\\s*[=\\]]`, 'gm');
      pattern.lastIndex = pos;
      const hit = pattern.exec(text);
      if (!hit) return found;
      pos = hit.index + hit[0].length;
      found = { start: hit.index + (json ? 0 : hit[1].length), end: pos };
      const index = m[2] ? Number(m[2]) : 0;
      // For faults[2] the third entry: skip `index` occurrences of the next key (or "type").
      if (index > 0) {
        const nextKey = (parts[i + 1] || 'type').replace(/\[.*$/, '');
        const next = json ? new RegExp(`"${nextKey}"\\s*:`, 'g') : new RegExp(`^\\s*\\[\\[(?:experiments\\.)?${key}\\]\\]`, 'gm');
        next.lastIndex = pos;
        for (let k = 0; k < index; k++) {
          const h = next.exec(text);
          if (!h) return found;
          pos = h.index + h[0].length;
        }
        found = { start: pos, end: pos };
      }
    }
    if (found) found.line = text.slice(0, found.start).split('\n').length;
    return found;
  }

  async function apply() {
    const result = $('apply-result');
    const list = $('apply-errors');
    list.replaceChildren();
    result.hidden = true;
    let text = $('apply-text').value;
    const dryRun = $('apply-dry-run').checked;
    const json = looksLikeJson(text);
    let name = '';
    if (json) {
      let doc;
      try { doc = JSON.parse(text); } catch (e) {
        showApplyErrors([{ error: `not valid JSON: ${e.message}`, field: '' }], text, true);
        return;
      }
      if (doc && typeof doc === 'object' && !Array.isArray(doc)) {
        if (dryRun) doc.dry_run = true;
        name = typeof doc.name === 'string' ? doc.name : '';
      }
      text = JSON.stringify(doc);
    } else {
      if (dryRun) text = tomlWithDryRun(text, true);
      const m = /^\s*name\s*=\s*"([^"]*)"/m.exec(text);
      name = m ? m[1] : '';
    }
    const type = json ? 'application/json' : 'application/toml';
    try {
      // PUT creates or replaces, as `faultline ctl apply` does; without a name the API
      // itself says what is missing.
      const r = name
        ? await api('PUT', `experiments/${encodeURIComponent(name)}`, text, type)
        : await api('POST', 'experiments', text, type);
      if (r.ok) {
        result.className = 'result';
        result.textContent = `${r.status === 201 ? 'created' : 'replaced'} ${name}${dryRun ? ' (dry run)' : ''}`;
        result.hidden = false;
        refresh(true);
        return;
      }
      const errors = (r.json && r.json.errors) || [r.json || { error: `HTTP ${r.status}` }];
      showApplyErrors(errors, $('apply-text').value, json);
    } catch (e) {
      if (!(e instanceof AuthNeeded)) showApplyErrors([{ error: e.message }], '', json);
    }
  }

  function showApplyErrors(errors, text, json) {
    const list = $('apply-errors');
    const result = $('apply-result');
    result.className = 'result bad';
    result.textContent = errors.length === 1 ? 'Not applied: 1 error' : `Not applied: ${errors.length} errors`;
    result.hidden = false;
    let first = null;
    for (const e of errors) {
      const where = locate(text, e.field, json);
      const line = e.line || (where && where.line);
      if (!first && where) first = where;
      list.append(el('li', { 'data-field': e.field || '' },
        e.field ? el('code', {}, e.field) : null,
        line ? el('span', { class: 'muted' }, ` (line ${line})`) : null,
        e.field ? ': ' : '', e.error || ''));
    }
    if (first) {
      const area = $('apply-text');
      area.focus();
      area.setSelectionRange(first.start, first.end);
    }
  }

  // ---- listeners and charts ----------------------------------------------------------------

  const SVG = 'http://www.w3.org/2000/svg';

  function chart(title, lines, format) {
    const w = 300, h = 56;
    const svg = document.createElementNS(SVG, 'svg');
    svg.setAttribute('viewBox', `0 0 ${w} ${h}`);
    svg.setAttribute('preserveAspectRatio', 'none');
    const all = lines.flatMap((l) => l.values.filter((v) => v !== null));
    const max = Math.max(1e-9, ...all);
    const legend = [];
    for (const l of lines) {
      const n = l.values.length;
      const points = [];
      l.values.forEach((v, i) => {
        if (v === null) return;
        const x = n > 1 ? (i / (n - 1)) * w : w;
        const y = h - 2 - (v / max) * (h - 6);
        points.push(`${x.toFixed(1)},${y.toFixed(1)}`);
      });
      const poly = document.createElementNS(SVG, 'polyline');
      poly.setAttribute('points', points.join(' '));
      poly.setAttribute('class', `line-${l.key}`);
      poly.setAttribute('vector-effect', 'non-scaling-stroke');
      svg.append(poly);
      const last = [...l.values].reverse().find((v) => v !== null);
      legend.push(el('span', { class: `key-${l.key}` }, ` ${l.key} ${last === undefined ? '–' : format(last)}`));
    }
    return el('div', { class: 'chart' }, el('div', {}, title, ...legend), svg);
  }

  function average(points, pick, seconds) {
    const recent = points.slice(-seconds);
    if (!recent.length) return 0;
    return recent.reduce((a, p) => a + pick(p), 0) / recent.length;
  }

  function renderListeners() {
    const box = $('listeners');
    box.replaceChildren();
    const listeners = (state.status && state.status.listeners) || [];
    if (!state.selected && listeners.length) state.selected = listeners[0].name;
    for (const l of listeners) {
      const points = state.series.get(l.name) || [];
      const reqRate = average(points, (p) => p.requests, 10);
      const total = points.slice(-10).reduce((a, p) => a + p.requests, 0);
      const injected = points.slice(-10).reduce((a, p) => a + p.errors.injected, 0);
      const real = points.slice(-10).reduce((a, p) => a + p.errors.real, 0);
      const last = [...points].reverse().find((p) => p.p99 !== null);
      const card = el('div', {
        class: `listener${l.name === state.selected ? ' selected' : ''}`, 'data-listener': l.name,
        onclick: () => { state.selected = l.name; renderListeners(); renderCheatSheet(); },
      },
      el('h3', {}, l.name, ' ', el('span', { class: 'addr' }, `${l.protocol} ${l.address || l.listen} → ${l.upstream}`)),
      el('div', { class: 'figures' },
        el('span', {}, 'requests ', el('b', {}, perSecond(reqRate))),
        el('span', {}, 'injected errors ', el('b', { class: 'key-injected' }, total ? percent(injected / total) : '–')),
        el('span', {}, 'real errors ', el('b', { class: 'key-real' }, total ? percent(real / total) : '–')),
        el('span', {}, 'p50 ', el('b', {}, latency(last ? last.p50 : null))),
        el('span', {}, 'p99 ', el('b', {}, latency(last ? last.p99 : null)))),
      l.protocol === 'http' ? el('div', { class: 'charts' },
        chart('requests/s', [{ key: 'requests', values: points.map((p) => p.requests) }], perSecond),
        chart('errors/s', [
          { key: 'injected', values: points.map((p) => p.errors.injected) },
          { key: 'real', values: points.map((p) => p.errors.real) }], perSecond),
        chart('latency', [
          { key: 'p50', values: points.map((p) => p.p50) },
          { key: 'p99', values: points.map((p) => p.p99) }], latency))
        : el('p', { class: 'muted' }, 'TCP listener: connections only'));
      box.append(card);
    }
  }

  // ---- cheat-sheet -------------------------------------------------------------------------

  const CHEAT = {
    latency: { header: 'x-chaos-delay', value: '500ms' },
    abort: { header: 'x-chaos-abort', value: '503' },
    reset: { header: 'x-chaos-reset', value: 'request' },
    bandwidth: { header: 'x-chaos-bandwidth', value: '16KiB/s' },
    stall: { header: 'x-chaos-stall', value: '10s' },
  };

  function listenerUrl(l) {
    let addr = l.address || l.listen || '';  // the bound address (listen may say port 0)
    addr = addr.replace(/^0\.0\.0\.0:/, '127.0.0.1:').replace(/^\[::\]:/, '[::1]:');
    return `http://${addr}`;
  }

  function renderCheatSheet() {
    const select = $('cheat-listener');
    const listeners = ((state.status && state.status.listeners) || []).filter((l) => l.protocol === 'http');
    const names = listeners.map((l) => l.name);
    if ([...select.options].map((o) => o.value).join() !== names.join()) {
      select.replaceChildren(...names.map((n) => el('option', { value: n }, n)));
    }
    if (state.selected && names.includes(state.selected)) select.value = state.selected;
    const l = listeners.find((x) => x.name === select.value);
    const fault = CHEAT[$('cheat-fault').value];
    const value = $('cheat-value').value.trim() || fault.value;
    const path = $('cheat-path').value.trim() || '/';
    if (!l) { $('cheat-output').textContent = 'no HTTP listener'; return; }
    $('cheat-output').textContent =
      `curl -i -H ${shellQuote(`${fault.header}: ${value}`)} ${shellQuote(listenerUrl(l) + path)}\n` +
      `# only some requests:   -H 'x-chaos-percentage: 10'\n` +
      `# with a trigger token: -H 'x-chaos-token: …'`;
  }

  // ---- audit -------------------------------------------------------------------------------

  function renderAudit(events) {
    const body = $('audit').tBodies[0];
    body.replaceChildren();
    for (const e of [...events].reverse().slice(0, 200)) {
      body.append(el('tr', { class: e.action === 'auto-halt' ? 'auto-halt' : '' },
        el('td', { class: 'mono' }, (e.time || '').replace('T', ' ').replace('Z', '')),
        el('td', {}, e.client || ''), el('td', {}, el('strong', {}, e.action || '')),
        el('td', {}, e.experiment || ''), el('td', {}, e.result || '')));
    }
  }

  // ---- polling -----------------------------------------------------------------------------

  let timer = null;
  let inFlight = false;

  async function refresh(now) {
    if (now) {
      clearTimeout(timer);
    } else if (inFlight) {
      return;
    }
    inFlight = true;
    try {
      const [status, experiments] = await Promise.all([api('GET', 'status'), api('GET', 'experiments')]);
      if (status.ok) state.status = status.json;
      if (experiments.ok) {
        state.experiments = experiments.json || [];
        updateRates(Date.now());
      }
      renderStatus();
      renderExperiments();
      if (state.tick % 2 === 0 || now) {
        const [series, events] = await Promise.all([
          api('GET', `timeseries?window=${SERIES_WINDOW}`), api('GET', 'events')]);
        if (series.ok && series.json) {
          for (const l of series.json.listeners || []) state.series.set(l.listener, l.points || []);
        }
        renderListeners();
        renderCheatSheet();
        if (events.ok) renderAudit(events.json || []);
      }
      state.tick++;
      $('connection').textContent = 'live';
      $('connection').className = 'muted';
    } catch (e) {
      if (!(e instanceof AuthNeeded)) {
        $('connection').textContent = `cannot reach the admin API (${e.message})`;
        $('connection').className = 'error-text';
      }
    } finally {
      inFlight = false;
      clearTimeout(timer);
      timer = setTimeout(() => refresh(false), POLL_MS);
    }
  }

  function init() {
    $('halt-button').addEventListener('click', halt);
    $('unhalt-button').addEventListener('click', () => $('confirm-dialog').showModal());
    $('confirm-cancel').addEventListener('click', () => $('confirm-dialog').close());
    $('confirm-unhalt').addEventListener('click', unhalt);
    $('token-submit').addEventListener('click', useToken);
    $('token-input').addEventListener('keydown', (e) => { if (e.key === 'Enter') useToken(); });
    $('token-dialog').addEventListener('cancel', (e) => e.preventDefault());
    $('apply-button').addEventListener('click', apply);
    $('apply-example').addEventListener('click', () => { $('apply-text').value = EXAMPLE; });
    for (const id of ['cheat-listener', 'cheat-value', 'cheat-path']) {
      $(id).addEventListener('input', () => {
        if (id === 'cheat-listener') state.selected = $(id).value;
        renderCheatSheet();
      });
    }
    $('cheat-fault').addEventListener('change', () => {
      $('cheat-value').value = CHEAT[$('cheat-fault').value].value;
      renderCheatSheet();
    });
    // TTL countdowns tick between polls.
    setInterval(() => {
      for (const row of $('experiments').tBodies[0].rows) {
        const v = state.experiments.find((x) => x.name === row.dataset.experiment);
        if (v) row.querySelector('.ttl').textContent = ttl(v);
      }
    }, 1000);
    refresh(true);
  }

  document.addEventListener('DOMContentLoaded', init);
})();
