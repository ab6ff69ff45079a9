/*
 * Shadowcat admin page. Vanilla JS, no dependencies; talks only to the same origin:
 * /api/health, /api/upstreams, /api/sessions, /api/errors, /api/config(/reload), /api/traffic (SSE over fetch) and
 * /metrics (Prometheus text, sampled every 2 s and drawn on <canvas>).
 * Every value from the server reaches the DOM through textContent / attributes, never innerHTML.
 */
(() => {
  'use strict';

  const TOKEN_KEY = 'shadowcat.token';
  const POLL_MS = 2000;
  const CONFIG_EVERY = 5;          // polls between GET /api/config
  const WINDOW_MS = 5 * 60 * 1000; // samples kept and drawn
  const MAX_TRAFFIC = 500;
  const CONFIRM_MS = 4000;
  const BASE = new URL('../', location.href); // the gateway's context root (the page lives at <root>/admin/)

  const $ = (id) => document.getElementById(id);

  /** A DOM element: attrs may hold className, text, title, dataset, and any plain attribute. */
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    if (attrs) {
      for (const [k, v] of Object.entries(attrs)) {
        if (v === undefined || v === null) continue;
        if (k === 'className') e.className = v;
        else if (k === 'text') e.textContent = String(v);
        else if (k === 'dataset') Object.assign(e.dataset, v);
        else if (k === 'style') e.style.cssText = v;
        else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
        else e.setAttribute(k, String(v));
      }
    }
    for (const c of children) {
      if (c === null || c === undefined || c === false) continue;
      e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return e;
  }

  // ---------------------------------------------------------------- formatting

  const pad = (n, w = 2) => String(n).padStart(w, '0');
  function fmtClock(iso, millis) {
    const d = new Date(iso);
    if (isNaN(d)) return String(iso ?? '');
    const s = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
    return millis ? `${s}.${pad(d.getMilliseconds(), 3)}` : s;
  }
  function fmtDateTime(iso) {
    const d = new Date(iso);
    if (isNaN(d)) return String(iso ?? '');
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${fmtClock(iso)}`;
  }
  function fmtDuration(sec) {
    if (sec === null || sec === undefined || isNaN(sec)) return '–';
    sec = Math.max(0, Math.floor(sec));
    if (sec < 60) return `${sec}s`;
    if (sec < 3600) return `${Math.floor(sec / 60)}m ${pad(sec % 60)}s`;
    if (sec < 86400) return `${Math.floor(sec / 3600)}h ${pad(Math.floor(sec / 60) % 60)}m`;
    return `${Math.floor(sec / 86400)}d ${pad(Math.floor(sec / 3600) % 24)}h`;
  }
  function fmtBytes(n) {
    if (typeof n !== 'number') return n ?? '–';
    if (n < 1024) return `${n} B`;
    if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
    return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  }
  function fmtSeconds(s) {
    if (s === null || s === undefined || !isFinite(s)) return '–';
    if (s === 0) return '0';
    if (s < 0.001) return `${(s * 1000).toFixed(2)} ms`;
    if (s < 0.01) return `${(s * 1000).toFixed(1)} ms`;
    if (s < 1) return `${Math.round(s * 1000)} ms`;
    return `${s.toFixed(s < 10 ? 2 : 1)} s`;
  }
  function fmtRate(r) {
    if (r === null || r === undefined || !isFinite(r)) return '–';
    if (r === 0) return '0';
    if (r < 10) return `${r.toFixed(2)}/s`;
    if (r < 100) return `${r.toFixed(1)}/s`;
    return `${Math.round(r)}/s`;
  }
  const words = (key) => key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/_/g, ' ').toLowerCase();
  const short = (s, n) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

  // ---------------------------------------------------------------- auth and fetch

  let token = sessionStorage.getItem(TOKEN_KEY) || '';
  let authFailedThisCycle = false;

  class HttpError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  function authHeaders(extra) {
    const h = new Headers(extra || {});
    if (token) h.set('Authorization', `Bearer ${token}`);
    return h;
  }

  /** The server's reason, from a JSON-RPC error body, a JSON object, or the text itself. */
  async function reasonOf(res) {
    let text = '';
    try {
      text = await res.text();
    } catch (_) {
      return res.statusText || '';
    }
    try {
      const j = JSON.parse(text);
      if (j && j.error && typeof j.error === 'object' && j.error.message) return String(j.error.message);
      if (j && typeof j.error === 'string') return j.error;
      if (j && j.message) return String(j.message);
    } catch (_) { /* not JSON */ }
    const plain = text.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim();
    return short(plain || res.statusText || '', 240);
  }

  async function call(path, opts = {}) {
    const res = await fetch(new URL(path, BASE), {
      ...opts,
      headers: authHeaders(opts.headers),
      cache: 'no-store',
      credentials: 'same-origin',
      redirect: 'error',
    });
    if (res.status === 401 || res.status === 403) {
      const why = await reasonOf(res);
      showAuth(res.status, why, res.headers.get('WWW-Authenticate'));
      throw new HttpError(res.status, why);
    }
    return res;
  }

  async function getJson(path) {
    const res = await call(path);
    if (!res.ok) throw new HttpError(res.status, await reasonOf(res));
    return { body: await res.json(), res };
  }

  function showAuth(status, why, challenge) {
    authFailedThisCycle = true;
    let msg = `HTTP ${status}: ${why || (status === 401 ? 'Unauthorized' : 'Forbidden')}`;
    if (status === 401) msg += token ? ' — the token in use was refused; paste another.' : ' — paste a bearer token below.';
    else if (/insufficient_scope/.test(challenge || '')) msg += ' — the token lacks the admin role/scope.';
    $('auth-message').textContent = msg;
    $('auth').hidden = false;
  }
  function hideAuth() {
    $('auth').hidden = true;
  }

  $('auth-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const t = $('auth-token').value.trim().replace(/^Bearer\s+/i, '');
    if (!t) return;
    token = t;
    sessionStorage.setItem(TOKEN_KEY, token);
    $('auth-token').value = '';
    $('auth-message').textContent = 'Token saved; retrying…';
    restartTraffic();
    pollNow();
  });
  $('auth-clear').addEventListener('click', () => {
    token = '';
    sessionStorage.removeItem(TOKEN_KEY);
    $('auth-message').textContent = 'Token forgotten.';
    restartTraffic();
    pollNow();
  });

  // ---------------------------------------------------------------- header: health and config

  let clockSkewMs = 0; // server time minus ours, from the Date header when they differ by more than 2 s

  async function loadHealth() {
    const pill = $('status');
    try {
      const res = await call('api/health');
      const date = Date.parse(res.headers.get('Date') || '');
      if (!isNaN(date)) {
        const skew = date - Date.now();
        clockSkewMs = Math.abs(skew) > 2000 ? skew : 0;
      }
      let body = null;
      try { body = await res.json(); } catch (_) { /* body is optional for 503 */ }
      if (res.ok) {
        pill.textContent = body && body.status ? body.status : 'ok';
        pill.className = 'pill pill-ok';
      } else if (res.status === 503) {
        pill.textContent = (body && body.status) || 'stopping';
        pill.className = 'pill pill-warn';
      } else {
        pill.textContent = `HTTP ${res.status}`;
        pill.className = 'pill pill-bad';
      }
      if (body && typeof body.sessions === 'number') $('fact-sessions').textContent = body.sessions;
    } catch (e) {
      pill.textContent = e instanceof HttpError ? `HTTP ${e.status}` : 'unreachable';
      pill.className = 'pill pill-bad';
      pill.title = e.message || '';
    }
  }

  let reloadShownByUser = false;

  async function loadConfig() {
    try {
      const { body } = await getJson('api/config');
      $('fact-source').textContent = body.source ?? '–';
      $('fact-source').title = body.source ?? '';
      $('fact-started').textContent = body.startedAt ? fmtDateTime(body.startedAt) : '–';
      if (body.lastReload && !reloadShownByUser) showReload(body.lastReload, true);
    } catch (e) {
      if (e instanceof HttpError && e.status === 404) $('fact-source').textContent = 'n/a';
    }
  }

  function listOrNone(a) {
    return Array.isArray(a) && a.length ? a.join(', ') : 'none';
  }

  function showReload(r, past) {
    const box = $('reload-result');
    box.hidden = false;
    box.replaceChildren();
    const when = r.at ? ` at ${fmtClock(r.at)}` : '';
    const via = past && r.source ? ` (${r.source})` : '';
    if (r.applied) {
      box.className = 'reload-result ok';
      const changes = [['added', r.added], ['changed', r.changed], ['removed', r.removed]]
        .filter(([, v]) => Array.isArray(v) && v.length);
      const what = changes.length ? changes.map(([k, v]) => `${k}: ${v.join(', ')}`).join(' · ') : 'no changes';
      box.append(el('span', { text: `${past ? 'Last reload' : 'Reloaded'}${when}${via}: applied — ${what}` }));
      if (Array.isArray(r.needsRestart) && r.needsRestart.length) {
        box.append(el('span', { className: 'restart', text: `Needs a restart to take effect: ${listOrNone(r.needsRestart)}` }));
      }
    } else {
      box.className = 'reload-result bad';
      box.append(el('span', { text: `${past ? 'Last reload' : 'Reload'}${when}${via} refused: ${r.error || 'unknown error'}` }));
    }
  }

  $('reload').addEventListener('click', async () => {
    const btn = $('reload');
    btn.disabled = true;
    btn.textContent = 'Reloading…';
    try {
      const res = await call('api/config/reload', { method: 'POST' });
      let body = null;
      try { body = await res.clone().json(); } catch (_) { /* not JSON */ }
      reloadShownByUser = true;
      if (body && typeof body.applied === 'boolean') {
        showReload(body, false);
      } else {
        showReload({ applied: false, error: `HTTP ${res.status}: ${await reasonOf(res)}` }, false);
      }
    } catch (e) {
      reloadShownByUser = true;
      showReload({ applied: false, error: e.message || String(e) }, false);
    } finally {
      btn.disabled = false;
      btn.textContent = 'Reload configuration';
      loadConfig();
    }
  });

  // ---------------------------------------------------------------- upstreams

  const HOT = new Set(['died', 'spawnFailures', 'acquireTimeouts', 'readinessTimeouts', 'failures', 'fastFails', 'waiting']);
  const BREAKER = { closed: 'pill-ok', half_open: 'pill-warn', open: 'pill-bad' };
  let upstreamNames = [];

  function figure(key, value) {
    let text;
    let title;
    if (value === null || value === undefined) text = '–';
    else if (Array.isArray(value)) text = value.map((v) => (typeof v === 'object' ? JSON.stringify(v) : v)).join(', ') || '–';
    else if (typeof value === 'object') { text = JSON.stringify(value); title = text; }
    else text = String(value);
    const hot = HOT.has(key) && typeof value === 'number' && value > 0;
    return el('div', { className: typeof value !== 'number' && text.length > 10 ? 'wide' : null, title: title || `${key}: ${text}` },
      el('dt', { text: words(key) }),
      el('dd', { className: hot ? 'hot' : null, text }));
  }

  function upstreamCard(u) {
    const used = new Set(['name', 'kind']);
    const take = (k) => { used.add(k); return u[k]; };
    const head = el('div', { className: 'card-head' },
      el('span', { className: 'card-name', text: u.name, title: u.name }),
      el('span', { className: 'kind', text: u.mode ? `${u.kind} · ${u.mode}` : u.kind }));
    used.add('mode');
    const card = el('article', { className: `card kind-${u.kind}`, dataset: { upstream: u.name } }, head);

    if (u.kind === 'stdio') {
      const max = Number(take('max')) || 0;
      const busy = Number(take('busy')) || 0;
      const idle = Number(take('idle')) || 0;
      const starting = Number(take('starting')) || 0;
      const waiting = take('waiting');
      const scale = Math.max(max, busy + idle + starting, 1);
      const seg = (cls, n) => el('i', { className: cls, style: `width:${(100 * n) / scale}%`, title: `${cls.slice(2)} ${n}` });
      card.append(
        el('div', { className: 'bar', title: `pool: ${busy} busy, ${idle} idle, ${starting} starting of ${max}` },
          seg('b-busy', busy), seg('b-idle', idle), seg('b-starting', starting)),
        el('div', { className: 'bar-caption', text: `${busy} busy · ${idle} idle · ${starting} starting · max ${max}${waiting ? ` · ${waiting} waiting` : ''}` }));
      if (waiting) used.delete('waiting');
    } else if (u.kind === 'http') {
      const breaker = take('breaker');
      if (breaker) {
        head.append(el('span', { className: `pill ${BREAKER[breaker] || 'pill-unknown'}`, text: `breaker ${String(breaker).replace('_', '-')}`, title: 'circuit breaker' }));
      }
      const url = take('url');
      if (url) card.append(el('div', { className: 'url', text: url, title: url }));
      const detail = take('breakerDetail');
      if (detail) card.append(el('div', { className: 'detail', text: detail }));
    } else if (u.kind === 'aggregate') {
      const members = take('members');
      if (Array.isArray(members)) {
        card.append(el('div', { className: 'members' },
          ...members.map((m) => el('span', { text: typeof m === 'object' && m ? (m.name ?? JSON.stringify(m)) : m }))));
      }
    }
    const rest = Object.keys(u).filter((k) => !used.has(k));
    if (rest.length) card.append(el('dl', { className: 'figs' }, ...rest.map((k) => figure(k, u[k]))));
    return card;
  }

  async function loadUpstreams() {
    const note = $('upstreams-note');
    try {
      const { body } = await getJson('api/upstreams');
      const list = Array.isArray(body) ? body : [];
      note.hidden = true;
      $('upstreams').replaceChildren(...list.map(upstreamCard));
      const kinds = {};
      for (const u of list) kinds[u.kind] = (kinds[u.kind] || 0) + 1;
      $('upstreams-sub').textContent = `${list.length} · ${Object.entries(kinds).map(([k, n]) => `${n} ${k}`).join(', ')}`;
      upstreamNames = list.map((u) => u.name);
      fillSelect($('traffic-upstream'), upstreamNames, 'all');
      fillSelect($('latency-upstream'), upstreamNames, 'all upstreams');
    } catch (e) {
      note.hidden = false;
      note.textContent = `Could not load /api/upstreams: ${e.message}`;
    }
  }

  /** Keeps a select's options in step with a list, keeping the chosen value (marked gone) if it left the list. */
  function fillSelect(select, values, allLabel) {
    const cur = select.value;
    const want = [...values];
    if (cur && !want.includes(cur)) want.push(cur);
    const have = [...select.options].slice(1).map((o) => o.value);
    if (have.length === want.length && have.every((v, i) => v === want[i])) {
      for (const o of [...select.options].slice(1)) o.textContent = values.includes(o.value) ? o.value : `${o.value} (gone)`;
      return;
    }
    select.replaceChildren(el('option', { value: '', text: allLabel }),
      ...want.map((v) => el('option', { value: v, text: values.includes(v) ? v : `${v} (gone)` })));
    select.value = cur;
  }

  // ---------------------------------------------------------------- sessions

  const sessionRows = new Map(); // handle -> { tr, cells, btn, confirmTimer }
  const closing = new Map();     // handle -> time it was closed here (hidden from slower polls for 10 s)

  function sessionRow(handle) {
    const cells = {};
    const td = (name, cls) => (cells[name] = el('td', { className: cls }));
    const link = el('a', {
      href: '#', className: 'filter', text: handle, title: 'show this session in Live traffic',
      onclick: (ev) => { ev.preventDefault(); setTrafficFilter('session', handle); },
    });
    const btn = el('button', { type: 'button', className: 'danger', text: 'close', dataset: { testid: 'close-session' }, title: 'end this session' });
    const row = { tr: null, cells, btn, confirmTimer: null };
    btn.addEventListener('click', () => closeClicked(handle, row));
    const idCell = el('td', { className: 'id' }, link);
    row.tr = el('tr', { dataset: { session: handle } }, idCell,
      td('principal'), td('upstream'), td('protocolVersion', 'id'), td('state'),
      td('age', 'num'), td('idle', 'num'), td('inFlight', 'num'), td('requests', 'num'), td('buffered', 'num'),
      el('td', { className: 'num' }, btn));
    return row;
  }

  function resetConfirm(row) {
    clearTimeout(row.confirmTimer);
    row.confirmTimer = null;
    row.btn.classList.remove('confirm');
    row.btn.textContent = 'close';
    row.btn.disabled = false;
  }

  async function closeClicked(handle, row) {
    if (!row.btn.classList.contains('confirm')) {
      row.btn.classList.add('confirm');
      row.btn.textContent = 'confirm?';
      row.confirmTimer = setTimeout(() => resetConfirm(row), CONFIRM_MS);
      return;
    }
    clearTimeout(row.confirmTimer);
    row.btn.disabled = true;
    row.btn.textContent = 'closing…';
    try {
      const res = await call(`api/sessions/${encodeURIComponent(handle)}`, { method: 'DELETE' });
      if (res.status === 204 || res.status === 404 || res.ok) {
        closing.set(handle, Date.now());
        removeSessionRow(handle);
        pollNow(); // header counts and traffic filters follow at once
        const sub = $('sessions-sub');
        sub.textContent = res.status === 404 ? `${handle} was already gone` : `closed ${handle}`;
        setTimeout(() => { if (sub.textContent.endsWith(handle)) sub.textContent = ''; }, 10000);
      } else {
        const why = await reasonOf(res);
        resetConfirm(row);
        row.btn.textContent = `failed (${res.status})`;
        row.btn.title = why;
      }
    } catch (e) {
      resetConfirm(row);
      row.btn.textContent = 'failed';
      row.btn.title = e.message || String(e);
    }
  }

  function removeSessionRow(handle) {
    const row = sessionRows.get(handle);
    if (!row) return;
    clearTimeout(row.confirmTimer);
    row.tr.remove();
    sessionRows.delete(handle);
    $('sessions-empty').hidden = sessionRows.size > 0;
  }

  let sessionsInFlight = 0;

  async function loadSessions() {
    const note = $('sessions-note');
    try {
      const { body } = await getJson('api/sessions');
      note.hidden = true;
      const list = (Array.isArray(body) ? body : []).filter((s) => s && s.id);
      const now = Date.now();
      for (const [h, t] of closing) if (now - t > 10000) closing.delete(h);
      const live = list.filter((s) => !closing.has(s.id));
      const seen = new Set(live.map((s) => s.id));
      for (const h of [...sessionRows.keys()]) if (!seen.has(h)) removeSessionRow(h);
      const tbody = $('sessions');
      let inFlight = 0;
      live.forEach((s, i) => {
        let row = sessionRows.get(s.id);
        if (!row) {
          row = sessionRow(s.id);
          sessionRows.set(s.id, row);
        }
        if (tbody.children[i] !== row.tr) tbody.insertBefore(row.tr, tbody.children[i] || null);
        const c = row.cells;
        const created = Date.parse(s.createdAt);
        c.principal.textContent = s.principal ?? '–';
        c.upstream.textContent = s.upstream ?? '–';
        c.protocolVersion.textContent = s.protocolVersion ?? '–';
        c.state.textContent = String(s.state ?? '–').toLowerCase();
        c.state.className = String(s.state).toUpperCase() === 'OPEN' ? 'state-open' : 'state-other';
        c.age.textContent = isNaN(created) ? '–' : fmtDuration((now + clockSkewMs - created) / 1000);
        c.age.title = s.createdAt ? `opened ${fmtDateTime(s.createdAt)}` : '';
        c.idle.textContent = fmtDuration(s.idleSeconds);
        c.inFlight.textContent = s.inFlight ?? '–';
        c.inFlight.className = s.inFlight > 0 ? 'num busy' : 'num';
        c.requests.textContent = s.requests ?? '–';
        c.buffered.textContent = fmtBytes(s.bufferedBytes);
        inFlight += Number(s.inFlight) || 0;
      });
      sessionsInFlight = inFlight;
      $('sessions-empty').hidden = live.length > 0;
      if (!metricsOn) $('fact-inflight').textContent = inFlight;
      fillSelect($('traffic-session'), live.map((s) => s.id), 'all');
    } catch (e) {
      note.hidden = false;
      note.textContent = `Could not load /api/sessions: ${e.message}`;
    }
  }

  // ---------------------------------------------------------------- errors

  async function loadErrors() {
    const note = $('errors-note');
    try {
      const { body } = await getJson('api/errors');
      note.hidden = true;
      const recent = Array.isArray(body.recent) ? body.recent : [];
      $('errors-sub').textContent = `${body.total ?? recent.length} since start${recent.length ? `, last ${recent.length} shown` : ''}`;
      $('fact-errors').textContent = body.total ?? recent.length;
      $('errors').replaceChildren(...recent.map((r) => el('tr', null,
        el('td', { text: fmtClock(r.time), title: r.time }),
        el('td', { className: 'id' }, r.session ? el('a', {
          href: '#', className: 'filter', text: r.session, title: 'show this session in Live traffic',
          onclick: (ev) => { ev.preventDefault(); setTrafficFilter('session', r.session); },
        }) : '–'),
        el('td', { text: r.upstream ?? '–' }),
        el('td', { text: r.principal ?? '–' }),
        el('td', { text: r.method ?? '–' }),
        el('td', { className: 'id', text: r.name ?? '' }),
        el('td', { className: 'num', text: r.code ?? '' }),
        el('td', { className: 'msg', text: r.message ?? '' }))));
      $('errors-empty').hidden = recent.length > 0;
    } catch (e) {
      note.hidden = false;
      note.textContent = e instanceof HttpError && e.status === 404
        ? 'This gateway does not offer /api/errors.'
        : `Could not load /api/errors: ${e.message}`;
      $('errors-empty').hidden = true;
    }
  }

  // ---------------------------------------------------------------- metrics: parse, sample, draw

  let metricsOn = true;
  let prevSeries = null; // series key -> value, from the previous sample
  let prevAt = 0;
  const samples = [];    // { t, gapBefore, rate: {total, by: {upstream: r}}, buckets: {upstream: {le: delta}} }

  function parseLabels(s) {
    const out = {};
    const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
    let m;
    while ((m = re.exec(s))) out[m[1]] = m[2].replace(/\\n/g, '\n').replace(/\\(.)/g, '$1');
    return out;
  }

  /** The series this page uses, as key -> {name, labels, value}. */
  function parseMetrics(text) {
    const out = new Map();
    const gauges = {};
    for (const line of text.split('\n')) {
      if (!line || line[0] === '#') continue;
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
      if (!m) continue;
      const [, name, labelText, raw] = m;
      const value = Number(raw);
      if (!isFinite(value) && raw !== '+Inf') continue;
      if (name === 'shadowcat_sessions_open' || name === 'shadowcat_requests_in_flight') {
        gauges[name] = (gauges[name] || 0) + value;
        continue;
      }
      if (name !== 'shadowcat_call_duration_seconds_count' && name !== 'shadowcat_call_duration_seconds_bucket') continue;
      const labels = parseLabels(labelText || '');
      if (labels.origin && labels.origin !== 'client') continue;
      out.set(`${name}{${labelText}}`, { name, labels, value });
    }
    return { series: out, gauges };
  }

  function sample(text, at) {
    const { series, gauges } = parseMetrics(text);
    if (gauges.shadowcat_sessions_open !== undefined) $('fact-sessions').textContent = gauges.shadowcat_sessions_open;
    if (gauges.shadowcat_requests_in_flight !== undefined) $('fact-inflight').textContent = gauges.shadowcat_requests_in_flight;
    const values = new Map();
    for (const [k, s] of series) values.set(k, s.value);
    const first = prevSeries === null;
    const dt = (at - prevAt) / 1000;
    const gap = !first && dt > (POLL_MS * 3) / 1000;
    if (!first && !gap && dt > 0.2) {
      const by = {};
      const buckets = {};
      let total = 0;
      for (const [k, s] of series) {
        const before = prevSeries.get(k);
        // a new series counts from zero; a smaller value means the counter was reset
        const d = before === undefined ? s.value : s.value >= before ? s.value - before : s.value;
        if (d === 0) continue;
        const up = s.labels.upstream ?? '';
        if (s.name.endsWith('_count')) {
          by[up] = (by[up] || 0) + d;
          total += d;
        } else {
          const le = s.labels.le;
          const b = (buckets[up] ||= {});
          b[le] = (b[le] || 0) + d;
        }
      }
      for (const k of Object.keys(by)) by[k] /= dt;
      samples.push({ t: at, gapBefore: samples.length > 0 && samples[samples.length - 1].t < prevAt - 1, rate: { total: total / dt, by }, buckets });
    }
    while (samples.length && samples[0].t < at - WINDOW_MS) samples.shift();
    prevSeries = values;
    prevAt = at;
  }

  /** Prometheus-style quantile from cumulative bucket counts (le -> count), linear within a bucket. */
  function quantile(q, cum) {
    const bounds = Object.keys(cum).map((le) => [le === '+Inf' ? Infinity : Number(le), cum[le]]).sort((a, b) => a[0] - b[0]);
    if (!bounds.length) return null;
    // bucket deltas are cumulative only if every bucket is present: make them monotone
    for (let i = 1; i < bounds.length; i++) bounds[i][1] = Math.max(bounds[i][1], bounds[i - 1][1]);
    const total = bounds[bounds.length - 1][1];
    if (!(total > 0)) return null;
    const rank = q * total;
    let lower = 0;
    let below = 0;
    for (const [bound, count] of bounds) {
      if (count >= rank) {
        if (bound === Infinity) return lower;
        if (count === below) return bound;
        return lower + ((bound - lower) * (rank - below)) / (count - below);
      }
      lower = bound;
      below = count;
    }
    return lower;
  }

  function latencyOf(s, upstream, q) {
    let cum;
    if (upstream) cum = s.buckets[upstream];
    else {
      cum = {};
      for (const b of Object.values(s.buckets)) for (const [le, n] of Object.entries(b)) cum[le] = (cum[le] || 0) + n;
    }
    return cum ? quantile(q, cum) : null;
  }

  let css = null;
  function colors() {
    if (!css) {
      const cs = getComputedStyle(document.documentElement);
      const v = (n) => cs.getPropertyValue(n).trim();
      css = { line: v('--line'), muted: v('--muted'), text: v('--text'), series: [v('--c1'), v('--c2'), v('--c3'), v('--c4'), '#e06c9f', '#56d4dd'] };
    }
    return css;
  }

  function niceMax(v) {
    if (!(v > 0)) return 1;
    const p = Math.pow(10, Math.floor(Math.log10(v)));
    for (const m of [1, 1.2, 1.6, 2, 2.4, 3, 4, 6, 8, 10]) if (v <= m * p) return m * p;
    return 10 * p;
  }

  /** series: [{label, color, dash, width, points: [{t, v, breakBefore}]}] over the last WINDOW_MS. */
  function drawChart(canvas, series, fmt, emptyText) {
    const dpr = window.devicePixelRatio || 1;
    const w = canvas.clientWidth || 400;
    const h = canvas.clientHeight || 180;
    if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
      canvas.width = Math.round(w * dpr);
      canvas.height = Math.round(h * dpr);
    }
    const g = canvas.getContext('2d');
    const c = colors();
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, w, h);
    const L = 58, R = 8, T = 8, B = 20;
    const pw = w - L - R, ph = h - T - B;
    const now = Date.now();
    const t0 = now - WINDOW_MS;
    let max = 0;
    for (const s of series) for (const p of s.points) if (p.v !== null && p.v > max) max = p.v;
    const ymax = niceMax(max * 1.1);
    const x = (t) => L + ((t - t0) / WINDOW_MS) * pw;
    const y = (v) => T + ph - (v / ymax) * ph;

    g.font = '11px system-ui, sans-serif';
    g.lineWidth = 1;
    g.strokeStyle = c.line;
    g.fillStyle = c.muted;
    g.textBaseline = 'middle';
    g.textAlign = 'right';
    for (let i = 0; i <= 4; i++) {
      const v = (ymax * i) / 4;
      const yy = Math.round(y(v)) + 0.5;
      g.beginPath();
      g.moveTo(L, yy);
      g.lineTo(L + pw, yy);
      g.stroke();
      g.fillText(fmt(v), L - 6, yy);
    }
    g.textAlign = 'center';
    g.textBaseline = 'top';
    for (let m = 5; m >= 0; m--) {
      const xx = x(now - m * 60000);
      g.fillText(m === 0 ? 'now' : `-${m}m`, Math.min(Math.max(xx, L + 10), L + pw - 12), T + ph + 5);
    }
    const any = series.some((s) => s.points.some((p) => p.v !== null));
    if (!any) {
      g.textAlign = 'center';
      g.textBaseline = 'middle';
      g.fillStyle = c.muted;
      g.fillText(emptyText, L + pw / 2, T + ph / 2);
    }
    g.save();
    g.beginPath();
    g.rect(L, T - 2, pw, ph + 4);
    g.clip();
    for (const s of series) {
      if (s.fill) {
        const grad = g.createLinearGradient(0, T, 0, T + ph);
        grad.addColorStop(0, `${s.color}55`);
        grad.addColorStop(1, `${s.color}05`);
        g.fillStyle = grad;
        let run = [];
        const flush = () => {
          if (run.length > 1) {
            g.beginPath();
            g.moveTo(x(run[0].t), y(0));
            for (const p of run) g.lineTo(x(p.t), y(p.v));
            g.lineTo(x(run[run.length - 1].t), y(0));
            g.closePath();
            g.fill();
          }
          run = [];
        };
        for (const p of s.points) {
          if (p.v === null || p.breakBefore) flush();
          if (p.v !== null) run.push(p);
        }
        flush();
      }
      g.strokeStyle = s.color;
      g.fillStyle = s.color;
      g.lineWidth = s.width || 1.6;
      g.setLineDash(s.dash ? [5, 4] : []);
      g.lineJoin = 'round';
      g.beginPath();
      let open = false;
      for (const p of s.points) {
        if (p.v === null || p.breakBefore) open = false;
        if (p.v === null) continue;
        if (!open) g.moveTo(x(p.t), y(p.v));
        else g.lineTo(x(p.t), y(p.v));
        open = true;
      }
      g.stroke();
      g.setLineDash([]);
      // lone points (no neighbour on either side) get a dot so that sparse traffic is still visible
      const pts = s.points;
      for (let i = 0; i < pts.length; i++) {
        const p = pts[i];
        if (p.v === null) continue;
        const before = i > 0 && pts[i - 1].v !== null && !p.breakBefore;
        const after = i + 1 < pts.length && pts[i + 1].v !== null && !pts[i + 1].breakBefore;
        if (!before && !after) {
          g.beginPath();
          g.arc(x(p.t), y(p.v), 2.2, 0, Math.PI * 2);
          g.fill();
        }
      }
    }
    g.restore();
  }

  function legend(box, series) {
    box.replaceChildren(...series.map((s) => el('span', { className: s.dash ? 'dash' : null, style: `--sw:${s.color}`, text: s.label })));
  }

  function redraw() {
    if (!metricsOn) return;
    const c = colors();
    const pts = (f) => samples.map((s) => ({ t: s.t, v: f(s), breakBefore: s.gapBefore }));
    const rateSeries = [{ label: 'all upstreams', color: c.series[0], width: 2.2, fill: true, points: pts((s) => s.rate.total) }];
    if (upstreamNames.length > 1) {
      upstreamNames.forEach((name, i) => rateSeries.push({
        label: name, color: c.series[(i + 1) % c.series.length], width: 1.3, points: pts((s) => s.rate.by[name] || 0),
      }));
    }
    const rateCanvas = $('chart-rate');
    drawChart(rateCanvas, rateSeries, fmtRate, 'waiting for samples…');
    rateCanvas.dataset.samples = String(samples.length);
    legend($('legend-rate'), rateSeries);
    const last = samples[samples.length - 1];
    $('rate-now').textContent = last ? `now ${last.rate.total ? fmtRate(last.rate.total) : '0/s'}` : '';

    const up = $('latency-upstream').value;
    const latSeries = [
      { label: `p50${up ? ` · ${up}` : ''}`, color: c.series[0], width: 2, points: pts((s) => latencyOf(s, up, 0.5)) },
      { label: `p95${up ? ` · ${up}` : ''}`, color: c.series[1], width: 1.6, dash: true, points: pts((s) => latencyOf(s, up, 0.95)) },
    ];
    const latCanvas = $('chart-latency');
    drawChart(latCanvas, latSeries, fmtSeconds, samples.length ? 'no calls in the last 5 minutes' : 'waiting for samples…');
    latCanvas.dataset.samples = String(samples.length);
    legend($('legend-latency'), latSeries);
    const lastLat = [...latSeries[0].points].reverse().find((p) => p.v !== null);
    const lastP95 = [...latSeries[1].points].reverse().find((p) => p.v !== null);
    $('lat-now').textContent = lastLat ? `latest p50 ${fmtSeconds(lastLat.v)} · p95 ${fmtSeconds(lastP95 && lastP95.v)}` : '';
  }

  async function loadMetrics() {
    try {
      const res = await call('metrics', { headers: { Accept: 'text/plain' } });
      if (res.status === 404) {
        metricsOn = false;
        $('chart-grid').hidden = true;
        $('metrics-note').hidden = false;
        $('metrics-note').textContent = 'Metrics are disabled on this gateway (/metrics answers 404), so there are no charts.';
        $('fact-inflight').textContent = sessionsInFlight;
        return;
      }
      if (!res.ok) throw new HttpError(res.status, await reasonOf(res));
      const text = await res.text();
      if (!metricsOn) {
        metricsOn = true;
        $('chart-grid').hidden = false;
      }
      $('metrics-note').hidden = true;
      sample(text, Date.now());
      redraw();
    } catch (e) {
      $('metrics-note').hidden = false;
      $('metrics-note').textContent = `Could not read /metrics: ${e.message}`;
    }
  }

  $('latency-upstream').addEventListener('change', redraw);
  let resizeTimer = null;
  window.addEventListener('resize', () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(redraw, 100);
  });

  // ---------------------------------------------------------------- live traffic (SSE over fetch)

  const traffic = { ctrl: null, userPaused: false, backoff: 1000, timer: null, pending: [], flushTimer: null, count: 0 };

  function trafficState(text, cls, sub) {
    const p = $('traffic-state');
    p.textContent = text;
    p.className = `pill ${cls}`;
    if (sub !== undefined) $('traffic-sub').textContent = sub;
  }

  function trafficWanted() {
    return !traffic.userPaused && !document.hidden;
  }

  function stopTraffic(state, cls) {
    clearTimeout(traffic.timer);
    traffic.timer = null;
    if (traffic.ctrl) traffic.ctrl.abort();
    traffic.ctrl = null;
    if (state) trafficState(state, cls || 'pill-unknown', '');
  }

  function startTraffic() {
    if (traffic.ctrl || !trafficWanted()) return;
    clearTimeout(traffic.timer);
    traffic.timer = null;
    runTraffic();
  }

  function restartTraffic() {
    stopTraffic();
    traffic.backoff = 1000;
    if (trafficWanted()) startTraffic();
    else trafficState(traffic.userPaused ? 'paused' : 'paused (tab hidden)', 'pill-warn', '');
  }

  function retryTraffic(why, delay) {
    traffic.ctrl = null;
    if (!trafficWanted()) return;
    const wait = delay ?? traffic.backoff;
    traffic.backoff = Math.min(traffic.backoff * 2, 30000);
    trafficState('reconnecting', 'pill-warn', `${why} — retrying in ${Math.round(wait / 1000)} s`);
    clearTimeout(traffic.timer);
    traffic.timer = setTimeout(() => { traffic.timer = null; startTraffic(); }, wait);
  }

  async function runTraffic() {
    const ctrl = new AbortController();
    traffic.ctrl = ctrl;
    const q = new URLSearchParams();
    const session = $('traffic-session').value;
    const upstream = $('traffic-upstream').value;
    if (session) q.set('session', session);
    if (upstream) q.set('upstream', upstream);
    const path = `api/traffic${q.toString() ? `?${q}` : ''}`;
    trafficState('connecting', 'pill-unknown', '');
    let res;
    try {
      res = await call(path, { headers: { Accept: 'text/event-stream' }, signal: ctrl.signal });
    } catch (e) {
      if (ctrl.signal.aborted) return;
      retryTraffic(e instanceof HttpError ? `HTTP ${e.status}` : 'cannot connect', e instanceof HttpError ? 15000 : undefined);
      return;
    }
    if (!res.ok || !res.body) {
      const why = res.status === 404 ? 'this gateway does not offer /api/traffic' : `HTTP ${res.status}`;
      try { await res.body?.cancel(); } catch (_) { /* ignore */ }
      if (!ctrl.signal.aborted) retryTraffic(why, res.status === 404 ? 30000 : undefined);
      return;
    }
    trafficState('live', 'pill-ok', filterText(session, upstream));
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buf = '';
    let data = [];
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        traffic.backoff = 1000;
        buf += decoder.decode(value, { stream: true });
        for (;;) {
          const m = /\r\n|\n|\r/.exec(buf);
          if (!m) break;
          if (m[0] === '\r' && m.index === buf.length - 1) break; // maybe the first half of \r\n
          const line = buf.slice(0, m.index);
          buf = buf.slice(m.index + m[0].length);
          if (line === '') {
            if (data.length) frame(data.join('\n'));
            data = [];
          } else if (line[0] !== ':') {
            const colon = line.indexOf(':');
            const field = colon < 0 ? line : line.slice(0, colon);
            let v = colon < 0 ? '' : line.slice(colon + 1);
            if (v[0] === ' ') v = v.slice(1);
            if (field === 'data') data.push(v);
          }
        }
      }
      if (!ctrl.signal.aborted) retryTraffic('the stream ended');
    } catch (e) {
      if (!ctrl.signal.aborted) retryTraffic('the stream broke');
    } finally {
      try { reader.releaseLock(); } catch (_) { /* ignore */ }
    }
  }

  function filterText(session, upstream) {
    const parts = [];
    if (session) parts.push(`session ${session}`);
    if (upstream) parts.push(`upstream ${upstream}`);
    return parts.length ? `only ${parts.join(' and ')}` : 'every session and upstream';
  }

  function frame(json) {
    let f;
    try { f = JSON.parse(json); } catch (_) { return; }
    if (!f || typeof f !== 'object') return;
    traffic.pending.push(f);
    if (traffic.pending.length > MAX_TRAFFIC) traffic.pending.splice(0, traffic.pending.length - MAX_TRAFFIC);
    if (!traffic.flushTimer) traffic.flushTimer = setTimeout(flushTraffic, 100);
  }

  const DIR = {
    'to-upstream': ['→', 'dir-up', 'client → upstream'],
    'to-client': ['←', 'dir-down', 'upstream → client'],
  };

  function trafficRow(f) {
    const [arrow, cls, title] = DIR[f.direction] || ['·', '', f.direction || ''];
    const err = f.error === true;
    const preview = typeof f.preview === 'string' ? f.preview : '';
    return el('tr', { className: `fresh${err ? ' err' : ''}` },
      el('td', { text: fmtClock(f.time, true), title: f.time ? `${f.time} · #${f.seq}` : '' }),
      el('td', { className: cls, text: arrow, title }),
      el('td', { text: err ? `${f.kind} ✗` : f.kind ?? '' }),
      el('td', { text: f.method ?? '' }),
      el('td', { className: 'id', text: f.id ?? '' }),
      el('td', { className: 'id' }, f.session && f.session !== 'null' ? el('a', {
        href: '#', className: 'filter', text: f.session, title: 'only this session',
        onclick: (ev) => { ev.preventDefault(); setTrafficFilter('session', f.session); },
      }) : ''),
      el('td', { text: f.upstream && f.upstream !== 'null' ? f.upstream : '' }),
      el('td', { text: f.principal && f.principal !== 'null' ? f.principal : '' }),
      el('td', { className: 'num', text: f.bytes ?? '' }),
      el('td', { className: 'preview', text: short(preview, 200), title: preview }));
  }

  function flushTraffic() {
    traffic.flushTimer = null;
    const batch = traffic.pending;
    traffic.pending = [];
    if (!batch.length) return;
    const tbody = $('traffic');
    const frag = document.createDocumentFragment();
    for (let i = batch.length - 1; i >= 0; i--) frag.append(trafficRow(batch[i])); // newest first
    tbody.prepend(frag);
    while (tbody.rows.length > MAX_TRAFFIC) tbody.lastElementChild.remove();
    traffic.count += batch.length;
    tbody.dataset.rows = String(tbody.rows.length);
    $('traffic-empty').hidden = true;
    // drop the highlight class later so re-layouts do not replay it
    setTimeout(() => { for (const tr of tbody.querySelectorAll('tr.fresh')) tr.classList.remove('fresh'); }, 1500);
  }

  function clearTraffic() {
    traffic.pending = [];
    $('traffic').replaceChildren();
    $('traffic').dataset.rows = '0';
    $('traffic-empty').hidden = false;
  }

  function setTrafficFilter(which, value) {
    const select = $(which === 'session' ? 'traffic-session' : 'traffic-upstream');
    if (![...select.options].some((o) => o.value === value)) select.append(el('option', { value, text: value }));
    select.value = value;
    clearTraffic();
    restartTraffic();
    $('traffic-panel').scrollIntoView({ behavior: 'smooth', block: 'start' });
  }

  for (const id of ['traffic-session', 'traffic-upstream']) {
    $(id).addEventListener('change', () => { clearTraffic(); restartTraffic(); });
  }
  $('traffic-pause').addEventListener('click', () => {
    traffic.userPaused = !traffic.userPaused;
    $('traffic-pause').textContent = traffic.userPaused ? 'Resume' : 'Pause';
    if (traffic.userPaused) stopTraffic('paused', 'pill-warn');
    else restartTraffic();
  });
  $('traffic-clear').addEventListener('click', clearTraffic);

  // ---------------------------------------------------------------- polling and visibility

  let pollTimer = null;
  let polling = false;
  let pollAgain = false;
  let polls = 0;

  async function poll() {
    clearTimeout(pollTimer);
    pollTimer = null;
    if (polling) return;
    if (document.hidden) return; // resumed by visibilitychange
    polling = true;
    authFailedThisCycle = false;
    try {
      const jobs = [loadHealth(), loadUpstreams(), loadSessions(), loadErrors(), loadMetrics()];
      if (polls % CONFIG_EVERY === 0) jobs.push(loadConfig());
      await Promise.allSettled(jobs);
      polls++;
      if (!authFailedThisCycle) hideAuth();
    } finally {
      polling = false;
      if (!document.hidden) pollTimer = setTimeout(poll, pollAgain ? 0 : POLL_MS);
      pollAgain = false;
    }
  }

  /** A refresh now (or right after the one under way), config included. */
  function pollNow() {
    polls = 0;
    if (polling) pollAgain = true;
    else poll();
  }

  document.addEventListener('visibilitychange', () => {
    if (document.hidden) {
      clearTimeout(pollTimer);
      pollTimer = null;
      stopTraffic(traffic.userPaused ? 'paused' : 'paused (tab hidden)', 'pill-warn');
    } else {
      restartTraffic();
      if (!polling) poll();
    }
  });

  poll();
  restartTraffic();
})();
