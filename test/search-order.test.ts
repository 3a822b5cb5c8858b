/**
 * The search loop expands states in batches (core/check: successors first, then the adds in
 * order). Batches must not change anything observable: states are numbered exactly as a plain
 * state-by-state BFS numbers them, so counterexamples, the number of states at which a property
 * was decided, and where a budget stops are those of the plain BFS written out below.
 */
import { describe, expect, it } from 'vitest';
import { check } from '../src/core/check';
import type { PackedModel, Property, Successors } from '../src/core/model';

const N = 5000;
/** A pseudo-random graph on 0..N-1: from s, up to three successors (action k goes to next(s, k)); self-loops included. */
const next = (s: number, k: number) => (Math.imul(s + 1, 2654435761 + 40503 * k) >>> 7) % N;
const enabled = (s: number, k: number) => k < 2 || s % 3 === 0;

function model(properties: Property[]): PackedModel {
  return {
    words: 1,
    actionCount: 3,
    transitionFlags: [],
    properties,
    initialStates: () => Uint32Array.of(0),
    successors(s: Uint32Array, out: Successors) {
      for (let k = 0; k < 3; k++) if (enabled(s[0], k)) out.states[out.push(k, 0)] = next(s[0], k);
    },
  };
}

/**
 * The plain BFS with check's rules: a budget is looked at before each state is expanded, and
 * stops the search once more than `maxStates` states are stored. Its depth is that of the deepest state stored (each state's own depth, recorded as it is found).
 */
function plain(maxStates = Infinity) {
  const order = [0];
  const index = new Map([[0, 0]]);
  const parent = [-1];
  const via = [0];
  const depthOf = [0];
  let transitions = 0;
  let id = 0;
  for (; id < order.length; id++) {
    if (order.length > maxStates) break;
    for (let k = 0; k < 3; k++) {
      if (!enabled(order[id], k)) continue;
      transitions++;
      const t = next(order[id], k);
      if (!index.has(t)) { index.set(t, order.length); order.push(t); parent.push(id); via.push(k); depthOf.push(depthOf[id] + 1); }
    }
  }
  const depth = depthOf.reduce((a, b) => Math.max(a, b), 0);
  const pathTo = (i: number) => { const a: number[] = []; for (; parent[i] >= 0; i = parent[i]) a.push(via[i]); return a.reverse(); };
  return { order, index, transitions, depth, expanded: id, pathTo };
}

describe('batched expansion numbers states as a plain BFS does', () => {
  const full = plain();

  it('the graph is big enough for many batches and has a deep BFS', () => {
    expect(full.order.length).toBeGreaterThan(1000);
    expect(full.depth).toBeGreaterThan(5);
  });

  it('counts, depth and every counterexample equal the plain BFS', () => {
    // Forbid states spread over the whole numbering: the first, middle and last ones.
    const targets = [1, 2, 130, 131, 257, Math.floor(full.order.length / 2), full.order.length - 1].map((i) => full.order[i]);
    const r = check(model(targets.map((t) => ({ kind: 'always', name: `not-${t}`, holds: (s: Uint32Array) => s[0] !== t }))));
    expect(r.states).toBe(full.order.length);
    expect(r.transitions).toBe(full.transitions);
    expect(r.depth).toBe(full.depth);
    r.properties.forEach((p, i) => {
      const at = full.index.get(targets[i])!;
      expect(p.verdict).toBe('violated');
      expect(p.states).toBe(at + 1);
      expect(p.path).toEqual({ init: 0, actions: full.pathTo(at) });
    });
  });

  for (const m of [2, 100, 128, 129, 1000, 2047]) {
    it(`a --max-states ${m} stop is where the plain BFS stops`, () => {
      const p = plain(m);
      const r = check(model([]), { maxStates: m });
      expect(r.complete).toBe(false);
      expect(r.states).toBe(Math.min(p.order.length, full.order.length));
      expect(r.expanded).toBe(p.expanded);
      expect(r.depth).toBe(p.depth);
      expect(r.transitions).toBe(p.transitions);
    });
  }
});
