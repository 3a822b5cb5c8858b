/**
 * The symmetry a search reduces by is checked at the search's own bound too, not only at 2 and
 * 3 devices: a design that singles out device 3 passes the small bounds (it has no device 3
 * there) and must not be reduced by device symmetry at 4 devices or more. The fixture is v7
 * with vfio-pci refusing to bind to device 3 (its bind then takes the kernel driver's path).
 */
import { describe, expect, it } from 'vitest';
import { design as v7 } from '../machines/v7';
import { check } from '../src/core/check';
import { checkDesign } from '../src/iommu/checkDesign';
import type { Design } from '../src/iommu/design';
import { loadInvariants } from '../src/iommu/invariantRegistry';
import { buildIommuModel } from '../src/iommu/iommuModel';
import { interchangeable } from '../src/symmetry/iommuSymmetry';
import { countOrbits, identity, reachable } from './bruteOrbits';

const quirk: Design = {
  ...v7,
  name: 'v7-dev3-quirk',
  machine: v7.machine.provide({
    guards: {
      'bind:driver_managed_dma': ({ event }: { event: { driver?: string; dev?: number } }) => event.driver === 'vfio' && event.dev !== 3,
    },
  }),
};

describe('symmetry at the search\'s own bound', async () => {
  const invariants = await loadInvariants();

  it('the fixture is symmetric at 2 and 3 devices, where there is no device 3', () => {
    const small = interchangeable(quirk, invariants);
    expect(small).toMatchObject({ devices: null, users: null, exhaustiveTo: 3 });
    expect(buildIommuModel(quirk, 3, invariants, { symmetry: true }).symmetryGenerators).toEqual({ devices: true, users: true });
  });

  it('at 4 and 8 devices it is not reduced by device symmetry, and the note says where it broke', () => {
    for (const n of [4, 8]) {
      const m = buildIommuModel(quirk, n, invariants, { symmetry: true });
      expect(m.symmetryGenerators, `${n} devices`).toEqual({ devices: false, users: true });
      expect(m.symmetryNote).toMatch(new RegExp(`^users \\(file1<->file2, dom1<->dom2\\); devices are not interchangeable \\(${n} devices, first 2,000 states: `));
    }
    // v7 itself is still reduced by both at those bounds.
    for (const n of [4, 8]) expect(buildIommuModel(v7, n, invariants, { symmetry: true }).symmetryGenerators).toEqual({ devices: true, users: true });
  });

  it('its reduced state count at 4 devices is its number of orbits under the user swap, counted by brute force', () => {
    const model = buildIommuModel(quirk, 4, invariants, { symmetry: true });
    const rows = reachable(model, 1_000_000);
    expect(rows).not.toBeNull();
    const orbits = countOrbits(model, rows!, identity(4), true);
    expect(orbits).toBeLessThan(rows!.length);
    expect(check(model, { symmetry: true, properties: [] }).states).toBe(orbits);
    // Reduced by device symmetry too, as the 2- and 3-device check alone allowed, it would merge
    // states that no renaming of the users makes equal.
    const forced = buildIommuModel(quirk, 4, invariants, { symmetry: true, symmetryVerified: { devices: true, users: true } });
    expect(check(forced, { symmetry: true, properties: [] }).states).toBeLessThan(orbits);
  });

  it('so its reduced search keeps the unreduced verdicts and counterexample lengths at 4 devices', () => {
    const verdicts = (symmetry: boolean) => checkDesign(quirk, 4, invariants, { symmetry }).verdicts
      .map((v) => [v.name, v.verdict, v.verdict === 'violated' ? v.counterexample.length : null]);
    expect(verdicts(true)).toEqual(verdicts(false));
  });
});
