/**
 * An invariant's split (StateInvariant.split) is the same predicate as its `holds`: on every
 * reachable state of every design (found by the independent plain-object search of the design
 * tests), `group && every device` equals `holds`. The checker relies on this when it memoizes a
 * split invariant by parts.
 */
import { describe, expect, it } from 'vitest';
import { loadDesigns } from '../src/iommu/designRegistry';
import { loadInvariants } from '../src/iommu/invariantRegistry';
import type { StateInvariant } from '../src/iommu/invariant';
import { plainReachable } from './designs/plainBfs';

describe('invariant splits equal holds on every reachable state', async () => {
  const designs = await loadDesigns();
  const split = (await loadInvariants()).filter((i): i is StateInvariant & Required<Pick<StateInvariant, 'split'>> => i.kind === 'always' && i.split !== undefined);

  it('type-ok is split (the one that reads every device on every state)', () => {
    expect(split.map((i) => i.name)).toContain('type-ok');
  });

  for (const design of designs) {
    it(`${design.name} at 2 devices`, () => {
      let compared = 0;
      let failing = 0;
      const wrong: string[] = [];
      for (const s of plainReachable(design, 2)) {
        const info = { design, state: s.state };
        for (const inv of split) {
          const whole = inv.holds(s.context, info);
          const parts = inv.split.group(s.context, info) && s.context.devices.every((d) => inv.split.device(d, design));
          if (whole !== parts) wrong.push(`${inv.name}: ${JSON.stringify(s)}`);
          if (!whole) failing++;
          compared++;
        }
      }
      expect(wrong.slice(0, 3)).toEqual([]);
      expect(compared).toBeGreaterThan(10);
      // Reachable states are well formed, so this compares mostly holding states; the
      // malformed cases are covered by the next test.
      expect(failing).toBe(0);
    });
  }

  it('on malformed states too: each device field broken in turn, in every design', () => {
    const typeOk = split.find((i) => i.name === 'type-ok')!;
    let broken = 0;
    for (const design of designs) {
      const [s] = plainReachable(design, 2).slice(-1);
      const variants = [
        { in_group: false, domain: 'default' },
        { counted: true, driver: 'none' },
        { priv: true, driver: 'vfio' },
        { driver: 'tegra' },
      ];
      for (const v of variants) {
        const c = structuredClone(s.context);
        Object.assign(c.devices[1], v);
        const info = { design, state: s.state };
        const whole = typeOk.holds(c, info);
        const parts = typeOk.split.group(c, info) && c.devices.every((d) => typeOk.split.device(d, design));
        expect(parts).toBe(whole);
        if (!whole) broken++;
      }
      // A finite state that does not match the context.
      const other = s.state === 'unowned' ? 'user-owned' : 'unowned';
      const info = { design, state: other as typeof s.state };
      expect(typeOk.split.group(s.context, info) && s.context.devices.every((d) => typeOk.split.device(d, design))).toBe(typeOk.holds(s.context, info));
    }
    expect(broken).toBeGreaterThan(designs.length * 2);
  });
});
