/**
 * Symmetry reduction is sound: every design gives the same verdicts with and without it, with
 * counterexamples of the same (shortest) length, at 2 to 5 devices. Where the unreduced space
 * fits the cap, every verdict is compared. Where it does not, the unreduced search runs to a
 * cap and what it decided is compared: each violation it found must be the reduced search's, as
 * short; each invariant it found no violation of within its complete levels must have none that
 * short in the reduced search either; holds and viability, which need the whole unreduced space,
 * are not compared there. Every design is compared whole at 2 devices at least, and v7 at every
 * bound (both asserted). Each reduced counterexample is checked on its own terms: it
 * replays, and its last step breaks the invariant (for viability: no clean-up path from the
 * last state leads to a successful claim, searched here on the unreduced model).
 */
import { describe, expect, it } from 'vitest';
import { Successors } from '../src/core/model';
import { checkDesign, type DesignCheck } from '../src/iommu/checkDesign';
import { loadDesigns } from '../src/iommu/designRegistry';
import type { Invariant } from '../src/iommu/invariant';
import { loadInvariants } from '../src/iommu/invariantRegistry';
import { buildIommuModel } from '../src/iommu/iommuModel';
import type { GroupContext } from '../src/model/context';
import type { GroupStateName } from '../src/model/vocabulary';

/** Unreduced states searched at most at a bound, to compare it whole. */
const CAP = 1_000_000;
/** v7's: its 5 devices (2,661,557 states) fit, and the test insists on comparing them whole. */
const V7_CAP = 3_000_000;
/** Unreduced states searched at a bound past the first one over the cap (its violations are a few calls deep). */
const PART_CAP = 400_000;

function summary(dc: DesignCheck) {
  return dc.verdicts.map((v) => [v.name, v.verdict, v.verdict === 'violated' ? v.counterexample.length : null]);
}

/** No sequence of `via` actions from the state `context` reaches a goal state (searched on the unreduced model). */
function stuck(dc: DesignCheck, inv: Invariant, state: GroupStateName, context: GroupContext): boolean {
  const model = buildIommuModel(dc.design, dc.devices, [inv]);
  const prop = model.properties.find((p) => p.name === inv.name)!;
  if (prop.kind !== 'recoverable') throw new Error('not recoverable');
  const row = new Uint32Array(model.words);
  model.layout.encode(state, context, row);
  const seen = new Set([row.join()]);
  const queue = [row];
  const out = new Successors(model.words);
  while (queue.length > 0) {
    const r = queue.pop()!;
    if (prop.goal(r)) return false;
    out.reset();
    model.referenceSuccessors(r, out);
    for (let k = 0; k < out.count; k++) {
      if (!prop.via(out.actions[k])) continue;
      const t = out.states.slice(k * model.words, (k + 1) * model.words);
      if (!seen.has(t.join())) { seen.add(t.join()); queue.push(t); }
    }
  }
  return true;
}

describe('symmetry reduction keeps every verdict', async () => {
  const designs = await loadDesigns();
  const invariants = await loadInvariants();
  for (const design of designs) {
    it(`${design.name} at 2..5 devices`, () => {
      const whole: number[] = [];
      const partly: number[] = [];
      for (let n = 2; n <= 5; n++) {
        const reduced = checkDesign(design, n, invariants, { symmetry: true });
        expect(reduced.result.complete).toBe(true);
        // Once a bound is over the cap, so is every larger one: a smaller part of it is searched.
        const plain = checkDesign(design, n, invariants, { maxStates: partly.length ? PART_CAP : design.name === 'v7' ? V7_CAP : CAP });
        if (plain.result.complete) {
          expect(summary(reduced)).toEqual(summary(plain));
          expect(reduced.result.states).toBeLessThanOrEqual(plain.result.states);
          whole.push(n);
        } else {
          // Breadth first, every level above the deepest stored one is whole and checked, so a
          // violation of a state invariant or of the WARN flag that short was found.
          const searched = plain.result.depth - 1;
          expect(searched).toBeGreaterThanOrEqual(5);
          const byReduced = summary(reduced);
          for (const [name, verdict, length] of summary(plain)) {
            const r = byReduced.find((x) => x[0] === name)!;
            const kind = invariants.find((i) => i.name === name)!.kind;
            if (verdict === 'violated') expect(r, `${design.name} at ${n}: ${name}`).toEqual([name, verdict, length]);
            else if (verdict === 'n/a') expect(r[1]).toBe('n/a');
            else if (kind !== 'recoverable' && r[1] === 'violated') expect(r[2]!, `${design.name} at ${n}: ${name} (none within ${searched} calls unreduced)`).toBeGreaterThan(searched);
          }
          partly.push(n);
        }
        for (const v of reduced.verdicts) {
          if (v.verdict !== 'violated') continue;
          const inv = invariants.find((i) => i.name === v.name)!;
          const last = v.trace[v.trace.length - 1];
          if (inv.kind === 'always') expect(inv.holds(last.context, { design, state: last.state })).toBe(false);
          else if (inv.kind === 'never-flag') expect(last.warn).toBe(true);
          else expect(stuck(reduced, inv, last.state, last.context)).toBe(true);
        }
      }
      expect(whole[0]).toBe(2);
      expect([...whole, ...partly]).toEqual([2, 3, 4, 5]);
      if (design.name === 'v7') expect(whole).toEqual([2, 3, 4, 5]);
    });
  }
});
