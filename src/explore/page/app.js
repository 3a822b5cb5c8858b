// The explorer page. Everything it shows comes from the local JSON API:
//   GET  /api/designs                      designs, invariants, allowed bounds
//   GET  /api/check?design=&devices=       the verdicts of `dmaown check`
//   GET  /api/statechart?design=&devices=  group states and the calls observed between them
//   POST /api/successors {design, devices, path}
//        every state along `path` (fields, changes, invariants broken) and the callers' actions
//        from its last state.
// The page keeps a path of events and a cursor into it; the state at the cursor is always the
// server's replay of the path's first `cursor` events. The path and cursor live in the URL hash.

import { renderStatechart } from './statechart.js';

const $ = (id) => document.getElementById(id);

const ui = {
  meta: null, // /api/designs
  design: '',
  devices: 2,
  check: null, // /api/check
  chart: null, // /api/statechart
  /** {kind: 'walk', from?: string} or {kind: 'counterexample', invariant: string} */
  mode: { kind: 'walk' },
  path: [], // events
  states: [], // states along `path` (index 0: the initial state), from the server
  cursor: 0, // how many events of `path` have been applied
  actions: [], // caller actions from the state at the cursor
  gv: null, // {design, svg: SVGElement} once the Graphviz statechart is loaded
  seq: 0, // path request counter: stale answers are dropped
  loadSeq: 0, // design/bound load counter
  busy: false,
};

// ---------- helpers ----------

function h(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) if (c !== null && c !== undefined && c !== false) e.append(c instanceof Node ? c : String(c));
  return e;
}

const fmt = (n) => Number(n).toLocaleString('en-US');
const valueText = (v) => (v === null ? 'null' : String(v));

async function api(url, body) {
  const res = await fetch(url, body === undefined ? {} : { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  const data = await res.json().catch(() => ({ error: `HTTP ${res.status}` }));
  if (!res.ok) throw new Error(data.error || `HTTP ${res.status}`);
  return data;
}

function showError(msg) {
  const e = $('error');
  e.textContent = msg || '';
  e.hidden = !msg;
}

function setStatus(text, busy = false) {
  ui.busy = busy;
  $('status').textContent = text;
  $('status').classList.toggle('busy', busy);
  document.body.classList.toggle('busy', busy);
}

// ---------- URL hash: design, devices, path and cursor ----------

function writeHash() {
  const p = new URLSearchParams({ design: ui.design, devices: String(ui.devices) });
  if (ui.path.length) p.set('path', JSON.stringify(ui.path));
  if (ui.cursor !== ui.path.length) p.set('at', String(ui.cursor));
  if (ui.mode.kind === 'counterexample') p.set('cex', ui.mode.invariant);
  history.replaceState(null, '', `#${p}`);
}

function readHash() {
  const p = new URLSearchParams(location.hash.slice(1));
  const out = { design: p.get('design'), devices: p.get('devices'), path: [], at: null, cex: p.get('cex') };
  try {
    const path = JSON.parse(p.get('path') || '[]');
    if (Array.isArray(path)) out.path = path;
  } catch { /* ignore a mangled hash */ }
  if (p.has('at') && /^\d+$/.test(p.get('at'))) out.at = Number(p.get('at'));
  return out;
}

// ---------- loading ----------

async function loadDesignAndBound(initialPath = [], at = null, cex = null) {
  const load = ++ui.loadSeq;
  showError('');
  ui.check = null;
  ui.chart = null;
  renderVerdicts();
  $('statechart').textContent = '';
  setStatus(`checking ${ui.design} at ${ui.devices} device${ui.devices === 1 ? '' : 's'}…`, true);
  try {
    const check = await api(`/api/check?design=${encodeURIComponent(ui.design)}&devices=${ui.devices}`);
    if (load !== ui.loadSeq) return;
    ui.check = check;
    renderVerdicts();
    const mode = cex && check.verdicts.some((v) => v.name === cex && v.verdict === 'violated') ? { kind: 'counterexample', invariant: cex } : { kind: 'walk' };
    await setPath(initialPath, at ?? initialPath.length, mode);
    if (load !== ui.loadSeq) return;
    setStatus('drawing the statechart…', true);
    const chart = await api(`/api/statechart?design=${encodeURIComponent(ui.design)}&devices=${ui.devices}`);
    if (load !== ui.loadSeq) return;
    ui.chart = chart;
    renderChart();
    $('gv-note').textContent = `Derived from the states reachable at ${ui.meta.statechartDevices} devices, whatever the bound above.`;
    loadGraphviz();
    setStatus(`${check.complete ? '' : 'INCOMPLETE: '}${fmt(check.states)} states, ${fmt(check.transitions)} transitions, depth ${check.depth}, checked in ${(check.elapsedMs / 1000).toFixed(2)} s`);
  } catch (e) {
    if (load !== ui.loadSeq) return;
    setStatus('');
    showError(e.message);
  }
}

/** Replaces the path, fetching every state along it, then moves to `cursor`. */
async function setPath(path, cursor, mode) {
  const seq = ++ui.seq;
  const full = await api('/api/successors', { design: ui.design, devices: ui.devices, path });
  if (seq !== ui.seq) return;
  ui.path = full.path;
  ui.states = full.states;
  ui.mode = mode;
  ui.cursor = Math.max(0, Math.min(cursor, ui.path.length));
  if (ui.cursor === ui.path.length) {
    ui.actions = full.actions;
    render();
  } else {
    await goTo(ui.cursor);
  }
}

/** Moves the cursor; the actions come from the server's replay of the prefix. */
async function goTo(cursor) {
  cursor = Math.max(0, Math.min(cursor, ui.path.length));
  const seq = ++ui.seq;
  ui.cursor = cursor;
  render(); // fields and trail at once; actions follow
  try {
    const r = await api('/api/successors', { design: ui.design, devices: ui.devices, path: ui.path.slice(0, cursor) });
    if (seq !== ui.seq) return;
    ui.actions = r.actions;
    renderActions();
  } catch (e) {
    showError(e.message);
  }
}

/** Takes a caller action from the state at the cursor: the path is cut there and extended. */
async function take(action) {
  const from = ui.mode.kind === 'counterexample' ? `${ui.mode.invariant} counterexample after ${ui.cursor} call${ui.cursor === 1 ? '' : 's'}` : ui.mode.from;
  const path = [...ui.path.slice(0, ui.cursor), action.event];
  try {
    await setPath(path, path.length, { kind: 'walk', from });
  } catch (e) {
    showError(e.message);
  }
}

function showCounterexample(v) {
  setPath(v.counterexample, 0, { kind: 'counterexample', invariant: v.name }).catch((e) => showError(e.message));
}

// ---------- rendering ----------

function render() {
  renderTrail();
  renderState();
  renderActions();
  renderChart();
  renderVerdictSelection();
  writeHash();
}

function renderVerdicts() {
  const tbody = $('verdicts').tBodies[0];
  tbody.textContent = '';
  const c = ui.check;
  $('check-summary').textContent = c ? `${c.design}, ${c.devices} device${c.devices === 1 ? '' : 's'}` : '';
  $('design-title').textContent = c ? `${c.title} — follows ${c.source}` : '';
  if (!c) return;
  for (const v of c.verdicts) {
    let detail;
    if (v.verdict === 'violated') {
      detail = h('div', { class: 'cex' },
        h('button', { type: 'button', class: 'show-cex', dataset: { invariant: v.name }, onclick: () => showCounterexample(v) }, `step through ${v.counterexample.length} call${v.counterexample.length === 1 ? '' : 's'}`),
        h('span', { class: 'explanation' }, v.explanation),
        v.freshGroupSteps ? h('span', { class: 'tag shortcut', title: `at step ${v.freshGroupSteps.join(', ')} a device joins the emptied group while it is not fresh; the kernel would give it a fresh group (docs/model.md, "The group's lifetime")` }, `one-group shortcut at step ${v.freshGroupSteps.join(', ')}`) : null);
    } else if (v.verdict === 'n/a') {
      detail = h('span', { class: 'muted' }, v.reason);
    } else if (v.verdict === 'unknown') {
      detail = h('span', { class: 'muted' }, 'search stopped early; nothing found so far');
    } else {
      detail = '';
    }
    const summary = ui.meta?.invariants.find((i) => i.name === v.name)?.summary;
    tbody.append(h('tr', { dataset: { invariant: v.name } },
      h('td', { class: 'name', title: summary }, v.name),
      h('td', { class: 'verdict' }, h('span', { class: `pill ${v.verdict.replace('/', '')}` }, v.verdict)),
      h('td', { class: 'num' }, v.states === undefined ? '' : fmt(v.states)),
      h('td', { class: 'detail' }, detail)));
  }
  renderVerdictSelection();
}

function renderVerdictSelection() {
  for (const tr of $('verdicts').tBodies[0].rows) {
    tr.classList.toggle('selected', ui.mode.kind === 'counterexample' && ui.mode.invariant === tr.dataset.invariant);
  }
}

function brokenNames(st) {
  return st.invariants.filter((i) => i.status === 'broken').map((i) => i.name);
}

function renderTrail() {
  const title = ui.mode.kind === 'counterexample'
    ? `Counterexample: ${ui.mode.invariant}`
    : ui.mode.from ? `Walk from the ${ui.mode.from}` : 'Walk from the initial state';
  $('trail-title').textContent = title;
  $('position').textContent = `${ui.cursor} / ${ui.path.length} call${ui.path.length === 1 ? '' : 's'} applied`;
  $('first').disabled = $('prev').disabled = ui.cursor === 0;
  $('next').disabled = $('last').disabled = ui.cursor >= ui.path.length;
  const tbody = $('trail').tBodies[0];
  tbody.textContent = '';
  ui.states.forEach((st, i) => {
    const broken = brokenNames(st);
    const tr = h('tr', { class: i === ui.cursor ? 'current' : i > ui.cursor ? 'ahead' : '', dataset: { index: i }, onclick: () => goTo(i) },
      h('td', { class: 'num' }, st.step === null ? '' : st.step),
      h('td', { class: 'call' }, st.step === null ? h('span', { class: 'muted' }, '(initial)') : st.call),
      h('td', { class: st.ret ? 'ret bad' : 'ret' }, st.step === null ? '' : st.retName),
      h('td', {}, st.warn ? h('span', { class: 'tag warn' }, 'WARN') : '', st.shortcut ? h('span', { class: 'tag shortcut', title: st.shortcut }, 'shortcut') : ''),
      h('td', { class: 'state-name' }, st.view.state),
      h('td', { class: 'breaks' }, broken.map((n) => h('span', { class: 'tag broken' }, n))));
    tbody.append(tr);
  });
  const cur = tbody.rows[ui.cursor];
  if (cur) cur.scrollIntoView({ block: 'nearest' });
}

function fieldCell(path, value, changed, extra = '') {
  const isChanged = changed.has(path);
  return h('td', { class: `val ${isChanged ? 'changed' : ''} ${value === null ? 'null' : ''} ${extra}`.trim(), dataset: { field: path }, title: isChanged ? 'changed by this step' : undefined }, valueText(value));
}

function renderState() {
  const st = ui.states[ui.cursor];
  if (!st) return;
  const changed = new Set(st.changed);
  const ghosts = new Set(ui.meta?.ghostFields ?? []);
  $('state-where').textContent = st.step === null ? '— initial state' : `— after step ${st.step}`;

  const last = $('last-call');
  last.textContent = '';
  if (st.step === null) {
    last.append(h('span', { class: 'muted' }, 'No call yet: no device in the group, no driver bound, the group on its default domain.'));
  } else {
    last.append(...[
      h('span', { class: 'label' }, `step ${st.step}`),
      h('code', { class: 'call' }, st.call),
      h('span', { class: 'arrow' }, '→'),
      h('span', { class: st.ret ? 'tag bad' : 'tag ok' }, `ret ${st.retName}`),
      st.warn ? h('span', { class: 'tag warn' }, 'WARN_ON fired') : null,
      st.guard ? h('span', { class: 'guard', title: 'the branch of the kernel code taken' }, `branch: ${st.guard}`) : null,
      st.shortcut ? h('p', { class: 'shortcut-note' }, h('span', { class: 'tag shortcut' }, 'one-group shortcut'), ' ', st.shortcut) : null,
    ].filter(Boolean));
  }

  const inv = $('invariants');
  inv.textContent = '';
  const broken = st.invariants.filter((i) => i.status === 'broken');
  if (broken.length === 0) inv.append(h('p', { class: 'all-ok' }, 'This state breaks no invariant.'));
  else {
    inv.append(h('ul', { class: 'broken-list' }, broken.map((i) => h('li', { dataset: { invariant: i.name } }, h('strong', {}, i.name), ': ', i.detail))));
  }
  inv.append(h('div', { class: 'chips' }, st.invariants.map((i) =>
    h('span', { class: `chip ${i.status.replace('/', '')}`, title: i.detail || (i.status === 'ok' ? 'holds here' : i.status), dataset: { invariant: i.name, status: i.status } },
      i.status === 'broken' ? '✗ ' : i.status === 'ok' ? '✓ ' : '– ', i.name))));

  const group = $('group').tBodies[0];
  group.textContent = '';
  group.append(h('tr', {}, h('th', {}, 'state'), fieldCell('state', st.view.state, changed, 'state-name')));
  for (const [k, v] of Object.entries(st.view.group)) group.append(h('tr', {}, h('th', {}, k), fieldCell(`group.${k}`, v, changed)));

  const users = $('users').tBodies[0];
  users.textContent = '';
  st.view.users.forEach((u, i) => users.append(h('tr', {}, h('th', {}, u.name), fieldCell(`users.${i}.phase`, u.phase, changed))));

  const keys = Object.keys(st.view.devices[0] ?? {});
  const dt = $('devices-table');
  dt.tHead.textContent = '';
  dt.tHead.append(h('tr', {}, h('th', {}, 'dev'), keys.map((k) => h('th', { class: ghosts.has(k) ? 'ghost' : '' }, ghosts.has(k) ? `${k}°` : k))));
  const tb = dt.tBodies[0];
  tb.textContent = '';
  st.view.devices.forEach((d, i) => tb.append(h('tr', {}, h('th', {}, String(i)), keys.map((k) => fieldCell(`devices.${i}.${k}`, d[k], changed, ghosts.has(k) ? 'ghost' : '')))));
}

const LANES = [['driver-core', 'driver core and hot-plug'], ['kernel-driver', 'kernel driver (private domain)']];

function renderActions() {
  const box = $('actions');
  box.textContent = '';
  const showDisabled = $('show-disabled').checked;
  const lanes = [...LANES];
  for (const a of ui.actions) if (!lanes.some(([l]) => l === a.lane)) lanes.push([a.lane, `VFIO user ${a.lane}`]);
  for (const [lane, label] of lanes) {
    const acts = ui.actions.filter((a) => a.lane === lane && (a.enabled || showDisabled));
    if (acts.length === 0 && !ui.actions.some((a) => a.lane === lane)) continue;
    box.append(h('div', { class: 'lane' },
      h('div', { class: 'lane-name' }, label),
      h('div', { class: 'lane-actions' }, acts.length === 0
        ? h('span', { class: 'muted' }, 'nothing enabled')
        : acts.map((a) => {
          const o = a.outcome;
          const st = ui.states[ui.cursor];
          return h('button', {
            type: 'button',
            class: `action ${a.enabled ? '' : 'disabled'}`.trim(),
            disabled: !a.enabled,
            dataset: { call: a.call },
            title: a.enabled ? `returns ${o.retName}${o.warn ? ', fires a WARN_ON' : ''}; group ends ${o.state}` : 'not enabled in this state',
            onclick: () => take(a),
          },
          h('code', {}, a.call),
          o && o.ret !== 0 ? h('span', { class: 'tag bad' }, o.retName) : null,
          o && o.warn ? h('span', { class: 'tag warn' }, 'WARN') : null,
          o && st && o.state !== st.view.state ? h('span', { class: 'goes' }, `→ ${o.state}`) : null);
        }))));
  }
}

/** The Graphviz statechart (src/diagram), loaded when its section is opened. */
async function loadGraphviz() {
  if (!$('gv').open || (ui.gv && ui.gv.design === ui.design)) { highlightGraphviz(); return; }
  const design = ui.design;
  const url = `/api/statechart.svg?design=${encodeURIComponent(design)}`;
  $('gv-open').href = url;
  $('gv-svg').textContent = 'drawing…';
  try {
    const res = await fetch(url);
    const text = await res.text();
    if (!res.ok) throw new Error(JSON.parse(text).error || `HTTP ${res.status}`);
    if (design !== ui.design) return;
    const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
    const svg = document.importNode(doc.documentElement, true);
    // Natural size as the widest it gets; the CSS scales it down to the card.
    svg.style.width = svg.getAttribute('width') || '';
    svg.removeAttribute('height');
    $('gv-svg').textContent = '';
    $('gv-svg').append(svg);
    ui.gv = { design, svg };
    highlightGraphviz();
  } catch (e) {
    $('gv-svg').textContent = '';
    showError(e.message);
  }
}

/** Marks the current state and the last move in the Graphviz statechart (by their titles). */
function highlightGraphviz() {
  if (!ui.gv || ui.gv.design !== ui.design) return;
  const st = ui.states[ui.cursor];
  const prev = ui.cursor > 0 ? ui.states[ui.cursor - 1] : null;
  const move = st && prev && prev.view.state !== st.view.state ? `${prev.view.state}->${st.view.state}` : null;
  for (const g of ui.gv.svg.querySelectorAll('g.node, g.edge')) {
    const title = g.querySelector('title')?.textContent ?? '';
    g.classList.toggle('current', g.classList.contains('node') && st != null && title === st.view.state);
    g.classList.toggle('hot', g.classList.contains('edge') && title === move);
  }
}

function renderChart() {
  highlightGraphviz();
  if (!ui.chart) return;
  const st = ui.states[ui.cursor];
  const prev = ui.cursor > 0 ? ui.states[ui.cursor - 1] : null;
  const taken = st && prev && prev.view.state !== st.view.state ? { from: prev.view.state, to: st.view.state } : null;
  renderStatechart($('statechart'), ui.chart, st ? st.view.state : null, taken);
  $('chart-note').textContent = `arrows: calls seen to move the group between states at ${ui.chart.devices} device${ui.chart.devices === 1 ? '' : 's'}`;
  const legend = h('dl', { class: 'legend' }, ui.chart.states.map((s) => [h('dt', {}, s.name), h('dd', {}, s.description)]));
  $('statechart').append(legend);
}

// ---------- start ----------

function fillSelect(sel, options, value) {
  sel.textContent = '';
  for (const [v, label] of options) sel.append(h('option', { value: v, selected: String(v) === String(value) }, label));
}

async function start() {
  try {
    ui.meta = await api('/api/designs');
  } catch (e) {
    setStatus('');
    showError(e.message);
    return;
  }
  const hash = readHash();
  const names = ui.meta.designs.map((d) => d.name);
  ui.design = names.includes(hash.design) ? hash.design : names.includes('v7') ? 'v7' : names[0];
  const { min, max } = ui.meta.devices;
  const n = Number(hash.devices);
  ui.devices = Number.isInteger(n) && n >= min && n <= max ? n : ui.meta.devices.default;
  fillSelect($('design'), ui.meta.designs.map((d) => [d.name, d.name]), ui.design);
  fillSelect($('devices'), Array.from({ length: max - min + 1 }, (_, i) => [min + i, String(min + i)]), ui.devices);
  $('design').title = ui.meta.designs.find((d) => d.name === ui.design)?.title ?? '';

  $('design').addEventListener('change', () => { ui.design = $('design').value; $('design').title = ui.meta.designs.find((d) => d.name === ui.design)?.title ?? ''; loadDesignAndBound(); });
  $('devices').addEventListener('change', () => { ui.devices = Number($('devices').value); loadDesignAndBound(); });
  $('first').addEventListener('click', () => goTo(0));
  $('prev').addEventListener('click', () => goTo(ui.cursor - 1));
  $('next').addEventListener('click', () => goTo(ui.cursor + 1));
  $('last').addEventListener('click', () => goTo(ui.path.length));
  $('restart').addEventListener('click', () => setPath([], 0, { kind: 'walk' }).catch((e) => showError(e.message)));
  $('show-disabled').addEventListener('change', renderActions);
  $('gv').addEventListener('toggle', loadGraphviz);
  document.addEventListener('keydown', (ev) => {
    if (ev.target instanceof HTMLSelectElement || ev.target instanceof HTMLInputElement || ev.altKey || ev.ctrlKey || ev.metaKey) return;
    if (ev.key === 'ArrowLeft' && ui.cursor > 0) goTo(ui.cursor - 1);
    else if (ev.key === 'ArrowRight' && ui.cursor < ui.path.length) goTo(ui.cursor + 1);
    else if (ev.key === 'Home') goTo(0);
    else if (ev.key === 'End') goTo(ui.path.length);
    else return;
    ev.preventDefault();
  });
  // A hash path that no longer replays (edited by hand) falls back to the initial state.
  await loadDesignAndBound(hash.path, hash.at, hash.cex);
  if (ui.states.length === 0 && hash.path.length) await loadDesignAndBound();
}

start();
