/**
 * CompiledForest: a compiled tree gives the forest's leaf wherever the tree was known when it
 * was compiled, -1 elsewhere, and `lookup` keeps the forest the source of truth.
 */
import { describe, expect, it } from 'vitest';
import { CompiledForest, compileTree } from '../src/core/compiledForest';
import { DecisionForest, type FieldRef } from '../src/core/decisionTree';

// Three fields of one word: a (1 bit at 0), b (3 bits at 1), c (2 bits at 31 - 1 = 30).
const fields: FieldRef[] = [{ word: 0, shift: 0, bits: 1 }, { word: 0, shift: 1, bits: 3 }, { word: 1, shift: 30, bits: 2 }];
const a = (r: Uint32Array) => r[0] & 1;
const b = (r: Uint32Array) => (r[0] >>> 1) & 7;
const c = (r: Uint32Array) => (r[1] >>> 30) & 3;
/** f = a ? b * 4 + c : (b < 4 ? 100 : 101): reads a, then b, then c only when a is 1. */
const f = (r: Uint32Array) => (a(r) ? b(r) * 4 + c(r) : b(r) < 4 ? 100 : 101);
const trace = (r: Uint32Array, off: number) => {
  const row = r.subarray(off);
  return a(row) ? { reads: [0, 1, 1, b(row), 2, c(row)], leaf: f(row) } : { reads: [0, 0, 1, b(row)], leaf: f(row) };
};
const row = (va: number, vb: number, vc: number) => Uint32Array.of(va | (vb << 1), (vc << 30) >>> 0);
const all: Uint32Array[] = [];
for (let va = 0; va < 2; va++) for (let vb = 0; vb < 8; vb++) for (let vc = 0; vc < 4; vc++) all.push(row(va, vb, vc));

describe('compileTree', () => {
  it('returns the leaf on every row whose branch was known, and -1 on the others', () => {
    const forest = new DecisionForest(fields);
    forest.add({ trace });
    // Grow only the branches with b even.
    for (const r of all) if (b(r) % 2 === 0) forest.walk(0, r, 0);
    const fn = compileTree(forest, 0);
    let known = 0;
    for (const r of all) {
      const got = fn(r);
      if (b(r) % 2 === 0) { expect(got).toBe(f(r)); known++; } else expect(got).toBe(-1);
    }
    expect(known).toBe(32);
    // A shift of 30 and a top bit do not lose the sign: c = 2 and 3 have bit 31 set.
    expect(fn(row(1, 2, 3))).toBe(2 * 4 + 3);
  });

  it('an empty tree compiles to a function that always returns -1', () => {
    const forest = new DecisionForest(fields);
    forest.add({ trace });
    const fn = compileTree(forest, 0);
    for (const r of all) expect(fn(r)).toBe(-1);
  });
});

describe('CompiledForest', () => {
  it('compiles a tree once its fallbacks reach the threshold, and lookups stay exact throughout', () => {
    const forest = new DecisionForest(fields);
    forest.add({ trace });
    const cf = new CompiledForest(forest, { firstThreshold: 4 });
    cf.track(0);
    const before = cf.fns[0];
    // Before any compilation every lookup falls back, and the answers are right.
    for (const r of all.slice(0, 4)) expect(cf.fns[0](r) < 0 ? cf.lookup(0, r) : -99).toBe(f(r));
    expect(cf.fns[0]).not.toBe(before);
    for (let round = 0; round < 3; round++) {
      for (const r of all) {
        let leaf = cf.fns[0](r);
        if (leaf < 0) leaf = cf.lookup(0, r);
        expect(leaf).toBe(f(r));
      }
    }
    // By now the compiled function knows every row.
    for (const r of all) expect(cf.fns[0](r)).toBe(f(r));
  });

  it('a tree bigger than maxNodes is walked as data instead', () => {
    const forest = new DecisionForest(fields);
    forest.add({ trace });
    const cf = new CompiledForest(forest, { firstThreshold: 1, maxNodes: 2 });
    cf.track(0);
    for (const r of all) {
      let leaf = cf.fns[0](r);
      if (leaf < 0) leaf = cf.lookup(0, r);
      expect(leaf).toBe(f(r));
    }
    expect(forest.size(0)).toBeGreaterThan(2);
    // Walked as data, it never answers -1 for a known row.
    for (const r of all) expect(cf.fns[0](r)).toBe(f(r));
  });
});
