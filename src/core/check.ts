import { canonicalSuccessor } from './canonicalSuccessor';
import { BudgetExceeded, formatBytes, MemoryBudget, MIN_MAX_MEMORY } from './memoryBudget';
import { Successors, type PackedModel } from './model';
import { searchInParallel, workersLookUp } from '../parallel/parallelSearch';
import { DECIDED_REASON, interruptedReason, levelDecides, LoopLevels, maxTimeReason, memoryReason, type CheckConfig, type CheckProgress, type LoopOutcome, type SearchRun } from './searchLoop';
import { PropertySet, SearchState, type PropertyResult } from './searchState';

export type { Path, PropertyResult, Verdict } from './searchState';
export type { CheckProgress } from './searchLoop';

export interface CheckResult {
  /** Distinct states stored (orbits, when reduced by symmetry). */
  readonly states: number;
  readonly transitions: number;
  /** Length of the longest shortest path from an initial state (when stopped early: to the deepest state stored). */
  readonly depth: number;
  readonly elapsedMs: number;
  /**
   * False when the search stopped before every reachable state was expanded: a budget, an
   * interrupt, or `stopWhenDecided`.
   */
  readonly complete: boolean;
  /** Why the search stopped early, when it did (which budget, the interrupt, or DECIDED_REASON). */
  readonly stopReason?: string;
  /**
   * States whose successors were computed: all stored states when complete. The properties of
   * every stored state are checked, expanded or not. (Optional only so that results built by
   * hand stay valid; `check` always sets it.)
   */
  readonly expanded?: number;
  /** Bytes of the search's arrays at the end. */
  readonly storeBytes: number;
  /** Bytes of the search's arrays at their peak (growth included). */
  readonly peakBytes: number;
  /**
   * Bytes of the models' memo at the end (`PackedModel.memoBytes`; with workers, each worker's
   * model's), which the memory budget counts besides the arrays. (Optional only so that results
   * built by hand stay valid; `check` always sets it.)
   */
  readonly memoBytes?: number;
  /**
   * Bytes of the search's caches and buffers at the end, which the memory budget counts too:
   * the recent-rows caches, the symmetry's tables and, with workers, the chunks in flight
   * (see docs/scaling.md). (Optional only so that results built by hand stay valid; `check`
   * always sets it.)
   */
  readonly bufferBytes?: number;
  /** The symmetry the search was reduced by (its description), if any. */
  readonly symmetry?: string;
  /**
   * Threads the search ran on (1: the calling thread alone; N >= 2: N - 1 worker threads
   * computing successors and the calling thread adding them; always set by `check`).
   */
  readonly workers?: number;
  readonly properties: readonly PropertyResult[];
}

/** Public options; every field optional. */
export interface CheckOptions {
  /** Names of the properties to check (default: all the model's). */
  readonly properties?: readonly string[];
  /**
   * Stop, before expanding the next state, once more than this many distinct states are stored
   * (default: no limit). A search of at most this many states completes.
   */
  readonly maxStates?: number;
  /**
   * Stop before the search's arrays, with the model's memo (`PackedModel.memoBytes`, charged
   * between batches of states) and the search's caches and buffers, would take more than this
   * many bytes (default: no limit; at least MIN_MAX_MEMORY).
   */
  readonly maxMemory?: number;
  /**
   * Stop at the first batch of states that starts this many milliseconds or more after the
   * search did (default: no limit). Unlike the other budgets, where this one stops depends on
   * the machine's speed and load, so the counts of a search it stops are not reproducible.
   */
  readonly maxTimeMs?: number;
  /**
   * Stop once every property is decided: each `always`, `never-flag` and recoverable one violated,
   * each `sometimes` one given its example (default false). It is asked where each BFS level
   * begins: once the level is stored, its states are evaluated before any is expanded, and the
   * search stops there if everything is decided. The counterexamples are those of the whole search;
   * the result is incomplete, with `stopReason` DECIDED_REASON, and the same counts on any number
   * of threads. A budget (states, memory, time; not an interrupt) that stops the search once every
   * property is decided ends it as decided too; its counts are the budget's (a memory or time
   * budget's depend on the machine and the threads). A property that only the whole search can
   * decide (one that holds) keeps the search going to its end, as does checking no property. A
   * recoverable property is decided once its first stuck state has been expanded
   * (SearchState.settle): the search stops where the next level begins.
   */
  readonly stopWhenDecided?: boolean;
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
   * Threads the search runs on (default 1: the calling thread). With N >= 2, N - 1 worker
   * threads built from `PackedModel.recipe` expand states and the calling thread adds their
   * results to the visited set in BFS order: the counts, verdicts and counterexamples are those
   * of one thread. The calling thread blocks while they run. Refused when the model has no
   * recipe.
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
  if (o.maxMemory !== undefined && !(o.maxMemory >= MIN_MAX_MEMORY)) throw new UnsupportedOptionError(`maxMemory must be at least ${formatBytes(MIN_MAX_MEMORY)}, got ${o.maxMemory}`);
  return {
    props: new PropertySet(properties),
    maxStates: o.maxStates ?? Number.POSITIVE_INFINITY,
    maxMemory: o.maxMemory ?? Number.POSITIVE_INFINITY,
    maxTimeMs: o.maxTimeMs ?? Number.POSITIVE_INFINITY,
    onProgress: o.onProgress ?? null,
    progressEvery: o.progressEvery ?? 1 << 16,
    symmetry: o.symmetry ? model.symmetry! : null,
    workers,
    stopWhenDecided: o.stopWhenDecided === true,
  };
}

/** Options of `checkAsync`: `check`'s, and what may interrupt it. */
export interface CheckAsyncOptions extends CheckOptions {
  /**
   * Stops the search, between two slices, once aborted: the result is then incomplete, with
   * `stopReason` "interrupted by R" where R is the abort reason (a string such as 'SIGINT'),
   * and it is otherwise what a budget stop at that point gives.
   */
  readonly signal?: AbortSignal;
  /** How long the search runs before it lets other work (timers, signals) run (default 50 ms). */
  readonly sliceMs?: number;
}

/** A search set up and ready to run. */
interface Begun {
  readonly cfg: CheckConfig;
  readonly search: SearchState;
  readonly started: number;
  readonly run: SearchRun;
}

function begin(model: PackedModel, options: CheckOptions): Begun {
  const cfg = resolveConfig(model, options);
  const started = performance.now();
  const budget = new MemoryBudget(cfg.maxMemory);
  let search: SearchState;
  try {
    search = new SearchState(model, cfg.props, budget, cfg.symmetry, cfg.workers > 1 && workersLookUp(cfg.workers));
  } catch (e) {
    if (!(e instanceof BudgetExceeded)) throw e;
    throw new UnsupportedOptionError(`maxMemory ${formatBytes(cfg.maxMemory)} is too small for this model's first arrays: ${e.message}`);
  }
  // Stopped before the loop started: a run whose first step is its end.
  const ended = (stopped: LoopOutcome): Begun => ({ cfg, search, started, run: { step: () => stopped, stop: () => stopped } });
  try {
    if (cfg.symmetry?.bytes) budget.charge('symmetry', cfg.symmetry.bytes, 'buffers');
    search.addInitial(model.initialStates());
  } catch (e) {
    if (!(e instanceof BudgetExceeded)) throw e;
    return ended({ expanded: 0, visited: 0, depth: 0, stopReason: memoryReason(e) });
  }
  // stopWhenDecided: the initial states are level 0, asked about before any is expanded (the
  // loops ask at each later level's start). Visiting them again in the loop changes nothing.
  if (cfg.stopWhenDecided && levelDecides(search, 0)) return ended({ expanded: 0, visited: search.count, depth: 0, stopReason: DECIDED_REASON });
  const run = cfg.workers > 1 ? searchInParallel(model, search, cfg, started) : expandHere(model, search, cfg, started);
  return { cfg, search, started, run };
}

/**
 * Breadth-first search over every reachable state of `model`, deduplicating states. States are
 * numbered in BFS order, so the first violation found of each property has a shortest
 * counterexample, and the result is the same on every run and for every number of workers.
 * It runs to the end (or to a budget) without returning to the event loop.
 */
export function check(model: PackedModel, options: CheckOptions = {}): CheckResult {
  const b = begin(model, options);
  const outcome = b.run.step(b.started + b.cfg.maxTimeMs) ?? b.run.stop(maxTimeReason(b.cfg.maxTimeMs));
  return finishSearch(b.search, b.cfg, outcome, b.started);
}

/**
 * `check`, run in slices of about `sliceMs` with the event loop turning in between, so that
 * signals, timers and I/O are handled while it runs, and stopped early when `signal` is aborted
 * (the CLI's answer to Ctrl-C). The search itself, and so its result when it is not
 * interrupted, is exactly `check`'s.
 */
export async function checkAsync(model: PackedModel, options: CheckAsyncOptions = {}): Promise<CheckResult> {
  const b = begin(model, options);
  const slice = options.sliceMs ?? 50;
  const end = b.started + b.cfg.maxTimeMs;
  let outcome: LoopOutcome | undefined;
  while (outcome === undefined) {
    if (options.signal?.aborted) { outcome = { ...b.run.stop(interruptedReason(options.signal.reason)), interrupted: true }; break; }
    outcome = b.run.step(Math.min(performance.now() + slice, end));
    if (outcome !== undefined) break;
    if (performance.now() >= end) { outcome = b.run.stop(maxTimeReason(b.cfg.maxTimeMs)); break; }
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return finishSearch(b.search, b.cfg, outcome, b.started);
}

/** States expanded together by `expandHere` (see there). */
const BATCH = 128;

/**
 * The search loop on the calling thread. It takes the stored states in batches of up to BATCH
 * (never past the last state stored when the batch starts) and does each batch in three passes:
 * evaluate each state's properties and compute its successors (canonicalized, hashed); touch
 * where adding each successor will look in the visited set, so that the processor fetches those
 * cache lines in parallel; then add the successors state by state. The adds, the budget checks
 * and the depth bookkeeping run in exactly the order of a state-by-state loop, so the numbering,
 * the counts and the counterexamples are the same as without batches, and the same however the
 * run is cut into steps (a step ends only between two batches).
 */
function expandHere(model: PackedModel, search: SearchState, cfg: CheckConfig, started: number): SearchRun {
  const W = model.words;
  const loop: LoopAt = {
    id: 0, levels: new LoopLevels(search, cfg),
    cur: new Uint32Array(W), succ: new Successors(W, BATCH * 16), ends: new Int32Array(BATCH),
    hashes: new Uint32Array(BATCH * 16), known: new Int32Array(BATCH * 16),
  };
  return {
    step: (deadline) => expandSteps(model, search, cfg, started, loop, deadline),
    stop: (reason) => loop.levels.outcome(loop.id, reason),
  };
}

/** Where `expandHere`'s loop is between steps, and the buffers it reuses. */
interface LoopAt {
  id: number;
  readonly levels: LoopLevels;
  readonly cur: Uint32Array;
  readonly succ: Successors;
  readonly ends: Int32Array;
  hashes: Uint32Array;
  known: Int32Array;
}

/** One step of `expandHere`'s loop: batches from `at` on, until the end or `deadline` (SearchRun.step). */
function expandSteps(model: PackedModel, search: SearchState, cfg: CheckConfig, started: number, at: LoopAt, deadline: number): LoopOutcome | undefined {
  const W = model.words;
  const store = search.store;
  const { cur, succ, ends, levels } = at;
  let { id, hashes, known } = at;
  const sym = cfg.symmetry;
  const props = cfg.props;
  const budget = search.budget;
  const settles = search.settles;
  let sink = 0;
  try {
    for (let first = true; id < store.count; first = false) {
      if (!first && performance.now() >= deadline) {
        Object.assign(at, { id, hashes, known });
        // `sink` (an integer, never 0.5) only keeps the touches' reads from being optimized away.
        if (sink === 0.5) throw new Error('unreachable');
        return undefined;
      }
      // The model's memo grows as it meets new states: charged before each batch.
      if (model.memoBytes) budget.charge('model', model.memoBytes());
      const batchStart = id;
      const batchEnd = Math.min(store.count, id + BATCH);
      // Pass 1: properties, successors, canonical rows and their hashes; a self-loop's action is
      // stored complemented (~a < 0).
      succ.reset();
      const visited = levels.visited;
      for (let s = id; s < batchEnd; s++) {
        store.read(s, cur);
        if (s >= visited) search.visit(s, props.bits(cur, search.open));
        const firstSucc = succ.count;
        model.successors(cur, succ);
        if (succ.count > hashes.length) { const h = new Uint32Array(succ.states.length / W); h.set(hashes); hashes = h; }
        const states = succ.states;
        for (let k = firstSucc; k < succ.count; k++) {
          if (canonicalSuccessor(states, k * W, cur, sym)) succ.actions[k] = ~succ.actions[k];
          else hashes[k] = store.hash(states, k * W);
        }
        ends[s - batchStart] = succ.count;
      }
      levels.visited = Math.max(visited, batchEnd);
      // Pass 2: successors the recent-rows cache knows, and a hint for the others (see
      // SearchState.prepare); self-loops are skipped.
      if (known.length < succ.count) known = new Int32Array(hashes.length);
      known.fill(-1, 0, succ.count);
      sink ^= search.prepare(succ.states, hashes, succ.actions, known, 0, succ.count);
      // Pass 3: the adds, in order.
      let k = 0;
      for (let s = id; s < batchEnd; s++, id++) {
        const stop = levels.before(s);
        if (stop) return stop;
        for (const end = ends[s - batchStart]; k < end; k++) {
          const a = succ.actions[k];
          if (a < 0) search.addSelfLoop(s, ~a, succ.flags[k]);
          else if (known[k] >= 0) search.addKnown(s, a, succ.flags[k], known[k]);
          else search.addSuccessor(s, a, succ.flags[k], succ.states, k * W, hashes[k]);
        }
        if (settles) search.settle(s);
        if (cfg.onProgress && s % cfg.progressEvery === 0 && s > 0) {
          cfg.onProgress({ states: store.count, transitions: search.transitions, depth: levels.depth, queue: store.count - s, elapsedMs: performance.now() - started });
        }
      }
    }
  } catch (e) {
    if (!(e instanceof BudgetExceeded)) throw e;
    return levels.outcome(id, memoryReason(e));
  }
  if (sink === 0.5) throw new Error('unreachable');
  return levels.outcome(id);
}

/**
 * Ends a search: evaluates the properties of stored states that were never visited (a budget
 * stopped the search first), decides recoverable properties, and assembles the result. With
 * `stopWhenDecided`, a budget stop by which every property is decided ends as decided: the
 * verdicts and counterexamples are then final (see SearchState.decided); an interrupt's stays.
 */
export function finishSearch(search: SearchState, cfg: CheckConfig, o: LoopOutcome, started: number): CheckResult {
  const store = search.store;
  search.visitStored(o.visited, store.count);
  const complete = o.stopReason === undefined;
  const stopReason = !complete && cfg.stopWhenDecided && !o.interrupted && search.decided() ? DECIDED_REASON : o.stopReason;
  const properties = search.results(complete);
  return {
    states: store.count,
    transitions: search.transitions,
    depth: o.depth,
    elapsedMs: performance.now() - started,
    complete,
    stopReason,
    expanded: o.expanded,
    storeBytes: search.bytes,
    peakBytes: search.budget.peak,
    memoBytes: search.budget.charged - search.budget.buffers,
    bufferBytes: search.budget.buffers,
    symmetry: cfg.symmetry?.description,
    workers: cfg.workers,
    properties,
  };
}
