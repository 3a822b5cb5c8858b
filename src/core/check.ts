import { BudgetExceeded, MemoryBudget } from './memoryBudget';
import { Successors, type PackedModel, type Symmetry } from './model';
import { searchInParallel, workersLookUp } from '../parallel/parallelSearch';
import { maxStatesReason, memoryReason, type CheckConfig, type CheckProgress, type LoopOutcome } from './searchLoop';
import { PropertySet, SearchState, type PropertyResult } from './searchState';

export type { Path, PropertyResult, Verdict } from './searchState';
export type { CheckProgress } from './searchLoop';

export interface CheckResult {
  /** Distinct states stored (orbits, when reduced by symmetry). */
  readonly states: number;
  readonly transitions: number;
  /** Length of the longest shortest path from an initial state (the level reached, when stopped early). */
  readonly depth: number;
  readonly elapsedMs: number;
  /** False when a budget stopped the search before every reachable state was expanded. */
  readonly complete: boolean;
  /** Why the search stopped early (a budget), when it did. */
  readonly stopReason?: string;
  /**
   * States whose successors were computed: all stored states when complete. The properties of
   * every stored state are checked, expanded or not. (Optional only so that results built by
   * hand stay valid; `check` always sets it.)
   */
  readonly expanded?: number;
  /** Bytes of the search's arrays at the end, and at their peak (growth included). */
  readonly storeBytes: number;
  readonly peakBytes: number;
  /** The symmetry the search was reduced by (its description), if any. */
  readonly symmetry?: string;
  /** Threads that computed successors (1: the calling thread alone; always set by `check`). */
  readonly workers?: number;
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
  readonly onProgress?: (p: CheckProgress) => void;
  readonly progressEvery?: number;
  /**
   * Store one state per orbit of the model's symmetry (`PackedModel.symmetry`; default false).
   * Counterexamples are paths in the reduced graph: map them back to concrete actions with
   * `concretePath` (symmetry/concretePath). Refused when the model has no symmetry.
   */
  readonly symmetry?: boolean;
  /**
   * Threads computing successors (default 1: the calling thread). With 2 or more, worker
   * threads built from `PackedModel.recipe` expand states and the calling thread merges their
   * results in BFS order: the counts, verdicts and counterexamples are those of one thread.
   * The calling thread blocks while they run. Refused when the model has no recipe.
   */
  readonly workers?: number;
}

export class UnknownPropertyError extends Error {}

/** Options the model cannot honour (symmetry without a symmetry, workers without a recipe). */
export class UnsupportedOptionError extends Error {}

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
  if (o.symmetry && !model.symmetry) throw new UnsupportedOptionError('this model declares no symmetry to reduce by');
  const workers = o.workers ?? 1;
  if (!Number.isInteger(workers) || workers < 1) throw new UnsupportedOptionError(`workers must be a whole number of at least 1, got ${workers}`);
  if (workers > 1 && !model.recipe) throw new UnsupportedOptionError('this model has no recipe for worker threads; check it with one worker');
  return {
    props: new PropertySet(properties),
    maxStates: o.maxStates ?? Number.POSITIVE_INFINITY,
    maxMemory: o.maxMemory ?? Number.POSITIVE_INFINITY,
    onProgress: o.onProgress ?? null,
    progressEvery: o.progressEvery ?? 1 << 16,
    symmetry: o.symmetry ? model.symmetry! : null,
    workers,
  };
}

/**
 * Breadth-first search over every reachable state of `model`, deduplicating states. States are
 * numbered in BFS order, so the first violation found of each property has a shortest
 * counterexample, and the result is the same on every run and for every number of workers.
 */
export function check(model: PackedModel, options: CheckOptions = {}): CheckResult {
  const cfg = resolveConfig(model, options);
  const started = performance.now();
  const budget = new MemoryBudget(cfg.maxMemory);
  const search = new SearchState(model, cfg.props, budget, cfg.symmetry, cfg.workers > 1 && workersLookUp(cfg.workers));
  let outcome: LoopOutcome;
  try {
    search.addInitial(model.initialStates());
  } catch (e) {
    if (!(e instanceof BudgetExceeded)) throw e;
    return finishSearch(search, cfg, { expanded: 0, visited: 0, depth: 0, stopReason: memoryReason(e) }, started);
  }
  if (cfg.workers > 1) outcome = searchInParallel(model, search, cfg, started);
  else outcome = expandHere(model, search, cfg, started);
  return finishSearch(search, cfg, outcome, started);
}

/** The search loop on the calling thread. */
function expandHere(model: PackedModel, search: SearchState, cfg: CheckConfig, started: number): LoopOutcome {
  const W = model.words;
  const store = search.store;
  const cur = new Uint32Array(W);
  const succ = new Successors(W);
  const sym = cfg.symmetry;
  const props = cfg.props;
  let depth = 0;
  let layerEnd = store.count;
  let id = 0;
  let visited = 0;
  try {
    for (; id < store.count; id++) {
      if (id === layerEnd) { depth++; layerEnd = store.count; }
      if (store.count >= cfg.maxStates) return { expanded: id, visited, depth, stopReason: maxStatesReason(cfg.maxStates) };
      store.read(id, cur);
      search.visit(id, props.bits(cur, search.open));
      visited = id + 1;
      succ.reset();
      model.successors(cur, succ);
      const states = succ.states;
      for (let k = 0; k < succ.count; k++) {
        const off = k * W;
        if (sym) sym.canonicalize(states, off);
        let self = true;
        for (let i = 0; i < W; i++) if (states[off + i] !== cur[i]) { self = false; break; }
        if (self) search.addSelfLoop(id, succ.actions[k], succ.flags[k]);
        else search.addSuccessor(id, succ.actions[k], succ.flags[k], states, off, store.hash(states, off));
      }
      if (cfg.onProgress && id % cfg.progressEvery === 0 && id > 0) {
        cfg.onProgress({ states: store.count, transitions: search.transitions, depth, queue: store.count - id, elapsedMs: performance.now() - started });
      }
    }
  } catch (e) {
    if (!(e instanceof BudgetExceeded)) throw e;
    return { expanded: id, visited, depth, stopReason: memoryReason(e) };
  }
  return { expanded: id, visited, depth };
}

/**
 * Ends a search: evaluates the properties of stored states that were never visited (a budget
 * stopped the search first), decides recoverable properties, and assembles the result.
 */
export function finishSearch(search: SearchState, cfg: CheckConfig, o: LoopOutcome, started: number): CheckResult {
  const store = search.store;
  const row = new Uint32Array(search.model.words);
  for (let id = o.visited; id < store.count; id++) {
    store.read(id, row);
    search.visit(id, cfg.props.bits(row, search.open));
  }
  const complete = o.stopReason === undefined;
  const properties = search.results(complete);
  return {
    states: store.count,
    transitions: search.transitions,
    depth: o.depth,
    elapsedMs: performance.now() - started,
    complete,
    stopReason: o.stopReason,
    expanded: o.expanded,
    storeBytes: store.bytes + search.parent.bytes + search.via.bytes,
    peakBytes: search.budget.peak,
    symmetry: cfg.symmetry?.description,
    workers: cfg.workers,
    properties,
  };
}
