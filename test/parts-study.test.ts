/**
 * bench/partsStudy.ts's helpers (its figures are the checker's own, measured by hand; see
 * docs/scaling.md): the median it and the bench's headline rounds take (bench/format.ts), and
 * the successor rows it times the canonical forms on.
 */
import { describe, expect, it } from 'vitest';
import { median } from '../bench/format';
import { successorRows } from '../bench/partsStudy';
import { check } from '../src/core/check';
import { Successors } from '../src/core/model';
import { loadDesigns } from '../src/iommu/designRegistry';
import { buildIommuModel } from '../src/iommu/iommuModel';

describe('parts study helpers', () => {
  it('median: the middle value, or the mean of the middle two; the order given does not matter', () => {
    expect(median([3])).toBe(3);
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    const xs = [9, 2, 7];
    expect(median(xs)).toBe(7);
    expect(xs).toEqual([9, 2, 7]);
  });

  it('successorRows: the initial state\'s successors first, then those of the states after it in BFS order, until there are enough', async () => {
    const v7 = (await loadDesigns()).find((d) => d.name === 'v7')!;
    const model = buildIommuModel(v7, 2, []);
    const W = model.words;
    const succ = new Successors(W);
    model.successors(model.initialStates(), succ);
    const first = succ.states.slice(0, succ.count * W);
    // Asking for one row still gives the whole first state's successors, and no more.
    expect(successorRows(model, 1)).toEqual(first);
    // Asking for more: at least that many, the first state's first.
    const more = successorRows(model, 500);
    expect(more.length / W).toBeGreaterThanOrEqual(500);
    expect(more.subarray(0, first.length)).toEqual(first);
    // Fewer rows than asked when the whole space has fewer: then every transition of every
    // reachable state, once each, as many as the checker counts (v7 at 1 device).
    const tiny = buildIommuModel(v7, 1, []);
    expect(successorRows(tiny, 10_000_000).length / tiny.words).toBe(check(tiny).transitions);
  });
});
