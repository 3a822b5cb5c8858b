/**
 * The reduced search stores exactly one state per orbit. Orbits are counted here by brute force,
 * independently of the packed canonicalization: every reachable state is enumerated without
 * reduction (plain BFS with a JS Set), decoded to a context, and keyed by the smallest JSON text
 * among all its images (every order of the devices, with and without the user swap
 * file1/dom1 <-> file2/dom2 when the design's users are interchangeable).
 */
import { describe, expect, it } from 'vitest';
import { check } from '../src/core/check';
import { loadDesigns } from '../src/iommu/designRegistry';
import { loadInvariants } from '../src/iommu/invariantRegistry';
import { buildIommuModel } from '../src/iommu/iommuModel';
import { countOrbits, identity, permutations, reachable } from './bruteOrbits';

/** Largest unreduced state space enumerated here. */
const MAX = 60_000;

describe('reduced state counts equal orbit counts by brute force', async () => {
  const designs = await loadDesigns();
  const invariants = await loadInvariants();
  for (const design of designs) {
    it(`${design.name} at 2 and 3 devices`, () => {
      let counted = 0;
      for (let n = 2; n <= 3; n++) {
        // Both generators, unverified: this test counts orbits of the group; whether the design
        // really has that symmetry is test/symmetry-soundness's business.
        const model = buildIommuModel(design, n, invariants, { symmetry: true, symmetryVerified: { devices: true, users: true } });
        const rows = reachable(model, MAX);
        if (!rows) continue;
        const g = model.symmetryGenerators!;
        const orbits = countOrbits(model, rows, g.devices ? permutations(n) : identity(n), g.users);
        const reduced = check(model, { symmetry: model.symmetry !== undefined, properties: [] });
        expect(reduced.states).toBe(orbits);
        if (n > 1 && g.devices) expect(orbits).toBeLessThan(rows.length);
        counted++;
      }
      expect(counted).toBeGreaterThanOrEqual(1);
    });
  }
});
