/**
 * The visited set and the memoized transition function, against plain references: a JS Map for
 * the store, and the compiled machine run directly (no memo) for successors and invariants.
 */
import { describe, expect, it } from 'vitest';
import { DecisionTree, ImpureFunctionError } from '../src/core/decisionTree';
import { PagedActions } from '../src/core/growable';
import { BudgetExceeded, MemoryBudget } from '../src/core/memoryBudget';
import { Successors } from '../src/core/model';
import { memoryReason } from '../src/core/searchLoop';
import { StateStore, StoreReader } from '../src/core/stateStore';
import { loadDesigns } from '../src/iommu/designRegistry';
import { loadInvariants } from '../src/iommu/invariantRegistry';
import type { Design } from '../src/iommu/design';
import type { Invariant } from '../src/iommu/invariant';
import { buildIommuModel } from '../src/iommu/iommuModel';
import { plainReachable } from './designs/plainBfs';

/** A deterministic pseudo-random sequence (xorshift32). */
function rng(seed: number) {
  let x = seed;
  return () => { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; return x >>> 0; };
}

describe('StateStore', () => {
  it('numbers rows in insertion order and finds them again, across growth, like a Map', () => {
    const W = 3;
    const store = new StateStore(W, 16);
    const ref = new Map<string, number>();
    const next = rng(7);
    const row = new Uint32Array(W);
    let wrong = 0;
    for (let i = 0; i < 300_000; i++) {
      // Few distinct values per word, so that rows repeat often.
      row[0] = next() % 50; row[1] = next() % 40; row[2] = (next() % 200) | (i & 1 ? 0x80000000 : 0);
      const key = row.join();
      const r = store.add(row);
      const known = ref.get(key);
      if (known === undefined) { if (r !== ref.size) wrong++; ref.set(key, r); }
      else if (r !== -(known + 1)) wrong++;
    }
    expect(wrong).toBe(0);
    expect(store.count).toBe(ref.size);
    expect(ref.size).toBeGreaterThan(100_000);
    const out = new Uint32Array(W);
    for (const [key, id] of ref) {
      store.read(id, out);
      if (out.join() !== key) wrong++;
      if (store.find(out) !== id) wrong++;
    }
    expect(wrong).toBe(0);
    expect(store.find(Uint32Array.of(99, 99, 99))).toBe(-1);
    expect(store.find(Uint32Array.from(ref.keys().next().value!.split(',').map(Number)))).toBe(0);
  });

  it('a budget stops it before it allocates, and leaves it unchanged', () => {
    const budget = new MemoryBudget(2 * 1024 * 1024);
    const store = new StateStore(2, 16, budget);
    const row = new Uint32Array(2);
    let added = 0;
    expect(() => {
      for (let i = 0; ; i++) { row[0] = i; row[1] = i * 7; store.add(row); added = i + 1; }
    }).toThrow(BudgetExceeded);
    expect(store.count).toBe(added);
    expect(budget.peak).toBeLessThanOrEqual(2 * 1024 * 1024);
    row[0] = added - 1; row[1] = (added - 1) * 7;
    expect(store.find(row)).toBe(added - 1);
  });

  it('stops as a budget does when its index cannot grow, with the reason as the stop reason', () => {
    // Largest index 2^6 slots: at the 0.75 load, 48 states fit.
    const store = new StateStore(2, 16, new MemoryBudget(), false, 6);
    const row = new Uint32Array(2);
    let added = 0;
    let thrown: unknown;
    try {
      for (let i = 0; ; i++) { row[0] = i; row[1] = i * 7; store.add(row); added = i + 1; }
    } catch (e) { thrown = e; }
    expect(thrown).toBeInstanceOf(BudgetExceeded);
    expect(added).toBe(48);
    expect(store.count).toBe(48);
    expect(memoryReason(thrown as BudgetExceeded)).toBe('the visited set is full: 48 states, the most one search stores (an index of 2^6 slots)');
    for (let i = 0; i < 48; i++) { row[0] = i; row[1] = i * 7; expect(store.add(row)).toBe(-(i + 1)); }
    // A memory budget's stop reason names the budget.
    expect(memoryReason(new BudgetExceeded('memory budget of 1.0 MiB reached'))).toBe('--max-memory: memory budget of 1.0 MiB reached');
  });
});

describe('StoreReader', () => {
  it('finds, in a shared store, the states added before its snapshot, and never a wrong id', () => {
    const store = new StateStore(2, 16, new MemoryBudget(), true);
    const reader = new StoreReader(2);
    const row = new Uint32Array(2);
    const at = (i: number) => { row[0] = i * 3; row[1] = i ^ 0x5555; return row; };
    for (let i = 0; i < 50_000; i++) store.add(at(i));
    reader.update(store.snapshot());
    for (let i = 50_000; i < 200_000; i++) store.add(at(i));
    let wrong = 0;
    let found = 0;
    for (let i = 0; i < 200_000; i++) {
      const r = reader.find(at(i), 0, store.hash(row, 0));
      if (i < 50_000 && r !== i) wrong++;
      if (r >= 0) { found++; if (r !== i) wrong++; }
    }
    expect(wrong).toBe(0);
    expect(found).toBeGreaterThanOrEqual(50_000);
    reader.update(store.snapshot());
    for (let i = 0; i < 200_000; i++) if (reader.find(at(i), 0, store.hash(row, 0)) !== i) wrong++;
    expect(wrong).toBe(0);
    expect(reader.find(Uint32Array.of(1, 1), 0, store.hash(Uint32Array.of(1, 1), 0))).toBe(-1);
  });
});

describe('PagedActions', () => {
  it('widens from one byte to two and four without losing values', () => {
    const a = new PagedActions(new MemoryBudget());
    const values = [3, 255, 0, 70000, 256, 1 << 20, 9];
    for (let i = 0; i < 70_000; i++) a.push(values[i % values.length] % (i < 1000 ? 256 : i < 2000 ? 65536 : 1 << 30));
    for (let i = 0; i < 70_000; i++) expect(a.get(i)).toBe(values[i % values.length] % (i < 1000 ? 256 : i < 2000 ? 65536 : 1 << 30));
  });
});

describe('DecisionTree', () => {
  it('memoizes a function on the fields it reads and refuses an impure one', () => {
    const fields = [{ word: 0, shift: 0, bits: 2 }, { word: 0, shift: 2, bits: 2 }];
    let calls = 0;
    // f(a, b) = a === 0 ? 10 : a + b: reads b only when a is not 0.
    const tree = new DecisionTree(fields, {
      trace(row, off) {
        calls++;
        const a = row[off] & 3;
        if (a === 0) return { reads: [0, 0], leaf: 10 };
        const b = (row[off] >>> 2) & 3;
        return { reads: [0, a, 1, b], leaf: a + b };
      },
    });
    for (let v = 0; v < 16; v++) expect(tree.lookup(Uint32Array.of(v), 0)).toBe((v & 3) === 0 ? 10 : (v & 3) + (v >>> 2));
    // One trace per distinct path: a = 0 (1 path) and a in 1..3 with any b (12 paths).
    expect(calls).toBe(13);
    for (let v = 0; v < 16; v++) tree.lookup(Uint32Array.of(v), 0);
    expect(calls).toBe(13);
    let flip = false;
    const impure = new DecisionTree(fields, { trace: () => { flip = !flip; return { reads: flip ? [0, 0] : [1, 0], leaf: 0 }; } });
    impure.lookup(Uint32Array.of(0), 0);
    expect(() => impure.lookup(Uint32Array.of(1), 0)).toThrow(ImpureFunctionError);
  });
});

/**
 * Walks the reachable states of `design` at `n` devices breadth first (by a Set of rows, up to
 * `limit` states) and compares, on each, the memoized model's successors and properties with
 * those of the model that runs the machine directly. Returns the mismatches and the states compared.
 */
function compareMemo(design: Design, n: number, invariants: readonly Invariant[], limit: number): { mismatches: string[]; compared: number } {
  const same = (x: ArrayLike<number>, y: ArrayLike<number>) => x.length === y.length && Array.prototype.every.call(x, (v: number, i: number) => v === y[i]);
  const fast = buildIommuModel(design, n, invariants);
  const slow = buildIommuModel(design, n, invariants, { memoize: false });
  const W = fast.words;
  const seen = new Set<string>();
  const rows = [fast.initialStates()];
  seen.add(rows[0].join());
  const a = new Successors(W);
  const b = new Successors(W);
  const mismatches: string[] = [];
  let compared = 0;
  for (let i = 0; i < rows.length && i < limit; i++) {
    a.reset(); b.reset();
    fast.successors(rows[i], a);
    slow.successors(rows[i], b);
    const where = () => `${n} devices, ${JSON.stringify(fast.decode(rows[i]))}`;
    if (!same(a.actions.subarray(0, a.count), b.actions.subarray(0, b.count)) || !same(a.flags.subarray(0, a.count), b.flags.subarray(0, b.count))
      || !same(a.states.subarray(0, a.count * W), b.states.subarray(0, b.count * W))) mismatches.push(`successors of ${where()}`);
    fast.properties.forEach((p, k) => {
      const q = slow.properties[k];
      if ((p.kind === 'always' || p.kind === 'sometimes') && p.holds(rows[i]) !== (q as typeof p).holds(rows[i])) mismatches.push(`${p.name} on ${where()}`);
      if (p.kind === 'recoverable' && p.goal(rows[i]) !== (q as typeof p).goal(rows[i])) mismatches.push(`${p.name} goal on ${where()}`);
    });
    compared++;
    for (let k = 0; k < a.count; k++) {
      const t = a.states.slice(k * W, (k + 1) * W);
      if (!seen.has(t.join())) { seen.add(t.join()); rows.push(t); }
    }
  }
  return { mismatches, compared };
}

describe('memoized successors and invariants equal the machine run directly', async () => {
  const designs = await loadDesigns();
  const invariants = await loadInvariants();
  for (const design of designs) {
    it(`${design.name} at 1 to 3 devices, the first 4,000 reachable states of each`, () => {
      const mismatches: string[] = [];
      let compared = 0;
      for (let n = 1; n <= 3; n++) {
        const r = compareMemo(design, n, invariants, 4_000);
        mismatches.push(...r.mismatches);
        compared += r.compared;
      }
      expect(mismatches.slice(0, 5)).toEqual([]);
      expect(compared).toBeGreaterThan(100);
    });
  }

  it('v7 at 3 devices, every reachable state (enough walks for the busiest trees to be compiled)', () => {
    const design = designs.find((d) => d.name === 'v7')!;
    const r = compareMemo(design, 3, invariants, Number.POSITIVE_INFINITY);
    expect(r.mismatches.slice(0, 5)).toEqual([]);
    // Every state was compared: as many as the independent plain-object search finds.
    expect(r.compared).toBe(plainReachable(design, 3).length);
  });
});
