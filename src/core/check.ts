import { GrowableBits, GrowableInt32 } from './growable';
import { BudgetExceeded, MemoryBudget } from './memoryBudget';
import { Successors, type PackedModel, type Property } from './model';
import { StateStore } from './stateStore';

/** A path from an initial state: which initial state, then the actions taken in order. */
export interface Path {
  readonly init: number;
  readonly actions: readonly number[];
}

export type Verdict = 'holds' | 'violated' | 'example' | 'no-example' | 'unknown';

export interface PropertyResult {
  readonly name: string;
  readonly kind: Property['kind'];
  /**
   * `holds` / `violated` for always, never-flag and recoverable properties; `example` /
   * `no-example` for sometimes properties; `unknown` when the search stopped early (a budget)
   * before deciding.
   */
  readonly verdict: Verdict;
  /** Distinct states stored when the verdict was reached (all of them for holds). */
  readonly states: number;
  /** Shortest counterexample (violated) or example (sometimes), from an initial state. */
  readonly path?: Path;
}

export interface CheckResult {
  readonly states: number;
  readonly transitions: number;
  /** Length of the longest shortest path from an initial state. */
  readonly depth: number;
  readonly elapsedMs: number;
  /** False when a budget stopped the search before every reachable state was expanded. */
  readonly complete: boolean;
  readonly stopReason?: string;
  /** Bytes of the search's arrays at the end, and at their peak (growth copies included). */
  readonly storeBytes: number;
  readonly peakBytes: number;
  readonly properties: readonly PropertyResult[];
}

/** Public options; every field optional. */
export interface CheckOptions {
  /** Names of the properties to check (default: all the model's). */
  readonly properties?: readonly string[];
  /** Stop after storing this many distinct states (default: no limit). */
  readonly maxStates?: number;
  /** Stop before the search's arrays would take more than this many bytes (default: no limit). */
  readonly maxMemory?: number;
  /** Called about every `progressEvery` expanded states. */
  readonly onProgress?: (p: { states: number; transitions: number; depth: number; queue: number; elapsedMs: number }) => void;
  readonly progressEvery?: number;
}

/** The complete configuration the search runs with, resolved once from `CheckOptions`. */
interface CheckConfig {
  readonly properties: readonly Property[];
  readonly maxStates: number;
  readonly maxMemory: number;
  readonly onProgress: CheckOptions['onProgress'] | null;
  readonly progressEvery: number;
}

export class UnknownPropertyError extends Error {}

function resolveConfig(model: PackedModel, o: CheckOptions): CheckConfig {
  let properties = model.properties;
  if (o.properties) {
    const byName = new Map(model.properties.map((p) => [p.name, p] as const));
    properties = o.properties.map((n) => {
      const p = byName.get(n);
      if (!p) throw new UnknownPropertyError(`unknown property '${n}' (known: ${[...byName.keys()].join(', ')})`);
      return p;
    });
  }
  return {
    properties,
    maxStates: o.maxStates ?? Number.POSITIVE_INFINITY,
    maxMemory: o.maxMemory ?? Number.POSITIVE_INFINITY,
    onProgress: o.onProgress ?? null,
    progressEvery: o.progressEvery ?? 1 << 16,
  };
}

/**
 * Breadth-first search over every reachable state of `model`, deduplicating states. States are
 * numbered in BFS order, so the first violation found of each property has a shortest
 * counterexample, and the result is the same on every run.
 */
export function check(model: PackedModel, options: CheckOptions = {}): CheckResult {
  const cfg = resolveConfig(model, options);
  const started = performance.now();
  const W = model.words;
  const budget = new MemoryBudget(cfg.maxMemory);
  const store = new StateStore(W, 1 << 12, budget);
  const parent = new GrowableInt32(1 << 12, budget);
  const via = new GrowableInt32(1 << 12, budget);
  const found = new Map<string, PropertyResult>();

  const pathTo = (id: number): Path => {
    const actions: number[] = [];
    while (parent.get(id) >= 0) { actions.push(via.get(id)); id = parent.get(id); }
    return { init: via.get(id), actions: actions.reverse() };
  };

  const stateProps = cfg.properties.filter((p): p is Extract<Property, { kind: 'always' | 'sometimes' }> => p.kind === 'always' || p.kind === 'sometimes');
  const flagProps = cfg.properties.filter((p): p is Extract<Property, { kind: 'never-flag' }> => p.kind === 'never-flag');
  const recProps = cfg.properties.filter((p): p is Extract<Property, { kind: 'recoverable' }> => p.kind === 'recoverable');
  let flagMask = 0;
  for (const p of flagProps) flagMask |= 1 << p.flag;
  const goals = recProps.map(() => new GrowableBits());
  const edges = recProps.map(() => ({ src: new GrowableInt32(1 << 12, budget), dst: new GrowableInt32(1 << 12, budget) }));

  const examine = (id: number, row: Uint32Array) => {
    for (const p of stateProps) {
      if (found.has(p.name)) continue;
      const h = p.holds(row);
      if (p.kind === 'always' ? !h : h) {
        found.set(p.name, { name: p.name, kind: p.kind, verdict: p.kind === 'always' ? 'violated' : 'example', states: store.count, path: pathTo(id) });
      }
    }
    for (let i = 0; i < recProps.length; i++) goals[i].set(id, recProps[i].goal(row));
  };

  const init = model.initialStates();
  const one = new Uint32Array(W);
  for (let i = 0; i * W < init.length; i++) {
    const id = store.add(init, i * W);
    if (id < 0) continue;
    parent.push(-1);
    via.push(i);
    store.read(id, one);
    examine(id, one);
  }

  const cur = new Uint32Array(W);
  const succ = new Successors(W);
  let transitions = 0;
  let depth = 0;
  let layerEnd = store.count;
  let complete = true;
  let stopReason: string | undefined;
  let id = 0;
  try {
  for (; id < store.count; id++) {
    if (id === layerEnd) { depth++; layerEnd = store.count; }
    if (store.count >= cfg.maxStates) { complete = false; stopReason = `--max-states ${cfg.maxStates} reached`; break; }
    store.read(id, cur);
    succ.reset();
    model.successors(cur, succ);
    for (let k = 0; k < succ.count; k++) {
      transitions++;
      const action = succ.actions[k];
      const fl = succ.flags[k] & flagMask;
      if (fl !== 0) {
        for (const p of flagProps) {
          if ((fl & (1 << p.flag)) !== 0 && !found.has(p.name)) {
            const base = pathTo(id);
            found.set(p.name, { name: p.name, kind: p.kind, verdict: 'violated', states: store.count, path: { init: base.init, actions: [...base.actions, action] } });
          }
        }
      }
      let nid = store.add(succ.states, k * W);
      if (nid >= 0) {
        parent.push(id);
        via.push(action);
        store.read(nid, one);
        examine(nid, one);
      } else {
        nid = -nid - 1;
      }
      for (let i = 0; i < recProps.length; i++) {
        if (recProps[i].via(action)) { edges[i].src.push(id); edges[i].dst.push(nid); }
      }
    }
    if (cfg.onProgress && id % cfg.progressEvery === 0 && id > 0) {
      cfg.onProgress({ states: store.count, transitions, depth, queue: store.count - id, elapsedMs: performance.now() - started });
    }
  }
  } catch (e) {
    if (!(e instanceof BudgetExceeded)) throw e;
    complete = false;
    stopReason = `--max-memory: ${e.message}`;
  }

  const results: PropertyResult[] = [];
  for (const p of cfg.properties) {
    const f = found.get(p.name);
    if (f) { results.push(f); continue; }
    if (p.kind === 'recoverable') {
      if (!complete) { results.push({ name: p.name, kind: p.kind, verdict: 'unknown', states: store.count }); continue; }
      const i = recProps.indexOf(p);
      const stuck = firstStuck(store.count, goals[i], edges[i].src, edges[i].dst);
      results.push(stuck < 0
        ? { name: p.name, kind: p.kind, verdict: 'holds', states: store.count }
        : { name: p.name, kind: p.kind, verdict: 'violated', states: store.count, path: pathTo(stuck) });
      continue;
    }
    const verdict = !complete ? 'unknown' : p.kind === 'sometimes' ? 'no-example' : 'holds';
    results.push({ name: p.name, kind: p.kind, verdict, states: store.count });
  }
  let edgeBytes = 0;
  for (const e of edges) edgeBytes += e.src.bytes + e.dst.bytes;
  return {
    states: store.count,
    transitions,
    depth,
    elapsedMs: performance.now() - started,
    complete,
    stopReason,
    storeBytes: store.bytes + parent.bytes + via.bytes + edgeBytes,
    peakBytes: budget.peak,
    properties: results,
  };
}

/**
 * The smallest state id from which no path along the recorded edges reaches a goal state, or -1.
 * Backward BFS from the goal states over the reversed edges; exact for any graph, cyclic or not.
 */
function firstStuck(n: number, goal: GrowableBits, src: GrowableInt32, dst: GrowableInt32): number {
  const m = src.length;
  const start = new Int32Array(n + 1);
  for (let e = 0; e < m; e++) start[dst.get(e) + 1]++;
  for (let i = 0; i < n; i++) start[i + 1] += start[i];
  const fill = start.slice(0, n);
  const from = new Int32Array(m);
  for (let e = 0; e < m; e++) from[fill[dst.get(e)]++] = src.get(e);
  const good = new Uint8Array(n);
  const queue = new Int32Array(n);
  let head = 0;
  let tail = 0;
  for (let i = 0; i < n; i++) if (goal.get(i)) { good[i] = 1; queue[tail++] = i; }
  while (head < tail) {
    const s = queue[head++];
    for (let e = start[s]; e < start[s + 1]; e++) {
      const p = from[e];
      if (!good[p]) { good[p] = 1; queue[tail++] = p; }
    }
  }
  for (let i = 0; i < n; i++) if (!good[i]) return i;
  return -1;
}
