import { canonicalSuccessor } from '../core/canonicalSuccessor';
import { Successors, type PackedModel, type Symmetry } from '../core/model';
import type { PropertySet } from '../core/searchState';
import { hashRow, type StoreReader } from '../core/stateStore';

/** The expansion of consecutive states, as a worker hands it to the merging thread. */
export interface ExpandedChunk {
  /** Per state: `PropertySet.bits` of its row. */
  readonly bits: Uint32Array;
  /** Per state: how many successors it has (they follow one another in the arrays below). */
  readonly counts: Uint32Array;
  /**
   * Per successor: action (complemented, `~action` < 0, when the successor is the state itself,
   * as the one-thread loop marks it), the model's flags, its id when the worker found it stored
   * (else -1), hash, row.
   */
  readonly actions: Int32Array;
  readonly ids: Int32Array;
  readonly flags: Uint32Array;
  readonly hashes: Uint32Array;
  readonly rows: Uint32Array;
}

/** The arrays of an `ExpandedChunk`, every one of them transferable. */
export function chunkBuffers(r: ExpandedChunk): ArrayBuffer[] {
  return [r.bits.buffer, r.counts.buffer, r.actions.buffer, r.ids.buffer, r.flags.buffer, r.hashes.buffer, r.rows.buffer] as ArrayBuffer[];
}

/**
 * Expands `n` consecutive states (`rows`, one after the other): evaluates their properties (the
 * state properties in `open` only, see PropertySet.bits) and
 * computes their successors, canonicalized by `symmetry` when given, hashed for the store. The
 * same work, in the same order, as the single-threaded search does for each state.
 * `reuse`: an earlier result whose arrays are written over (when long enough) instead of new
 * ones, so that a worker does not allocate new arrays for every chunk.
 */
export function expandChunk(model: PackedModel, props: PropertySet, symmetry: Symmetry | null, rows: Uint32Array, n: number, store: StoreReader | null = null, open = -1, reuse?: ExpandedChunk): ExpandedChunk {
  const W = model.words;
  const bits = reuse && reuse.bits.length >= n ? reuse.bits : new Uint32Array(n);
  const counts = reuse && reuse.counts.length >= n ? reuse.counts : new Uint32Array(n);
  // The model writes every state's successors one after the other into `succ`, whose arrays
  // are the result's: rows, actions and flags need no copy.
  const succ = new Successors(W, 0);
  const fits = reuse !== undefined && reuse.actions.length >= 16 && reuse.rows.length === reuse.actions.length * W && reuse.flags.length === reuse.actions.length;
  if (fits) {
    succ.states = reuse.rows;
    succ.actions = reuse.actions;
    succ.flags = reuse.flags;
  } else {
    succ.states = new Uint32Array(Math.max(16, n * 16) * W);
    succ.actions = new Int32Array(Math.max(16, n * 16));
    succ.flags = new Uint32Array(Math.max(16, n * 16));
  }
  let hashes = fits && reuse.hashes.length === reuse.actions.length ? reuse.hashes : new Uint32Array(succ.actions.length);
  let ids = fits && reuse.ids.length === reuse.actions.length ? reuse.ids : new Int32Array(succ.actions.length);
  const cur = new Uint32Array(W);
  for (let i = 0; i < n; i++) {
    for (let w = 0; w < W; w++) cur[w] = rows[i * W + w];
    bits[i] = props.bits(cur, open);
    const first = succ.count;
    model.successors(cur, succ);
    counts[i] = succ.count - first;
    if (succ.count > hashes.length) {
      const h = new Uint32Array(succ.actions.length); h.set(hashes); hashes = h;
      const d = new Int32Array(succ.actions.length); d.set(ids); ids = d;
    }
    const st = succ.states;
    const actions = succ.actions;
    for (let k = first; k < succ.count; k++) {
      const off = k * W;
      if (canonicalSuccessor(st, off, cur, symmetry)) {
        // A self-loop: its action complemented. (Not a bit of the flags: every one of the 32 is
        // the model's own.)
        actions[k] = ~actions[k];
        hashes[k] = 0;
        ids[k] = -1;
      } else {
        const h = hashRow(st, off, W);
        hashes[k] = h;
        ids[k] = store ? store.find(st, off, h) : -1;
      }
    }
  }
  // The arrays may be longer than the n states and their successors: `counts` says how many there are.
  return { bits, counts, actions: succ.actions, ids, flags: succ.flags, hashes, rows: succ.states };
}
