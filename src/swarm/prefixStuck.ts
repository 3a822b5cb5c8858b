import { Successors, type PackedModel, type Property, type Symmetry } from '../core/model';
import type { Prefix } from './prefixSearch';

type Recoverable = Extract<Property, { kind: 'recoverable' }>;

/**
 * The first prefix state (smallest id, so a shallowest one) from which no path of `property`'s
 * `via` actions reaches its goal in the full model `model`, or -1 when every prefix state
 * reaches it. Explores every state reachable from the prefix by `via` actions (canonicalized
 * by `symmetry` when given; the prefix must then hold representatives), then marks the states
 * that reach the goal by propagating backwards. `via` actions are clean-up calls, so this is a
 * small part of the space.
 */
export function prefixStuck(model: PackedModel, symmetry: Symmetry | null, prefix: Prefix, property: Recoverable): number {
  const W = model.words;
  const ids = new Map<string, number>();
  const rows: Uint32Array[] = [];
  const preds: number[][] = [];
  const key = (r: Uint32Array, off: number) => {
    let k = '';
    for (let i = 0; i < W; i++) k += r[off + i].toString(36) + ',';
    return k;
  };
  const intern = (r: Uint32Array, off: number): number => {
    const k = key(r, off);
    let id = ids.get(k);
    if (id === undefined) {
      id = rows.length;
      ids.set(k, id);
      rows.push(r.slice(off, off + W));
      preds.push([]);
    }
    return id;
  };
  for (let id = 0; id < prefix.prefixCount; id++) intern(prefix.rows, id * W);
  const via = new Map<number, boolean>();
  const isVia = (a: number) => { let v = via.get(a); if (v === undefined) { v = property.via(a); via.set(a, v); } return v; };
  const succ = new Successors(W);
  const good: boolean[] = [];
  const queue: number[] = [];
  for (let s = 0; s < rows.length; s++) {
    if (property.goal(rows[s])) { good[s] = true; queue.push(s); continue; }
    good[s] = false;
    succ.reset();
    model.successors(rows[s], succ);
    for (let k = 0; k < succ.count; k++) {
      if (!isVia(succ.actions[k])) continue;
      symmetry?.canonicalize(succ.states, k * W);
      const t = intern(succ.states, k * W);
      if (t !== s) preds[t].push(s);
    }
  }
  while (queue.length > 0) {
    const t = queue.pop()!;
    for (const s of preds[t]) if (!good[s]) { good[s] = true; queue.push(s); }
  }
  for (let id = 0; id < prefix.prefixCount; id++) if (!good[id]) return id;
  return -1;
}
