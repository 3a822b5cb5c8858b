/**
 * Every usage scenario on every design in machines/ (whichever exist): the runner's result must
 * agree with an independent replay of the scenario's calls, n/a must be exactly the designs that
 * lack a call, and extra devices outside the group must not change a result. Then the results
 * the thread leads us to expect, design by design, each with its reason.
 */
import { describe, expect, it } from 'vitest';
import type { Design } from '../src/iommu/design';
import { loadDesigns } from '../src/iommu/designRegistry';
import { InputError, type IommuEvent } from '../src/iommu/events';
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
  const drivers: readonly string[] = design.drivers ?? ['kernel', 'vfio'];
  const lacks = (st: ScenarioStep) => {
    if (!design.events.includes(st.event.type)) return st.event.type;
    if (st.event.type === 'bind_driver' && !drivers.includes(st.event.driver)) return `driver ${st.event.driver}`;
    // A kernel driver's own domain through the group calls needs the kernel's iommu_attach_group().
    const groupCall = st.event.type === 'attach_group' || st.event.type === 'detach_group';
    return groupCall && 'domain' in st.event && st.event.domain === 'priv' && !design.kernelAttachGroup ? `kernel ${st.event.type}` : null;
  };
  const supported = s.variants.find((v) => v.steps.every((st) => lacks(st) === null));
  if (!supported) {
    if (r.verdict !== 'n/a') return `expected n/a (missing calls), got ${r.verdict}`;
    const missing = [...new Set(s.variants.flatMap((v) => v.steps.map(lacks)).filter((t): t is string => t !== null))];
    return missing.every((m) => r.reason.includes(m)) ? null : `n/a reason '${r.reason}' does not name every missing call (${missing.join(', ')})`;
  }
  if (r.verdict === 'n/a') return `n/a although variant ${supported.name} has every call: ${r.reason}`;
  if (r.variant !== supported.name) return `ran variant ${r.variant}, expected ${supported.name}`;
  // Replay the steps in order; an optional step the driver core refuses is left out.
  const played: IommuEvent[] = [];
  const skipped: number[] = [];
  let bad: { step: number; ret: number | null; warn: boolean } | null = null;
  for (const [i, st] of supported.steps.entries()) {
    let trace;
    try {
      trace = replayEvents(design, DEVICES, [...played, st.event]);
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      if (st.optional) { skipped.push(i); continue; }
      bad = { step: i, ret: null, warn: false };
      break;
    }
    played.push(st.event);
    const t = trace[trace.length - 1];
    if (!st.ret.includes(t.ret) || t.warn || !afterHolds(t.context, st)) {
      bad = { step: i, ret: t.ret, warn: t.warn };
      break;
    }
  }
  if (JSON.stringify(r.skipped) !== JSON.stringify(skipped)) return `runner skipped steps ${r.skipped}, replay skipped ${skipped}`;
  if (r.verdict === 'passes') return bad ? `passed, but step ${bad.step} does not go as expected on replay` : null;
  if (!bad) return `failed at step ${r.failure.step}, but every step goes as expected on replay`;
  const f = r.failure;
  return f.step === bad.step && f.ret === bad.ret && f.warn === bad.warn ? null : `runner: step ${f.step} ret ${f.ret} warn ${f.warn}; replay: step ${bad.step} ret ${bad.ret} warn ${bad.warn}`;
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

/** The scenarios that pass on every design whose VFIO and DMA-API paths work (v7's result). */
const ORDINARY = {
  'kernel-private-domain': 'passes',
  'two-dma-api-drivers': 'passes',
  'vfio-takeover': 'passes',
  'vfio-take-turns': 'passes',
};

describe('results per design (what the thread and upstream lead us to expect)', () => {
  it('v7', async () => {
    expect(await summary('v7')).toEqual({
      // VFIO's full cycle works on v7: claim detaches the default domain, release re-attaches it;
      // one-device groups may use iommu_attach_device(); DMA-API drivers share owner_cnt.
      ...ORDINARY,
      // v7's probe hunk attaches no default domain to a device joining a claimed group.
      'vfio-hotplug-isolated': 'passes',
      // v7 has no attach_device_shared, and 426a273834ea limits iommu_attach_device() to
      // one-device groups (why v4 proposed the _shared calls); but its iommu_attach_group() takes
      // a kernel driver's domain on an unowned group, which is how upstream Tegra shares one.
      'shared-private-domain': 'passes',
      // Eric Auger's report: use() counted nothing before the device joined; unuse() WARNs.
      'late-join-unbind': 'fails at 2',
    });
  });

  it('v8 and iommufd: the probe-ordering fix; still no multi-device iommu_attach_device()', async () => {
    for (const name of ['v8', 'iommufd']) {
      expect(await summary(name), name).toEqual({
        ...ORDINARY,
        'vfio-hotplug-isolated': 'passes',
        // use() runs after the device is in its group, so the late probe never happens (the
        // optional step is skipped) and nothing WARNs.
        'late-join-unbind': 'passes',
        // "iommu_attach_device still requires a one-device group" (upstream notes): v8 shares a
        // domain through iommu_attach_group() as upstream Tegra does; iommufd's attach_group is
        // its users' hw_pagetable path, so only the device call is played there.
        'shared-private-domain': name === 'v8' ? 'passes' : 'fails at 4',
      });
    }
  });

  it('jgg-draft and jgg-fixed: owner_cnt = 1 vs ++, and an unchanged iommu_probe_device', async () => {
    const common = {
      'kernel-private-domain': 'passes',
      'vfio-take-turns': 'passes',
      // The sketch leaves iommu_probe_device() alone: a hot-plugged device gets the default
      // domain while VFIO owns the group (v7 added the "don't attach" hunk later).
      'vfio-hotplug-isolated': 'fails at 4',
      'late-join-unbind': 'fails at 2',
    };
    // As posted, use_dma_api sets owner_cnt = 1, and a second DMA-API driver in the group gets
    // -EBUSY at step 3 ("It is just a mistake", corrected on 24 Dec).
    expect(await summary('jgg-draft')).toEqual({ ...common, 'two-dma-api-drivers': 'fails at 3', 'vfio-takeover': 'fails at 3', 'shared-private-domain': 'fails at 3' });
    // Corrected (owner_cnt++): two drivers and VFIO's takeover work; no multi-device attach.
    expect(await summary('jgg-fixed')).toEqual({ ...common, 'two-dma-api-drivers': 'passes', 'vfio-takeover': 'passes', 'shared-private-domain': 'fails at 4' });
  });

  it('singleton: no ownership bookkeeping at all', async () => {
    expect(await summary('singleton')).toEqual({
      ...ORDINARY,
      // Nothing is counted, so nothing can underflow.
      'late-join-unbind': 'passes',
      // 426a273834ea: iommu_attach_device() on a two-device group is -EINVAL, but
      // iommu_attach_group() shares a kernel driver's domain (how Tegra did it then).
      'shared-private-domain': 'passes',
      // VFIO of that time WARNs when a device is added to a live group.
      'vfio-hotplug-isolated': 'fails at 4',
    });
  });

  it('attach-cnt and vfio-per-device: a refcounted iommu_attach_device() shares a domain', async () => {
    // Lu's attach_cnt lets several devices of a group attach the same domain through the plain
    // call: the Tegra-like driver shares one through iommu_attach_device().
    expect(await summary('attach-cnt')).toEqual({ ...ORDINARY, 'shared-private-domain': 'passes', 'vfio-hotplug-isolated': 'passes', 'late-join-unbind': 'fails at 2' });
    // VFIO attaching device by device cannot balance when a device joins in between (Jason, 23
    // Dec): the detach loop runs once too often and WARNs at step 5.
    expect(await summary('vfio-per-device')).toEqual({ ...ORDINARY, 'shared-private-domain': 'passes', 'vfio-hotplug-isolated': 'fails at 5', 'late-join-unbind': 'fails at 2' });
  });

  it('v1-enum, v4-shared, lu-owner-param', async () => {
    // v1 05/11: iommu_probe_device() attaches no default domain while the owner is USER.
    // Tegra of that time shares its domain through iommu_attach_group(), which v1 leaves alone.
    expect(await summary('v1-enum')).toEqual({ ...ORDINARY, 'vfio-hotplug-isolated': 'passes', 'shared-private-domain': 'passes', 'late-join-unbind': 'fails at 2' });
    // v4's Tegra driver suppresses the DMA-API claim and uses iommu_attach_device_shared()
    // (Tested-by on Tegra, 07/13).
    expect(await summary('v4-shared')).toEqual({ ...ORDINARY, 'shared-private-domain': 'passes', 'vfio-hotplug-isolated': 'passes', 'late-join-unbind': 'fails at 2' });
    // Lu: "For multiple-device group, like drm/tegra, the drivers should claim the
    // PRIVATE_DOMAIN ownership and call iommu_attach_device(domain, dev, PRIVATE_DOMAIN)". A
    // device joining a singleton group attached through the plain path makes the shared detach
    // WARN at VFIO's detach (docs/designs/lu-owner-param.md).
    expect(await summary('lu-owner-param')).toEqual({ ...ORDINARY, 'shared-private-domain': 'passes', 'vfio-hotplug-isolated': 'fails at 5', 'late-join-unbind': 'fails at 2' });
  });
});
