/**
 * Worker threads change nothing but speed: with 2 (or 3) workers the search stores the same states in
 * the same order, so the counts, verdicts and counterexamples equal those of one thread, with
 * and without symmetry, complete or stopped by a budget. (Under vitest the workers load the
 * TypeScript sources through ts-node; `dmaown check --workers` runs them from dist/.)
 */
import { describe, expect, it } from 'vitest';
import { checkDesign, type DesignCheck } from '../src/iommu/checkDesign';
import { loadDesigns } from '../src/iommu/designRegistry';
import { loadInvariants } from '../src/iommu/invariantRegistry';
import { check } from '../src/core/check';
import { buildIommuModel } from '../src/iommu/iommuModel';

/** Everything a run decides, without timings. */
function outcome(dc: DesignCheck) {
  const r = dc.result;
  return {
    states: r.states,
    transitions: r.transitions,
    depth: r.depth,
    complete: r.complete,
    stopReason: r.stopReason,
    expanded: r.expanded,
    verdicts: dc.verdicts.map((v) => (v.verdict === 'violated' ? { name: v.name, states: v.states, counterexample: v.counterexample } : v)),
  };
}

describe('--workers 2 gives the results of one thread', async () => {
  const v7 = (await loadDesigns()).find((d) => d.name === 'v7')!;
  const invariants = await loadInvariants();

  it('v7 at 3 devices, every invariant: same counts, verdicts and counterexamples', () => {
    const one = checkDesign(v7, 3, invariants);
    const two = checkDesign(v7, 3, invariants, { workers: 2 });
    expect(two.result.workers).toBe(2);
    expect(outcome(two)).toEqual(outcome(one));
    expect(one.verdicts.some((v) => v.verdict === 'violated')).toBe(true);
  });

  it('v7 at 3 devices with symmetry (3 workers: they look states up themselves), and stopped by --max-states: still the same', () => {
    const one = checkDesign(v7, 3, invariants, { symmetry: true });
    const three = checkDesign(v7, 3, invariants, { symmetry: true, workers: 3 });
    expect(three.result.workers).toBe(3);
    expect(outcome(three)).toEqual(outcome(one));
    const cut = { maxStates: 5000, symmetry: false } as const;
    const oneCut = checkDesign(v7, 3, invariants, cut);
    const twoCut = checkDesign(v7, 3, invariants, { ...cut, workers: 2 });
    expect(oneCut.result.complete).toBe(false);
    expect(outcome(twoCut)).toEqual(outcome(oneCut));
  });

  it('a model without a recipe for workers is refused, not silently checked on one thread', () => {
    const model = buildIommuModel(v7, 1, []);
    expect(() => check(model, { workers: 2 })).toThrow(/no recipe/);
  });
});
