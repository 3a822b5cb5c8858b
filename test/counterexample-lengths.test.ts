/**
 * Every verdict and every shortest-counterexample length the checker reports, derived a second
 * way, for every design and invariant at 1 to 3 devices (2 for lu-owner-param, whose 3-device
 * space, 750,953 states, is over the cap: the plain search would take about 40 s and 2 GB on
 * it). The second way shares nothing with the checker's packed rows, state
 * store, memo or search: a plain breadth-first search over plain-object contexts deduplicated by
 * their JSON text (test/designs/plainBfs's `plainGraph`), which records each state's depth and
 * the graph, and then reads the shortest counterexample off it:
 * - an `always` invariant: the least depth of a state that breaks it;
 * - `never-flag` (WARN_ON): one more than the least depth of a state with a transition that warns;
 * - `recoverable`: the least depth of a state from which no path of the invariant's `via` calls
 *   reaches a goal state (the goal states, then every state with a `via` edge into a known one,
 *   found backwards).
 * No length is written down here: the tests that pin a counterexample's calls (the design tests,
 * v7-check, matchers) pin what this derives. Each counterexample must also replay, and its last
 * state (or its last call, for WARN_ON) must break the invariant.
 */
import { describe, expect, it } from 'vitest';
import { callersOf } from '../src/iommu/callers';
import { checkDesign } from '../src/iommu/checkDesign';
import type { Design } from '../src/iommu/design';
import { loadDesigns } from '../src/iommu/designRegistry';
import type { Invariant } from '../src/iommu/invariant';
import { plainProbe } from '../src/explore/stateInvariants';
import { loadInvariants } from '../src/iommu/invariantRegistry';
import { replayEvents } from '../src/iommu/replay';
import { plainGraph, plainKey, type PlainGraph } from './designs/plainBfs';

/**
 * Plain states explored per design and bound at most (a larger bound is left out; 1 and 2 devices
 * must fit). vfio-per-device at 3 devices (187,689 states), the largest under it, takes about
 * 10 s. Which bounds are over it is read off the checker's own count, so that the plain search
 * does not run up to the cap for nothing; where both run, their counts must agree.
 */
const CAP = 200_000;

/** Per state: whether it breaks `inv` (for a recoverable invariant: whether it is stuck). */
function breaking(design: Design, devices: number, g: PlainGraph, inv: Invariant): boolean[] {
  if (inv.kind === 'always') return g.states.map((s) => !inv.holds(s.context, { design, state: s.state }));
  if (inv.kind === 'never-flag') return g.warns;
  const actions = callersOf(design, devices);
  const good = g.states.map((s) => inv.goal(plainProbe(design, s.state, s.context)));
  // Backwards: a state with a `via` edge into a good state is good, until nothing changes.
  const into: number[][] = g.states.map(() => []);
  g.edges.forEach((out, from) => { for (const [a, t] of out) if (inv.via(actions[a])) into[t].push(from); });
  const work = good.flatMap((ok, i) => (ok ? [i] : []));
  while (work.length > 0) {
    for (const f of into[work.pop()!]) if (!good[f]) { good[f] = true; work.push(f); }
  }
  return good.map((ok) => !ok);
}

describe('counterexample lengths, derived from a plain search of the whole graph', async () => {
  const designs = await loadDesigns();
  const invariants = await loadInvariants();
  for (const design of designs) {
    it(design.name, () => {
      const compared: string[] = [];
      const bounds: number[] = [];
      for (let n = 1; n <= 3; n++) {
        const dc = checkDesign(design, n, invariants);
        if (dc.result.states > CAP) continue;
        const g = plainGraph(design, n, CAP);
        expect(g, `${design.name} at ${n}: the plain search stopped at the cap where the checker counts fewer states`).not.toBeNull();
        if (!g) continue;
        bounds.push(n);
        expect(dc.result.states, `${design.name} at ${n}: states`).toBe(g.states.length);
        for (const inv of invariants) {
          const v = dc.verdicts.find((x) => x.name === inv.name)!;
          const na = design.notApplicable?.[inv.name] ?? inv.notApplicable?.(design);
          if (na) { expect(v.verdict).toBe('n/a'); continue; }
          const bad = breaking(design, n, g, inv);
          let least = Infinity;
          bad.forEach((b, i) => { if (b) least = Math.min(least, g.states[i].depth + (inv.kind === 'never-flag' ? 1 : 0)); });
          const what = `${design.name} at ${n} devices, ${inv.name}`;
          if (least === Infinity) {
            expect(v.verdict, what).toBe('holds');
            continue;
          }
          expect(v.verdict, what).toBe('violated');
          if (v.verdict !== 'violated') continue;
          expect(v.counterexample.length, what).toBe(least);
          // The counterexample itself breaks the invariant where it ends.
          const trace = replayEvents(design, n, v.counterexample);
          expect(trace, what).toHaveLength(least);
          const last = trace[trace.length - 1];
          if (inv.kind === 'never-flag') expect(last.warn, what).toBe(true);
          else expect(bad[g.index.get(plainKey(last))!], what).toBe(true);
          compared.push(`${n}:${inv.name}=${least}`);
        }
      }
      // Every design breaks some invariant at some bound compared here (so lengths were compared).
      expect(compared.length, `${design.name}: nothing compared`).toBeGreaterThan(0);
      expect(bounds.slice(0, 2), `${design.name}: bounds compared`).toEqual([1, 2]);
    });
  }
});
