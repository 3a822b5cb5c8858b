/**
 * jgg-fixed: the sketch with Jason's 24 Dec correction of iommu_device_use_dma_api() (seed
 * 000_*). Every other call is jgg-draft's and is tested there; here: the corrected function case
 * by case, what the correction changes, and the verdicts at 2 and 3 devices.
 */
import { describe, expect, it } from 'vitest';
import { design } from '../../machines/jgg-fixed';
import { design as draft } from '../../machines/jgg-draft';
import { checkDesign, type InvariantVerdict } from '../../src/iommu/checkDesign';
import type { IommuEvent } from '../../src/iommu/events';
import { loadInvariants } from '../../src/iommu/invariantRegistry';
import { replayEvents } from '../../src/iommu/replay';
import { Errno } from '../../src/model/vocabulary';
import { plainReachable } from './plainBfs';
import { pinnedVerdicts } from './pinnedVerdicts';

const probe = (dev: number): IommuEvent => ({ type: 'probe_device', dev });
const bindK = (dev: number): IommuEvent => ({ type: 'bind_driver', dev, driver: 'kernel' });
const bindV = (dev: number): IommuEvent => ({ type: 'bind_driver', dev, driver: 'vfio' });
const unbind = (dev: number): IommuEvent => ({ type: 'unbind_driver', dev });
const claim = (owner: 'file1' | 'file2' = 'file1'): IommuEvent => ({ type: 'claim', owner });
const release = (owner: 'file1' | 'file2' = 'file1'): IommuEvent => ({ type: 'release', owner });
const attachG = (): IommuEvent => ({ type: 'attach_group', domain: 'dom1' });
const detachG = (): IommuEvent => ({ type: 'detach_group', domain: 'dom1' });
const attachD = (dev: number): IommuEvent => ({ type: 'attach_device', domain: 'priv', dev });

function last(events: IommuEvent[], d = design, devices = 2) {
  const steps = replayEvents(d, devices, events);
  return steps[steps.length - 1];
}

describe('jgg-fixed iommu_device_use_dma_api() (24 Dec)', () => {
  it('`if (!group) return 0;`', () => {
    const s = last([bindK(0)]);
    expect([s.ret, s.context.owner_cnt, s.context.devices[0].counted]).toEqual([0, 0, false]);
  });
  it('`owner_cnt++` for every DMA-API driver on the default domain (the draft refused the second)', () => {
    const events = [probe(0), probe(1), bindK(0), bindK(1)];
    const s = last(events);
    expect([s.ret, s.context.owner_cnt, s.context.devices.map((d) => d.counted)]).toEqual([0, 2, [true, true]]);
    expect(last(events, draft).ret).toBe(Errno.EBUSY);
  });
  it('`owner_cnt != 0 && owner != NULL` -> -EBUSY', () => {
    const s = last([probe(0), probe(1), bindV(0), claim(), bindK(1)]);
    expect([s.ret, s.context.owner_cnt, s.context.devices[1].driver]).toEqual([Errno.EBUSY, 1, 'none']);
  });
  it('`owner_cnt != 0 && domain != default_domain` -> -EBUSY', () => {
    const s = last([probe(0), bindK(0), attachD(0), probe(1), bindK(1)]);
    expect([s.ret, s.context.domain, s.context.devices[1].driver]).toEqual([Errno.EBUSY, 'priv', 'none']);
  });
  it('owner_cnt == 0 skips both checks: binds while the group is on a private domain (the draft said -EBUSY)', () => {
    const events = [bindK(0), probe(0), attachD(0), probe(1), bindK(1)];
    const s = last(events);
    expect([s.ret, s.context.owner_cnt, s.context.domain, s.context.devices[1].driver]).toEqual([0, 1, 'priv', 'kernel']);
    expect(last(events, draft).ret).toBe(Errno.EBUSY);
  });
  it('vfio-pci calls nothing', () => {
    const s = last([probe(0), bindV(0)]);
    expect([s.ret, s.context.owner_cnt]).toEqual([0, 0]);
  });
});

describe('jgg-fixed: VFIO takes over a two-device group after both kernel drivers unbind', () => {
  it('every call succeeds, no WARN_ON, and the group goes back to the kernel', () => {
    const steps = replayEvents(design, 2, [
      probe(0), probe(1), bindK(0), bindK(1), unbind(0), unbind(1), bindV(0), bindV(1),
      claim(), attachG(), detachG(), release(), unbind(0), bindK(0),
    ]);
    expect(steps.map((s) => s.ret)).toEqual(steps.map(() => 0));
    expect(steps.some((s) => s.warn)).toBe(false);
    const end = steps[steps.length - 1].context;
    expect([end.owner_cnt, end.owner, end.domain]).toEqual([1, null, 'default']);
  });
});

const lengths = (vs: readonly InvariantVerdict[]) => Object.fromEntries(vs.map((v) => [v.name, v.verdict === 'violated' ? v.counterexample.length : null]));

describe('jgg-fixed verdicts, found by the checker', async () => {
  const invariants = await loadInvariants();
  const at2 = checkDesign(design, 2, invariants);
  const at3 = checkDesign(design, 3, invariants);

  it('at 2 and 3 devices: only type-ok holds, as for the draft', () => {
    // The correction changes what the group accepts (more states: two DMA-API drivers), not what
    // breaks it: late join, the 426a273834ea hot-plug hole and the untouched probe path remain
    // (the last breaks owned-isolation and owner-domain alike).
    const expected = {
      'type-ok': 'holds', 'no-mixed-dma': 'violated', 'refcount-balance': 'violated', 'no-warn': 'violated',
      'domain-consistency': 'violated', 'owned-isolation': 'violated', 'owner-domain': 'violated', viability: 'violated',
    };
    expect(pinnedVerdicts(at2.verdicts, expected)).toEqual(expected);
    expect(pinnedVerdicts(at3.verdicts, expected)).toEqual(expected);
    const draft3 = checkDesign(draft, 3, invariants);
    expect(pinnedVerdicts(draft3.verdicts, expected)).toEqual(expected);
    expect(lengths(at3.verdicts)).toEqual(lengths(draft3.verdicts));
    expect(at3.result.states).toBeGreaterThan(draft3.result.states);
  });

  it("refcount-balance: a late-joined, uncounted driver's unbind takes the count of the counted one", () => {
    const v = at3.verdicts.find((x) => x.name === 'refcount-balance')!;
    if (v.verdict !== 'violated') throw new Error('expected a violation');
    expect(v.counterexample).toEqual([probe(0), bindK(0), bindK(1), probe(1), unbind(1)]);
  });

  it('state count at 2 devices agrees with an independent plain-object search', () => {
    expect(at2.result.states).toBe(plainReachable(design, 2).length);
  });
});
