/**
 * Every usage scenario on every design in machines/ (whichever exist): the runner's result must
 * agree with an independent replay of the scenario's calls, n/a must be exactly the designs that
 * lack a call, and extra devices outside the group must not change a result. Then the results
 * the thread leads us to expect, design by design, each with its reason.
 */
import { describe, expect, it } from 'vitest';
import type { Design } from '../src/iommu/design';
import { loadDesigns } from '../src/iommu/designRegistry';
import { InputError } from '../src/iommu/events';
import { replayEvents } from '../src/iommu/replay';
import { runScenario, type Scenario, type ScenarioResult, type ScenarioStep } from '../src/iommu/scenario';
import { loadScenarios } from '../src/iommu/scenarioRegistry';
import type { GroupContext } from '../src/model/context';

const DEVICES = 3;

/** The test's own reading of a step's `after`, kept apart from the runner's. */
function afterHolds(c: GroupContext, s: ScenarioStep): boolean {
  const ok = (v: unknown, m: unknown) => {
    if (typeof m === 'object' && m !== null && 'not' in m) return v !== (m as { not: unknown }).not;
    if (typeof m === 'object' && m !== null && 'oneOf' in m) return (m as { oneOf: unknown[] }).oneOf.includes(v);
    return v === m;
  };
  const g = Object.entries(s.after?.group ?? {}).every(([k, m]) => ok(c[k], m));
  const d = Object.entries(s.after?.devices ?? {}).every(([i, f]) => Object.entries(f).every(([k, m]) => ok(c.devices[Number(i)][k], m)));
  return g && d;
}

/** Checks `r` against a replay of the scenario's calls on `design`; returns what disagrees. */
function disagreement(design: Design, s: Scenario, r: ScenarioResult): string | null {
  const supported = s.variants.find((v) => v.steps.every((st) => design.events.includes(st.event.type)));
  if (!supported) {
    if (r.verdict !== 'n/a') return `expected n/a (missing calls), got ${r.verdict}`;
    const missing = [...new Set(s.variants.flatMap((v) => v.steps.map((st) => st.event.type)).filter((t) => !design.events.includes(t)))];
    return missing.every((m) => r.reason.includes(m)) ? null : `n/a reason '${r.reason}' does not name every missing call (${missing.join(', ')})`;
  }
  if (r.verdict === 'n/a') return `n/a although variant ${supported.name} has every call: ${r.reason}`;
  if (r.variant !== supported.name) return `ran variant ${r.variant}, expected ${supported.name}`;
  const steps = supported.steps;
  const stepOk = (i: number, t: { ret: number; warn: boolean; context: GroupContext }) => steps[i].ret.includes(t.ret) && !t.warn && afterHolds(t.context, steps[i]);
  const upTo = r.verdict === 'passes' ? steps.length : r.failure.step;
  const trace = replayEvents(design, DEVICES, steps.slice(0, upTo).map((st) => st.event));
  const bad = trace.findIndex((t, i) => !stepOk(i, t));
  if (bad >= 0) return `step ${bad} does not go as expected on replay, but the runner ${r.verdict === 'passes' ? 'passed the scenario' : `reported step ${upTo}`}`;
  if (r.verdict === 'passes') return null;
  const f = r.failure;
  if (f.ret === null) {
    try {
      replayEvents(design, DEVICES, steps.slice(0, upTo + 1).map((st) => st.event));
      return `step ${upTo} was reported impossible but replays`;
    } catch (e) {
      return e instanceof InputError ? null : String(e);
    }
  }
  const last = replayEvents(design, DEVICES, steps.slice(0, upTo + 1).map((st) => st.event))[upTo];
  if (last.ret !== f.ret || last.warn !== f.warn) return `step ${upTo} replays with ret ${last.ret} warn ${last.warn}, the runner says ${f.ret} ${f.warn}`;
  return stepOk(upTo, last) ? `step ${upTo} goes as expected on replay but the runner failed it` : null;
}

/** `name -> 'passes' | 'fails at N' | 'n/a'` for one design. */
async function summary(name: string): Promise<Record<string, string> | null> {
  const d = (await loadDesigns()).find((x) => x.name === name);
  if (!d) return null;
  return Object.fromEntries(loadScenarios().map((s) => {
    const r = runScenario(d, DEVICES, s);
    return [s.name, r.verdict === 'fails' ? `fails at ${r.failure.step}` : r.verdict];
  }));
}

describe('every scenario on every design', () => {
  it('agrees with a replay of its calls, and n/a only where a call is missing', async () => {
    const designs = await loadDesigns();
    const problems: string[] = [];
    for (const d of designs) {
      for (const s of loadScenarios()) {
        const r = runScenario(d, DEVICES, s);
        const p = disagreement(d, s, r);
        if (p) problems.push(`${d.name} / ${s.name}: ${p}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('does not depend on devices that never join the group (2 devices vs 3)', async () => {
    const problems: string[] = [];
    for (const d of await loadDesigns()) {
      for (const s of loadScenarios()) {
        const a = runScenario(d, 2, s);
        const b = runScenario(d, 3, s);
        const key = (r: ScenarioResult) => (r.verdict === 'fails' ? `fails ${r.failure.step} ${r.failure.ret} ${r.failure.warn}` : r.verdict);
        if (key(a) !== key(b)) problems.push(`${d.name} / ${s.name}: ${key(a)} at 2 devices, ${key(b)} at 3`);
      }
    }
    expect(problems).toEqual([]);
  });
});

describe('results per design', () => {
  it('v7', async () => {
    expect(await summary('v7')).toEqual({
      // VFIO's full cycle works on v7: claim detaches the default domain, release re-attaches it.
      'vfio-takeover': 'passes',
      'vfio-take-turns': 'passes',
      // v7's probe hunk attaches no default domain to a device joining a claimed group.
      'vfio-hotplug-isolated': 'passes',
      // One-device groups may use iommu_attach_device(); several DMA-API drivers share owner_cnt.
      'kernel-private-domain': 'passes',
      'two-dma-api-drivers': 'passes',
      // v7 has no attach_device_shared, and 426a273834ea limits iommu_attach_device() to
      // one-device groups: step 4 gets -EINVAL (why v4 proposed the _shared calls).
      'shared-private-domain': 'fails at 4',
      // Eric Auger's report: use() counted nothing before the device joined; unuse() WARNs.
      'late-join-unbind': 'fails at 2',
    });
  });
});
