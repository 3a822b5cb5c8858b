/**
 * `stopWhenDecided`: a search that ends at the first BFS level by which every property checked
 * is decided gives the whole search's verdicts and counterexamples, stops where the level count
 * says, and stops at the same place on one thread or two.
 */
import { describe, expect, it } from 'vitest';
import { checkDesign } from '../src/iommu/checkDesign';
import { statesWithin } from '../src/diagram/reachableGraph';
import { loadDesigns } from '../src/iommu/designRegistry';
import { loadInvariants } from '../src/iommu/invariantRegistry';
import { DECIDED_REASON } from '../src/core/searchLoop';
import type { Invariant } from '../src/iommu/invariant';
import { checkForDiagram } from '../src/diagram/checkForDiagram';
import { sequenceMermaid } from '../src/diagram/sequenceMermaid';
import { runCli } from './cliRun';
import { check, checkAsync } from '../src/core/check';
import type { PackedModel, Property, Successors } from '../src/core/model';
import { MIN_MAX_MEMORY } from '../src/core/memoryBudget';

/** A chain 0 -> 1 -> ... -> 9: state k is alone on BFS level k. */
function chain(properties: Property[]): PackedModel {
  return {
    words: 1, actionCount: 1, transitionFlags: [], properties,
    initialStates: () => Uint32Array.of(0),
    successors(s: Uint32Array, out: Successors) { if (s[0] < 9) out.states[out.push(0, 0)] = s[0] + 1; },
  };
}
const not = (k: number): Property => ({ kind: 'always', name: `not-${k}`, holds: (s) => s[0] !== k });

describe('stopWhenDecided on a chain of 10 states', () => {
  // Decided on level k: states 0..k are stored and evaluated, levels 0..k-1 expanded (k of them).
  const cases: [string, Property[], { states: number; expanded: number; complete: boolean }][] = [
    ['a counterexample on level 5', [not(5)], { states: 6, expanded: 5, complete: false }],
    ['the initial state breaks it: nothing is expanded', [not(0)], { states: 1, expanded: 0, complete: false }],
    ['the last decided on level 7', [not(2), not(7)], { states: 8, expanded: 7, complete: false }],
    ['an example on level 3', [{ kind: 'sometimes', name: 'reach-3', holds: (s) => s[0] === 3 }], { states: 4, expanded: 3, complete: false }],
    ['the last state breaks it: decided before it is expanded', [not(9)], { states: 10, expanded: 9, complete: false }],
    ['one holds', [not(5), not(42)], { states: 10, expanded: 10, complete: true }],
    ['no property', [], { states: 10, expanded: 10, complete: true }],
  ];
  for (const [what, properties, want] of cases) {
    it(what, () => {
      const r = check(chain(properties), { stopWhenDecided: true });
      expect({ states: r.states, expanded: r.expanded, complete: r.complete }).toEqual(want);
      expect(r.stopReason).toBe(want.complete ? undefined : DECIDED_REASON);
      expect(r.depth).toBe(want.states - 1);
    });
  }

  it('a time budget that stops it once everything is decided ends as decided; an undecided one as the budget', () => {
    // With a budget of 0 ms the loop does one batch (state 0) and stops: state 1 is stored.
    expect(check(chain([not(1)]), { stopWhenDecided: true, maxTimeMs: 0 }).stopReason).toBe(DECIDED_REASON);
    expect(check(chain([not(1)]), { maxTimeMs: 0 }).stopReason).toBe('--max-time 0ms reached');
    expect(check(chain([not(2)]), { stopWhenDecided: true, maxTimeMs: 0 }).stopReason).toBe('--max-time 0ms reached');
  });

  it('an interrupt stays an interrupt, even once everything is decided', async () => {
    // The first slice (0 ms: one batch, state 0) runs within the call; the abort comes before the
    // second. State 1, stored then, breaks not-1, and its level has not begun.
    const ac = new AbortController();
    const running = checkAsync(chain([not(1)]), { stopWhenDecided: true, signal: ac.signal, sliceMs: 0 });
    ac.abort('SIGINT');
    const r = await running;
    expect([r.stopReason, r.expanded, r.states, r.properties[0].verdict]).toEqual(['interrupted by SIGINT', 1, 2, 'violated']);
  });

  it('a memory budget that stops it once everything is decided ends as decided', () => {
    // State 0 has 400,000 successors, more than 1 MiB of arrays: the budget stops their adds.
    const fan = (violated: number): PackedModel => ({
      words: 1, actionCount: 400_000, transitionFlags: [], properties: [not(violated)],
      initialStates: () => Uint32Array.of(0),
      successors(s: Uint32Array, out: Successors) {
        if (s[0] !== 0) return;
        // `push` may replace `out.states`: read it after.
        for (let a = 0; a < 400_000; a++) { const o = out.push(a, 0); out.states[o] = a + 1; }
      },
    });
    const decided = check(fan(1), { stopWhenDecided: true, maxMemory: MIN_MAX_MEMORY });
    expect(decided.stopReason).toBe(DECIDED_REASON);
    expect(decided.states).toBeLessThan(400_001);
    expect(check(fan(1), { maxMemory: MIN_MAX_MEMORY }).stopReason).toMatch(/^--max-memory/);
    expect(check(fan(399_999), { stopWhenDecided: true, maxMemory: MIN_MAX_MEMORY }).stopReason).toMatch(/^--max-memory/);
  });
});

describe('stopWhenDecided', async () => {
  const v7 = (await loadDesigns()).find((d) => d.name === 'v7')!;
  const all = await loadInvariants();
  const pick = (...names: string[]) => all.filter((i) => names.includes(i.name));
  // States within d calls, from the diagram's plain graph search rather than the checker.
  const within = (devices: number, d: number) => statesWithin(v7, devices, d, 1_000_000)!;
  const summary = (dc: ReturnType<typeof checkDesign>) => dc.verdicts.map((v) => ({
    name: v.name, verdict: v.verdict, states: 'states' in v ? v.states : null, counterexample: v.verdict === 'violated' ? v.counterexample : null,
  }));

  const violatedOnly: Invariant[][] = [pick('no-mixed-dma'), pick('no-warn'), pick('no-mixed-dma', 'no-warn', 'owner-domain')];
  for (const invariants of violatedOnly) {
    const names = invariants.map((i) => i.name).join(', ');
    it(`${names}: the whole search's counterexamples, stopped once the level that decides the last one is stored, on 1 or 2 threads`, () => {
      const full = checkDesign(v7, 3, invariants);
      expect(full.verdicts.every((v) => v.verdict === 'violated')).toBe(true);
      // The level by whose start everything is known: a state counterexample of L calls is a state
      // of level L; a WARN call's (no-warn) is found expanding level L - 1, before level L starts.
      const level = Math.max(...full.verdicts.map((v) => (v.verdict === 'violated' ? v.counterexample.length : NaN)));
      for (const workers of [1, 2]) {
        const r = checkDesign(v7, 3, invariants, { stopWhenDecided: true, workers });
        expect(summary(r), `${workers} thread(s)`).toEqual(summary(full));
        expect(r.result.complete).toBe(false);
        expect(r.result.stopReason).toBe(DECIDED_REASON);
        // Every state of that level is stored (and evaluated), none of it expanded.
        expect(r.result.states).toBe(within(3, level));
        expect(r.result.depth).toBe(level);
        expect(r.result.expanded).toBe(within(3, level - 1));
      }
    });
  }

  it('a states budget reached once everything is decided, before the level ends: decided, on 1 or 2 threads', () => {
    const invariants = pick('no-mixed-dma', 'no-warn');
    const decided = checkDesign(v7, 4, invariants, { stopWhenDecided: true }).result;
    // Each verdict's `states` is the count stored when it was reached: past the largest, all are.
    const last = Math.max(...decided.properties.map((p) => p.states));
    expect(last).toBeLessThan(decided.states);
    const at = [1, 2].map((workers) => checkDesign(v7, 4, invariants, { stopWhenDecided: true, maxStates: last, workers }).result);
    for (const r of at) expect(r.stopReason).toBe(DECIDED_REASON);
    expect(at[0].states).toBeLessThan(decided.states);
    expect([at[1].states, at[1].expanded, at[1].depth]).toEqual([at[0].states, at[0].expanded, at[0].depth]);
    // Without the flag the same budget is a budget stop, and so is a budget stop before it is decided.
    expect(checkDesign(v7, 4, invariants, { maxStates: last }).result.stopReason).toBe(`--max-states ${last} reached`);
    expect(checkDesign(v7, 4, invariants, { stopWhenDecided: true, maxStates: 100 }).result.stopReason).toBe('--max-states 100 reached');
  });

  it('the CLI: --stop-when-decided ends check once decided, with exit 1 for the violation and the verdicts final', () => {
    const r = runCli(['check', '--devices', '4', '--invariant', 'no-mixed-dma', '--stop-when-decided']);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/\nstopped once every invariant checked was decided \(--stop-when-decided\): the verdicts below are final\n/);
    expect(r.out).not.toMatch(/INCOMPLETE/);
    const full = runCli(['check', '--devices', '4', '--invariant', 'no-mixed-dma']);
    const replay = (out: string) => out.split('\n').filter((l) => l.trim().startsWith('replay:'));
    expect(replay(r.out)).toEqual(replay(full.out));
    expect(replay(r.out)).toHaveLength(1);
  });

  it('a property that holds keeps the search going to its end', () => {
    const invariants = pick('no-mixed-dma', 'type-ok');
    const full = checkDesign(v7, 3, invariants);
    const r = checkDesign(v7, 3, invariants, { stopWhenDecided: true });
    expect(r.result.complete).toBe(true);
    expect(r.result.states).toBe(full.result.states);
    expect(summary(r)).toEqual(summary(full));
  });

  it('viability is decided by its first stuck state: the search stops at the next level, on 1 or 2 threads', () => {
    const invariants = pick('no-mixed-dma', 'viability');
    const full = checkDesign(v7, 3, invariants);
    expect(full.verdicts.every((v) => v.verdict === 'violated')).toBe(true);
    const calls = (name: string) => { const v = full.verdicts.find((x) => x.name === name)!; return v.verdict === 'violated' ? v.counterexample.length : NaN; };
    // no-mixed-dma is decided where the level of its counterexample's last state begins; viability
    // once its stuck state (on the level of its counterexample's length) is expanded, that is
    // where the next level begins.
    const level = Math.max(calls('no-mixed-dma'), calls('viability') + 1);
    for (const workers of [1, 2]) {
      const r = checkDesign(v7, 3, invariants, { stopWhenDecided: true, workers });
      // Its verdicts, the states at which each was decided and its counterexamples: the whole search's.
      expect(summary(r), `${workers} thread(s)`).toEqual(summary(full));
      expect(r.result.stopReason).toBe(DECIDED_REASON);
      // That level is stored whole, none of it expanded: every state within `level` calls of the
      // start, by the plain graph search.
      expect(r.result.states, `${workers} thread(s)`).toBe(within(3, level));
      expect(r.result.expanded, `${workers} thread(s)`).toBe(within(3, level - 1));
    }
  });

  it('with symmetry: the reduced search\'s counterexamples, on 1 or 2 threads', () => {
    const invariants = pick('no-mixed-dma', 'refcount-balance');
    const full = checkDesign(v7, 4, invariants, { symmetry: true });
    const one = checkDesign(v7, 4, invariants, { symmetry: true, stopWhenDecided: true });
    const two = checkDesign(v7, 4, invariants, { symmetry: true, stopWhenDecided: true, workers: 2 });
    expect(summary(one)).toEqual(summary(full));
    expect(summary(two)).toEqual(summary(full));
    expect(one.result.stopReason).toBe(DECIDED_REASON);
    expect(one.result.states).toBeLessThan(full.result.states);
    expect([two.result.states, two.result.expanded, two.result.depth]).toEqual([one.result.states, one.result.expanded, one.result.depth]);
  });

  it('diagrams: a check given its first states says so in one line when it has not decided by then', () => {
    expect(() => checkForDiagram(v7, 8, pick('type-ok'), { firstStates: 1000 }))
      .toThrow(/^no type-ok counterexample in the first 1,000 states of v7 at 8 devices \(\d+ calls deep\), and the whole bound is estimated too large to search: pass a smaller --devices$/);
    expect(checkForDiagram(v7, 8, pick('no-mixed-dma'), { firstStates: 1_000_000 }).result.stopReason).toBe(DECIDED_REASON);
  });

  it('diagrams: checking one invariant stops at its counterexample, and draws the whole search\'s', async () => {
    let drawn = 0;
    for (const design of await loadDesigns()) {
      const full = checkDesign(design, 3, all);
      for (const v of full.verdicts) {
        if (v.verdict !== 'violated' || v.name === 'viability') continue;
        const one = checkForDiagram(design, 3, pick(v.name));
        const w = one.verdicts[0];
        expect(one.result.stopReason, `${design.name} ${v.name}`).toBe(DECIDED_REASON);
        expect(w.verdict).toBe('violated');
        if (w.verdict === 'violated') expect(sequenceMermaid(design, 3, w)).toBe(sequenceMermaid(design, 3, v));
        drawn++;
      }
    }
    expect(drawn).toBeGreaterThan(20);
  });
});
