/**
 * The scenario runner and the scenario files: what passes on v7, and how a failing step, an
 * expected failure, a state expectation, a call the driver core cannot make and a missing call
 * are reported, on v7 and on a tiny hand-made design that refuses everything.
 */
import { readdirSync } from 'node:fs';
import { setup } from 'xstate';
import { describe, expect, it } from 'vitest';
import { design as v7 } from '../machines/v7';
import { classifierGuards, groupStates, standardClassify } from '../machines/shared/groupStates';
import { bindDriver, unbindDriver } from '../machines/shared/ghost';
import { standardInitialContext, standardSchema } from '../machines/shared/standard';
import { checkDesign } from '../src/iommu/checkDesign';
import type { Design } from '../src/iommu/design';
import { InputError, type IommuEvent } from '../src/iommu/events';
import { loadInvariants } from '../src/iommu/invariantRegistry';
import { failureText, runScenario, type Scenario } from '../src/iommu/scenario';
import { loadScenarios, parseScenario, SCENARIOS_DIR } from '../src/iommu/scenarioRegistry';
import { effect } from '../src/machine/effect';
import type { GroupContext } from '../src/model/context';
import { Errno } from '../src/model/vocabulary';

type C = GroupContext;
type E = IommuEvent;
const dev = (e: E) => (e as { dev: number }).dev;

/**
 * A design that keeps every safety invariant by refusing everything: devices join the group
 * and vfio-pci binds, but a kernel DMA-API driver's bind gets -EBUSY and every ownership or
 * attach call -EPERM. The reason scenarios exist.
 */
const refuseMachine = setup({
  types: {} as { context: C; events: E; input: { devices: number } },
  guards: {
    ...classifierGuards(standardClassify),
    vfio: ({ event }: { event: E }) => (event as { driver: string }).driver === 'vfio',
  },
  actions: {
    ret0: effect<C, E>((c) => { c.ret = 0; }),
    retEPERM: effect<C, E>((c) => { c.ret = Errno.EPERM; }),
    retEBUSY: effect<C, E>((c) => { c.ret = Errno.EBUSY; }),
    join: effect<C, E>((c, e) => { c.devices[dev(e)].in_group = true; c.devices[dev(e)].domain = c.domain; }),
    leave: effect<C, E>((c, e) => { c.devices[dev(e)].in_group = false; c.devices[dev(e)].domain = null; }),
    bindVfio: effect<C, E>((c, e) => bindDriver(c, dev(e), 'vfio', false)),
    unbind: effect<C, E>((c, e) => unbindDriver(c, dev(e))),
  },
}).createMachine({
  id: 'refuse-everything',
  context: ({ input }) => standardInitialContext(input.devices),
  initial: 'unowned',
  on: {
    probe_device: { actions: ['ret0', 'join'] },
    release_device: { actions: ['ret0', 'leave'] },
    bind_driver: [{ guard: 'vfio', actions: ['ret0', 'bindVfio'] }, { actions: ['retEBUSY'] }],
    unbind_driver: { actions: ['ret0', 'unbind'] },
    claim: { actions: ['retEPERM'] },
    release: { actions: ['retEPERM'] },
    attach_group: { actions: ['retEPERM'] },
    detach_group: { actions: ['retEPERM'] },
    attach_device_shared: { actions: ['retEPERM'] },
    detach_device_shared: { actions: ['retEPERM'] },
  },
  states: groupStates(),
});

const refuse: Design = {
  name: 'refuse-everything',
  title: 'test fixture: refuses every ownership and attach call',
  source: 'test/scenario.test.ts',
  machine: refuseMachine,
  schema: (n) => standardSchema(n),
  initialContext: (n) => standardInitialContext(n),
  classify: standardClassify,
  events: ['probe_device', 'release_device', 'bind_driver', 'unbind_driver', 'claim', 'release', 'attach_group', 'detach_group', 'attach_device_shared', 'detach_device_shared'],
  drivers: ['kernel', 'vfio', 'tegra'],
};

const byName = (name: string): Scenario => {
  const s = loadScenarios().find((x) => x.name === name);
  if (!s) throw new Error(`no scenario ${name}`);
  return s;
};

describe('scenario files', () => {
  it('one scenario per JSON file, named after the file, each with a summary and a source', () => {
    const files = readdirSync(SCENARIOS_DIR).filter((f) => f.endsWith('.json')).map((f) => f.replace(/\.json$/, '')).sort();
    const all = loadScenarios();
    expect(all.map((s) => s.name)).toEqual(files);
    for (const s of all) {
      expect(s.summary.length).toBeGreaterThan(20);
      expect(s.source.length).toBeGreaterThan(20);
    }
  });

  it('has the scenarios issue 3 asks for', () => {
    const names = loadScenarios().map((s) => s.name);
    for (const n of ['vfio-takeover', 'shared-private-domain', 'kernel-private-domain', 'two-dma-api-drivers', 'vfio-hotplug-isolated', 'vfio-take-turns']) expect(names).toContain(n);
  });

  it('refuses malformed files with InputError naming the file and step', () => {
    const ok = { summary: 'a summary', source: 'a source', steps: [{ type: 'probe_device', dev: 0 }] };
    expect(() => parseScenario(ok, 'x')).not.toThrow();
    const bad: [unknown, RegExp][] = [
      [{ ...ok, extra: 1 }, /scenarios\/x\.json: unknown field 'extra'/],
      [{ ...ok, variants: [] }, /either 'steps' or 'variants'/],
      [{ ...ok, steps: [{ type: 'claim', owner: 'file1', ret: '-EWHAT' }] }, /step 0: 'ret' must be/],
      [{ ...ok, steps: [{ type: 'claim', owner: 'file3' }] }, /step 0: claim\.owner/],
      [{ ...ok, steps: [{ type: 'probe_device', dev: 0, after: { group: { domain: { nor: 1 } } } }] }, /after\.group: domain/],
      [{ summary: 'a summary', steps: ok.steps }, /'source' must be/],
    ];
    for (const [raw, msg] of bad) expect(() => parseScenario(raw, 'x')).toThrow(msg);
    expect(() => parseScenario([], 'x')).toThrow(InputError);
  });
});

describe('runScenario on v7', () => {
  it('VFIO takes over a two-device group: every call returns 0, no WARN_ON', () => {
    const r = runScenario(v7, 2, byName('vfio-takeover'));
    expect(r.verdict).toBe('passes');
    if (r.verdict !== 'passes') return;
    expect(r.trace).toHaveLength(14);
    expect(r.trace.every((t) => t.ret === 0 && !t.warn)).toBe(true);
    expect(r.trace[9].context.domain).toBe('dom1');
  });

  it('an expected failure passes: file2 is refused with -EPERM while file1 holds the group', () => {
    const r = runScenario(v7, 2, byName('vfio-take-turns'));
    expect(r.verdict).toBe('passes');
    if (r.verdict === 'passes') expect(r.trace[3].ret).toBe(Errno.EPERM);
  });

  it("shares a kernel driver's domain through iommu_attach_group(), as upstream Tegra does", () => {
    const r = runScenario(v7, 2, byName('shared-private-domain'));
    expect(r.verdict === 'passes' && r.variant).toBe('kernel, attach_group');
  });

  it('reports the failing step and its return code (attach_device on a two-device group)', () => {
    // v7 without the kernel's iommu_attach_group() open to a kernel driver: neither the
    // Tegra-like driver nor a _shared call, so the device call is played, and 426a273834ea refuses it.
    const r = runScenario({ ...v7, kernelAttachGroup: false }, 2, byName('shared-private-domain'));
    expect(r.verdict).toBe('fails');
    if (r.verdict !== 'fails') return;
    expect(r.variant).toBe('kernel, attach_device');
    expect(r.failure.step).toBe(4);
    expect(r.failure.ret).toBe(Errno.EINVAL);
    expect(r.failure.expected).toEqual([0]);
    expect(failureText(r.failure)).toBe('step 4: attach_device(domain=priv, dev=0) returned -EINVAL, expected 0');
    expect(r.trace).toHaveLength(5);
  });

  it('a WARN_ON fails a step even when the call returns 0 (Eric Auger\'s late join)', () => {
    const r = runScenario(v7, 1, byName('late-join-unbind'));
    expect(r.verdict).toBe('fails');
    if (r.verdict !== 'fails') return;
    expect(r.failure).toMatchObject({ step: 2, ret: 0, warn: true });
    expect(r.failure.problem).toMatch(/WARN_ON/);
  });

  it('a call that succeeds where a failure was expected fails the step', () => {
    const s = parseScenario({
      summary: 'a kernel driver binds to a free device', source: 'test',
      steps: [{ type: 'probe_device', dev: 0 }, { type: 'bind_driver', dev: 0, driver: 'kernel', ret: ['-EBUSY', '-EPERM'] }],
    }, 'fixture');
    const r = runScenario(v7, 1, s);
    expect(r.verdict).toBe('fails');
    if (r.verdict === 'fails') expect(failureText(r.failure)).toBe('step 1: bind_driver(dev=0, driver=kernel) returned 0, expected -EBUSY or -EPERM');
  });

  it('a device a state expectation names counts as needed: n/a in a smaller group, not a crash', () => {
    const s = parseScenario({
      summary: 'device 2 stays out', source: 'test',
      steps: [{ type: 'probe_device', dev: 0, after: { devices: { 2: { in_group: false } } } }],
    }, 'fixture');
    expect(runScenario(v7, 2, s)).toMatchObject({ verdict: 'n/a', reason: 'needs 3 devices, the group has 2' });
    expect(runScenario(v7, 3, s).verdict).toBe('passes');
  });

  it('a state expectation that does not hold fails the step', () => {
    const s = parseScenario({
      summary: 'the group stays on the default domain after a claim', source: 'test',
      steps: [{ type: 'probe_device', dev: 0 }, { type: 'bind_driver', dev: 0, driver: 'vfio' }, { type: 'claim', owner: 'file1', after: { group: { domain: 'default' } } }],
    }, 'fixture');
    const r = runScenario(v7, 1, s);
    expect(r.verdict).toBe('fails');
    if (r.verdict === 'fails') expect(r.failure.problem).toBe('returned 0, but then group domain is null, expected "default"');
  });

  it('a field the design does not have fails the step, even under {"not": v} (a misspelt name cannot pass)', () => {
    const steps = (after: object) => parseScenario({
      summary: 'misspelt field', source: 'test', steps: [{ type: 'probe_device', dev: 0, after }],
    }, 'fixture');
    const group = runScenario(v7, 1, steps({ group: { ownr: { not: 'file1' } } }));
    expect(group.verdict).toBe('fails');
    if (group.verdict === 'fails') expect(group.failure.problem).toMatch(/^returned 0, but then the group has no field 'ownr' on this design \(it has .*\bowner\b.*\)$/);
    const dev = runScenario(v7, 1, steps({ devices: { 0: { domian: { not: 'default' } } } }));
    expect(dev.verdict).toBe('fails');
    if (dev.verdict === 'fails') expect(dev.failure.problem).toMatch(/^returned 0, but then device 0 has no field 'domian' on this design \(it has .*\bdomain\b.*\)$/);
    // The per-device list is not a group field.
    expect(runScenario(v7, 1, steps({ group: { devices: { not: null } } })).verdict).toBe('fails');
    expect(runScenario(v7, 1, steps({ devices: { 0: { domain: { not: 'priv' } } } })).verdict).toBe('passes');
  });

  it('skips an optional step the driver core cannot make, and numbers steps as the scenario does', () => {
    const s = parseScenario({
      summary: 'a device probed twice, the second time only if possible', source: 'test',
      steps: [{ type: 'probe_device', dev: 0 }, { type: 'probe_device', dev: 0, optional: true }, { type: 'bind_driver', dev: 0, driver: 'vfio' }],
    }, 'fixture');
    const r = runScenario(v7, 1, s);
    expect(r.verdict).toBe('passes');
    if (r.verdict !== 'passes') return;
    expect(r.skipped).toEqual([1]);
    expect(r.trace.map((t) => t.step)).toEqual([0, 2]);
    // Without `optional`, the same step fails as a call the driver core cannot make.
    const strict = parseScenario({ summary: 'x', source: 'y', steps: [{ type: 'probe_device', dev: 0 }, { type: 'probe_device', dev: 0 }] }, 'fixture');
    const r2 = runScenario(v7, 1, strict);
    expect(r2.verdict === 'fails' && failureText(r2.failure)).toBe('step 1: probe_device(dev=0) cannot be made: device 0 is already in the group');
  });

  it('is n/a when the group is too small', () => {
    const r = runScenario(v7, 1, byName('vfio-takeover'));
    expect(r).toEqual({ name: 'vfio-takeover', verdict: 'n/a', reason: 'needs 2 devices, the group has 1' });
  });
});

describe('runScenario on a design that refuses everything', () => {
  it('keeps the safety invariants (found by the checker), which is why scenarios exist', async () => {
    const invariants = (await loadInvariants()).filter((i) => ['no-mixed-dma', 'no-warn', 'owned-isolation'].includes(i.name));
    const dc = checkDesign(refuse, 2, invariants);
    expect(dc.verdicts.map((v) => v.verdict)).toEqual(['holds', 'holds', 'holds']);
  });

  it('fails VFIO\'s takeover at the claim with -EPERM', () => {
    const r = runScenario(refuse, 2, byName('vfio-takeover'));
    expect(r.verdict).toBe('fails');
    if (r.verdict !== 'fails') return;
    // Steps 0-1 probe; 2 is the first kernel bind, refused with -EBUSY before VFIO is reached.
    expect(r.failure.step).toBe(2);
    expect(r.failure.ret).toBe(Errno.EBUSY);
    const vfioOnly = runScenario(refuse, 2, byName('vfio-take-turns'));
    expect(vfioOnly.verdict === 'fails' && failureText(vfioOnly.failure)).toBe('step 2: claim(owner=file1) returned -EPERM, expected 0');
  });

  it('prefers the attach_device_shared variant when the design has that call and the Tegra-like driver', () => {
    const r = runScenario(refuse, 2, byName('shared-private-domain'));
    expect(r.verdict === 'fails' && r.variant).toBe('tegra, attach_device_shared');
  });

  it('is n/a, naming the missing calls, when the design lacks them', () => {
    const r = runScenario(refuse, 1, byName('kernel-private-domain'));
    expect(r).toEqual({ name: 'kernel-private-domain', verdict: 'n/a', reason: 'design refuse-everything lacks attach_device, detach_device' });
    const noShared: Design = { ...refuse, events: refuse.events.filter((e) => !e.endsWith('_shared')), drivers: undefined };
    const r2 = runScenario(noShared, 2, byName('shared-private-domain'));
    expect(r2.verdict === 'n/a' && r2.reason).toBe(
      'design refuse-everything lacks driver tegra, attach_device_shared, detach_device_shared (variant tegra, attach_device_shared)'
        + ' and driver tegra, attach_device, detach_device (variant tegra, attach_device)'
        + ' and kernel attach_group, kernel detach_group (variant kernel, attach_group) and attach_device, detach_device (variant kernel, attach_device)',
    );
  });

  it('reports a call the driver core cannot make after an expected refusal', () => {
    const s = parseScenario({
      summary: 'bind refused, then unbind', source: 'test',
      steps: [{ type: 'probe_device', dev: 0 }, { type: 'bind_driver', dev: 0, driver: 'kernel', ret: '-EBUSY' }, { type: 'unbind_driver', dev: 0 }],
    }, 'fixture');
    const r = runScenario(refuse, 1, s);
    expect(r.verdict).toBe('fails');
    if (r.verdict !== 'fails') return;
    expect(r.failure).toMatchObject({ step: 2, ret: null });
    expect(failureText(r.failure)).toBe('step 2: unbind_driver(dev=0) cannot be made: device 0 has no driver bound');
    expect(r.trace).toHaveLength(2);
  });
});
