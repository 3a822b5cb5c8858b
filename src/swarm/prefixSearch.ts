import type { Path } from '../core/check';
import { Successors, type PackedModel, type Symmetry } from '../core/model';
import { formatBytes } from '../core/memoryBudget';
import { InputError } from '../errors';

/** Most states `prefixSearch` stores before it refuses the depth (the prefix is meant to be small). */
export const MAX_PREFIX_STATES = 1 << 20;

/**
 * Bytes a state of the prefix search holds, as an estimate for the memory budget: its row, its
 * BFS parent and action, and its key in the map of states seen (measured 94 to 117 bytes a state
 * on v7 and lu-owner-param at 4 to 6 devices, after garbage collection).
 */
export const PREFIX_BYTES_PER_STATE = 128;

/**
 * The first levels of the breadth-first search of a model: every state at depth 0 to `depth`,
 * numbered as `check` numbers them (initial states in order, then each state's new successors
 * in action order, self-loops skipped; with a symmetry, orbit representatives).
 * States `[0, prefixCount)` are the *prefix* (depth < `depth`), states `[prefixCount, count)`
 * the *frontier* (depth exactly `depth`).
 */
export interface Prefix {
  readonly words: number;
  readonly depth: number;
  readonly count: number;
  readonly prefixCount: number;
  /** The rows of states `[0, count)`, concatenated. */
  readonly rows: Uint32Array;
  /** The BFS path to state `id`: the first path `check` finds to it. */
  pathTo(id: number): Path;
  /** Bytes it holds (an estimate: PREFIX_BYTES_PER_STATE a state). */
  readonly bytes: number;
}

/** How deep `prefixSearch` goes: to `depth`, or (`minFrontier`) to the first level that has at least that many states. */
export type PrefixDepth = { readonly depth: number } | { readonly minFrontier: number };

const keyOf = (rows: Uint32Array, off: number, W: number): string => {
  let k = '';
  for (let i = 0; i < W; i++) k += rows[off + i].toString(36) + ',';
  return k;
};

/**
 * Searches `model` breadth first up to a depth. With `{ depth: d }`, d must be at least 1 and
 * some state must be at depth d; with `{ minFrontier: n }`, the depth is the first level of at
 * least n states, or the widest level when none is that wide. Bad depths, prefixes of more than
 * `maxStates` (MAX_PREFIX_STATES) states and prefixes estimated past `maxBytes` (the shard's
 * memory budget; PREFIX_BYTES_PER_STATE a state) are InputErrors.
 */
export function prefixSearch(model: PackedModel, symmetry: Symmetry | null, how: PrefixDepth, maxStates = MAX_PREFIX_STATES, maxBytes = Number.POSITIVE_INFINITY): Prefix {
  const byBytes = Math.floor(maxBytes / PREFIX_BYTES_PER_STATE);
  const W = model.words;
  let rows = new Uint32Array(1024 * W);
  const parent: number[] = [];
  const action: number[] = [];
  const ids = new Map<string, number>();
  let count = 0;
  const add = (buf: Uint32Array, off: number, from: number, a: number): void => {
    const key = keyOf(buf, off, W);
    if (ids.has(key)) return;
    if (count >= maxStates) {
      throw new InputError(`--depth ${'depth' in how ? how.depth : levels.length}: the first levels of the search hold more than ${maxStates.toLocaleString('en-US')} states; pick a smaller depth`);
    }
    if (count >= byBytes) {
      throw new InputError(`--depth ${'depth' in how ? how.depth : levels.length}: the first levels of the search hold more than ${byBytes.toLocaleString('en-US')} states, more than the memory budget (${formatBytes(maxBytes)}) holds at about ${PREFIX_BYTES_PER_STATE} bytes a state; pick a smaller depth or a larger --max-memory`);
    }
    if ((count + 1) * W > rows.length) { const r = new Uint32Array(rows.length * 2); r.set(rows); rows = r; }
    rows.set(buf.subarray(off, off + W), count * W);
    ids.set(key, count);
    parent.push(from);
    action.push(a);
    count++;
  };
  /** levels[i]: the first state id of level i; the level ends where the next begins (or at count). */
  const levels: number[] = [0];
  const init = model.initialStates();
  const row = new Uint32Array(W);
  for (let i = 0; i * W < init.length; i++) {
    row.set(init.subarray(i * W, (i + 1) * W));
    symmetry?.canonicalize(row, 0);
    add(row, 0, -1, i);
  }
  const target = 'depth' in how ? how.depth : Number.POSITIVE_INFINITY;
  if ('depth' in how && (!Number.isInteger(how.depth) || how.depth < 1)) throw new InputError(`--depth must be a whole number of at least 1, got ${how.depth}`);
  const succ = new Successors(W);
  const cur = new Uint32Array(W);
  let depth = 0;
  while (depth < target) {
    const start = levels[depth];
    const end = count;
    for (let id = start; id < end; id++) {
      cur.set(rows.subarray(id * W, (id + 1) * W));
      succ.reset();
      model.successors(cur, succ);
      for (let k = 0; k < succ.count; k++) {
        const off = k * W;
        symmetry?.canonicalize(succ.states, off);
        let self = true;
        for (let i = 0; i < W; i++) if (succ.states[off + i] !== cur[i]) { self = false; break; }
        if (!self) add(succ.states, off, id, succ.actions[k]);
      }
    }
    if (count === end) break; // level depth + 1 is empty: the search is over
    levels.push(end);
    depth++;
    if ('minFrontier' in how && count - end >= how.minFrontier) break;
  }
  if ('depth' in how && depth < how.depth) throw new InputError(`--depth ${how.depth}: no state is that deep (the deepest are at depth ${depth}); pick a smaller depth`);
  if ('minFrontier' in how && depth > 0 && count - levels[depth] < how.minFrontier) {
    // No level is wide enough: take the widest (the first of the widest), never level 0.
    let best = 1;
    for (let l = 2; l <= depth; l++) if (size(l) > size(best)) best = l;
    depth = best;
    count = depth + 1 < levels.length ? levels[depth + 1] : count;
  }
  if (depth === 0) throw new InputError('the search has no state beyond the initial one: there is nothing to split');
  function size(l: number): number { return (l + 1 < levels.length ? levels[l + 1] : count) - levels[l]; }
  const n = count;
  return {
    words: W,
    depth,
    count: n,
    prefixCount: levels[depth],
    rows: rows.slice(0, n * W),
    bytes: n * PREFIX_BYTES_PER_STATE,
    pathTo(id: number): Path {
      if (id < 0 || id >= n) throw new RangeError(`no state ${id} in the prefix search`);
      const actions: number[] = [];
      while (parent[id] >= 0) { actions.push(action[id]); id = parent[id]; }
      return { init: action[id], actions: actions.reverse() };
    },
  };
}
