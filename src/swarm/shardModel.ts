import { Successors, type PackedModel, type Property } from '../core/model';
import { RowSet } from './rowSet';

/**
 * The model one shard checks: `base` with the same initial states, except that a *prefix* state
 * (depth below the frontier) keeps only the transitions to prefix states and to the shard's own
 * frontier states. A search of it from the initial state stores the whole prefix (numbered as
 * in the full search) and everything reachable from the shard's frontier states; over all
 * shards these cover every reachable state. Every state outside the prefix keeps all its
 * transitions, so that part of the graph is forward-closed.
 *
 * A recoverable property's goal also counts as reached in every prefix state (their transitions
 * are cut, so the shard cannot decide them; `prefixStuck` decides them on the whole graph): a
 * state outside the prefix then passes exactly when, in the full model, it reaches the goal or
 * a prefix state by the property's actions.
 *
 * `prefixRows` and `ownFrontier` are concatenated rows; when `reduced`, they are orbit
 * representatives of `base.symmetry` and the search must store representatives too (successors
 * are canonicalized before the lookup). Its `memoBytes` are the base model's memo, the two row
 * sets, and `heldBytes` (what the caller keeps for the search's duration, e.g. the prefix
 * search): the search charges them to its memory budget.
 */
export function shardModel(base: PackedModel, prefixRows: Uint32Array, ownFrontier: Uint32Array, reduced: boolean, heldBytes = 0): PackedModel {
  const W = base.words;
  const prefix = new RowSet(prefixRows, W);
  const own = new RowSet(ownFrontier, W);
  const sym = reduced ? base.symmetry ?? null : null;
  if (reduced && !sym) throw new Error('shardModel: reduced without a symmetry');
  const all = new Successors(W);
  const row = new Uint32Array(W);
  const successors = (state: Uint32Array, out: Successors): void => {
    if (!prefix.has(state, 0)) { base.successors(state, out); return; }
    all.reset();
    base.successors(state, all);
    for (let k = 0; k < all.count; k++) {
      const off = k * W;
      for (let i = 0; i < W; i++) row[i] = all.states[off + i];
      sym?.canonicalize(row, 0);
      if (!prefix.has(row, 0) && !own.has(row, 0)) continue;
      const dst = out.push(all.actions[k], all.flags[k]);
      for (let i = 0; i < W; i++) out.states[dst + i] = all.states[off + i];
    }
  };
  const properties = base.properties.map((p): Property => (p.kind === 'recoverable'
    ? { kind: 'recoverable', name: p.name, via: (a) => p.via(a), goal: (r) => p.goal(r) || prefix.has(r, 0) }
    : p));
  return {
    words: W,
    actionCount: base.actionCount,
    initialStates: () => base.initialStates(),
    successors,
    transitionFlags: base.transitionFlags,
    properties,
    symmetry: base.symmetry,
    recipe: undefined,
    memoBytes: () => (base.memoBytes?.() ?? 0) + prefix.bytes + own.bytes + heldBytes,
  };
}
