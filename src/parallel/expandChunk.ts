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
   * Per successor: action, flags (bit 31: the successor is the state itself), its id when the
   * worker found it stored (else -1), hash, row.
   */
  readonly actions: Uint32Array;
  readonly ids: Int32Array;
  readonly flags: Uint32Array;
  readonly hashes: Uint32Array;
  readonly rows: Uint32Array;
}

/** Marks a successor that is its own state (a self-loop) in `ExpandedChunk.flags`. */
export const SELF_LOOP = 0x80000000;

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
  const succ = new Successors(W);
  const fits = reuse !== undefined && reuse.actions.length >= 16 && reuse.rows.length === reuse.actions.length * W;
  let cap = fits ? reuse.actions.length : Math.max(16, n * 16);
  let actions = fits ? reuse.actions : new Uint32Array(cap);
  let flags = fits ? reuse.flags : new Uint32Array(cap);
  let hashes = fits ? reuse.hashes : new Uint32Array(cap);
  let ids = fits ? reuse.ids : new Int32Array(cap);
  let out = fits ? reuse.rows : new Uint32Array(cap * W);
  let m = 0;
  const cur = new Uint32Array(W);
  for (let i = 0; i < n; i++) {
    for (let w = 0; w < W; w++) cur[w] = rows[i * W + w];
    bits[i] = props.bits(cur, open);
    succ.reset();
    model.successors(cur, succ);
    counts[i] = succ.count;
    if (m + succ.count > cap) {
      cap = Math.max(cap * 2, m + succ.count);
      const a = new Uint32Array(cap); a.set(actions); actions = a;
      const f = new Uint32Array(cap); f.set(flags); flags = f;
      const h = new Uint32Array(cap); h.set(hashes); hashes = h;
      const d = new Int32Array(cap); d.set(ids); ids = d;
      const o = new Uint32Array(cap * W); o.set(out); out = o;
    }
    const st = succ.states;
    for (let k = 0; k < succ.count; k++, m++) {
      const off = k * W;
      if (symmetry) symmetry.canonicalize(st, off);
      let self = true;
      for (let w = 0; w < W; w++) {
        const v = st[off + w];
        out[m * W + w] = v;
        if (v !== cur[w]) self = false;
      }
      actions[m] = succ.actions[k];
      flags[m] = self ? (succ.flags[k] | SELF_LOOP) >>> 0 : succ.flags[k];
      const h = self ? 0 : hashRow(st, off, W);
      hashes[m] = h;
      ids[m] = self || !store ? -1 : store.find(st, off, h);
    }
  }
  // The arrays may be longer than the n states and m successors: `counts` says how many there are.
  return { bits, counts, actions, ids, flags, hashes, rows: out };
}
