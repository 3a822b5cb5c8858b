/**
 * Worker threads rebuild the design and invariants by name from machines/ and invariants/, so
 * a search on workers needs those registries loaded in the process: only then can a changed
 * copy under a registered name be told from the registered object (workers.test.ts has those
 * copies). This file loads nothing before its first test, so that it sees the unloaded case,
 * then the designs alone (enough to check no invariant on workers), then both.
 */
import { expect, it } from 'vitest';
import { invariant as noMixed } from '../invariants/no-mixed-dma';
import { design as v7 } from '../machines/v7';
import { checkDesign, checkDesignAsync } from '../src/iommu/checkDesign';
import { loadDesigns } from '../src/iommu/designRegistry';
import { loadInvariants } from '../src/iommu/invariantRegistry';

it('refuses workers before the registries are loaded, and runs once they are', async () => {
  expect(() => checkDesign(v7, 2, [noMixed], { workers: 2 })).toThrow(/load those first \(loadDesigns\(\) and loadInvariants\(\)/);
  expect(() => checkDesign(v7, 2, [], { workers: 2 })).toThrow(/load those first/);
  // To check no invariant (the bench's enumeration-only runs), the designs' registry is enough;
  // an invariant still needs its own.
  await loadDesigns();
  const bare = checkDesign(v7, 2, [], { workers: 2 }).result;
  expect(bare.workers).toBe(2);
  expect(bare.states).toBe(checkDesign(v7, 2, []).result.states);
  expect(() => checkDesign(v7, 2, [noMixed], { workers: 2 })).toThrow(/load those first/);
  // checkDesignAsync loads them itself; the objects imported above are the registered ones.
  const two = await checkDesignAsync(v7, 2, [noMixed], { workers: 2 });
  expect(two.result.workers).toBe(2);
  expect(two.result.states).toBe(checkDesign(v7, 2, [noMixed]).result.states);
  expect(checkDesign(v7, 2, [noMixed], { workers: 2 }).result.workers).toBe(2);
  // Loaded twice is loaded once.
  await Promise.all([loadDesigns(), loadInvariants()]);
  expect(checkDesign(v7, 2, [noMixed], { workers: 2 }).verdicts).toEqual(two.verdicts);
});
