/**
 * v7's kernel functions, case by case, against the seed code (seed 003_*, the v7 01/11 patch on
 * the v5.17 tree). Each case replays a short sequence and checks the last call's return code,
 * WARN and the state after it. Expected values are read off the C code quoted in each title.
 */
import { describe, expect, it } from 'vitest';
import { design } from '../machines/v7';
import type { IommuEvent } from '../src/iommu/events';
import { replayEvents } from '../src/iommu/replay';
import { Errno } from '../src/model/vocabulary';

const probe = (dev: number): IommuEvent => ({ type: 'probe_device', dev });
const bindK = (dev: number): IommuEvent => ({ type: 'bind_driver', dev, driver: 'kernel' });
const bindV = (dev: number): IommuEvent => ({ type: 'bind_driver', dev, driver: 'vfio' });
const unbind = (dev: number): IommuEvent => ({ type: 'unbind_driver', dev });
const claim = (owner: 'file1' | 'file2' = 'file1'): IommuEvent => ({ type: 'claim', owner });
const release = (owner: 'file1' | 'file2' = 'file1'): IommuEvent => ({ type: 'release', owner });
const attachG = (domain: 'dom1' | 'dom2' | 'priv' = 'dom1'): IommuEvent => ({ type: 'attach_group', domain });
const detachG = (domain: 'dom1' | 'dom2' | 'priv' = 'dom1'): IommuEvent => ({ type: 'detach_group', domain });
const attachD = (dev: number, domain: 'priv' | 'dom1' = 'priv'): IommuEvent => ({ type: 'attach_device', domain, dev });
const detachD = (dev: number, domain: 'priv' | 'dom1' = 'priv'): IommuEvent => ({ type: 'detach_device', domain, dev });

function last(events: IommuEvent[], devices = 2) {
  const steps = replayEvents(design, devices, events);
  return steps[steps.length - 1];
}

describe('v7 iommu_device_use_default_domain (driver core binding a kernel DMA-API driver)', () => {
  it('`if (!group) return 0;`: nothing counted', () => {
    const s = last([bindK(0)]);
    expect([s.ret, s.warn, s.context.owner_cnt, s.context.devices[0].driver, s.context.devices[0].counted]).toEqual([0, false, 0, 'kernel', false]);
  });
  it('first user of the group: `group->owner_cnt++`', () => {
    const s = last([probe(0), bindK(0)]);
    expect([s.ret, s.context.owner_cnt, s.state]).toEqual([0, 1, 'dma-api']);
  });
  it('second DMA-API user while on the default domain and unowned: counted again', () => {
    const s = last([probe(0), probe(1), bindK(0), bindK(1)]);
    expect([s.ret, s.context.owner_cnt]).toEqual([0, 2]);
  });
  it('`owner_cnt && owner` -> -EBUSY, and the driver is not bound', () => {
    const s = last([probe(0), probe(1), bindV(0), claim(), bindK(1)]);
    expect([s.ret, s.context.owner_cnt, s.context.devices[1].driver]).toEqual([Errno.EBUSY, 1, 'none']);
  });
  it('`owner_cnt && domain != default_domain` -> -EBUSY', () => {
    // dev0's driver put the one-device group on its private domain; dev1 joins and binds.
    const s = last([probe(0), bindK(0), attachD(0), probe(1), bindK(1)]);
    expect([s.ret, s.context.domain, s.context.devices[1].driver]).toEqual([Errno.EBUSY, 'priv', 'none']);
  });
  it('owner_cnt == 0 skips the domain check: binds even on a user domain attached without a claim', () => {
    const s = last([probe(0), attachG('dom1'), bindK(0)]);
    expect([s.ret, s.context.owner_cnt, s.context.domain]).toEqual([0, 1, 'dom1']);
  });
  it('vfio-pci (driver_managed_dma) calls nothing', () => {
    const s = last([probe(0), bindV(0)]);
    expect([s.ret, s.context.owner_cnt, s.context.devices[0].driver]).toEqual([0, 0, 'vfio']);
  });
});

describe('v7 iommu_device_unuse_default_domain (driver core unbinding)', () => {
  it('`if (!group) return;`', () => {
    const s = last([bindK(0), unbind(0)]);
    expect([s.warn, s.context.owner_cnt]).toEqual([false, 0]);
  });
  it('`if (!WARN_ON(!group->owner_cnt)) group->owner_cnt--;`: WARN at zero (Eric Auger)', () => {
    const s = last([bindK(0), probe(0), unbind(0)]);
    expect([s.warn, s.context.owner_cnt, s.fired?.guardName]).toEqual([true, 0, 'unuse:WARN_ON(!owner_cnt)']);
  });
  it('decrements otherwise', () => {
    const s = last([probe(0), probe(1), bindK(0), bindK(1), unbind(0)]);
    expect([s.warn, s.context.owner_cnt]).toEqual([false, 1]);
  });
  it('an uncounted driver takes another driver\'s count', () => {
    const s = last([bindK(0), probe(0), probe(1), bindK(1), unbind(0)]);
    expect([s.warn, s.context.owner_cnt, s.context.devices[1].counted]).toEqual([false, 0, true]);
  });
});

describe('v7 iommu_group_claim_dma_owner', () => {
  it('`if (group->owner_cnt) -EPERM`', () => {
    const s = last([probe(0), bindK(0), claim()]);
    expect([s.ret, s.context.owner]).toEqual([Errno.EPERM, null]);
  });
  it('`if (group->domain && group->domain != group->default_domain) -EBUSY`', () => {
    const s = last([probe(0), attachG('dom1'), claim()]);
    expect([s.ret, s.context.owner]).toEqual([Errno.EBUSY, null]);
  });
  it('on the default domain: owner set, every member detached, group->domain NULL, owner_cnt 1', () => {
    const s = last([probe(0), probe(1), bindV(0), claim()]);
    expect([s.ret, s.context.owner, s.context.owner_cnt, s.context.domain, s.context.devices.map((d) => d.domain), s.state])
      .toEqual([0, 'file1', 1, null, [null, null], 'user-owned']);
  });
  it('a second claim by the other user: -EPERM', () => {
    const s = last([probe(0), bindV(0), claim('file1'), claim('file2')]);
    expect([s.ret, s.context.owner]).toEqual([Errno.EPERM, 'file1']);
  });
});

describe('v7 iommu_group_release_dma_owner', () => {
  it('`WARN_ON(!owner_cnt || !owner)` when nothing was claimed', () => {
    const s = last([probe(0), release()]);
    expect([s.warn, s.context.domain, s.context.owner_cnt]).toEqual([true, 'default', 0]);
  });
  it('`WARN_ON(group->domain)`: released with the user domain still attached, which stays', () => {
    const s = last([probe(0), bindV(0), claim(), attachG('dom1'), release()]);
    expect([s.warn, s.context.owner, s.context.owner_cnt, s.context.domain, s.state]).toEqual([true, null, 0, 'dom1', 'private-domain']);
  });
  it('after detach: owner_cnt 0, owner NULL, default domain re-attached to every member', () => {
    const s = last([probe(0), probe(1), bindV(0), claim(), attachG('dom1'), detachG('dom1'), release()]);
    expect([s.warn, s.context.owner, s.context.owner_cnt, s.context.domain, s.context.devices.map((d) => d.domain), s.state])
      .toEqual([false, null, 0, 'default', ['default', 'default'], 'unowned']);
  });
});

describe('v7 iommu_group_dma_owner_claimed: `return group->owner_cnt` (as bool)', () => {
  it('counts kernel users too', () => {
    expect(last([{ type: 'owner_claimed' }]).ret).toBe(0);
    expect(last([probe(0), bindK(0), { type: 'owner_claimed' }]).ret).toBe(1);
  });
});

describe('v7 iommu_probe_device (patched hunk) after iommu_group_add_device', () => {
  it('unowned: the default domain is attached to the new device', () => {
    expect(last([probe(0)]).context.devices[0].domain).toBe('default');
  });
  it('claimed with no user domain: nothing attached ("don\'t attach the default domain")', () => {
    const s = last([probe(0), bindV(0), claim(), probe(1)]);
    expect(s.context.devices[1].domain).toBe(null);
  });
  it('claimed with a user domain: group_add_device attaches group->domain', () => {
    const s = last([probe(0), bindV(0), claim(), attachG('dom1'), probe(1)]);
    expect(s.context.devices[1].domain).toBe('dom1');
  });
  it('unowned on a private domain: the joining device ends on the default domain (426a hole)', () => {
    const s = last([probe(0), bindK(0), attachD(0), probe(1)]);
    expect([s.context.domain, s.context.devices[1].domain]).toEqual(['priv', 'default']);
  });
});

describe('v7 __iommu_attach_group / __iommu_detach_group via iommu_attach_group / iommu_detach_group', () => {
  it('attach on NULL (claimed) or default: every member and the group move to the domain', () => {
    const s = last([probe(0), probe(1), bindV(0), claim(), attachG('dom1')]);
    expect([s.ret, s.context.domain, s.context.devices.map((d) => d.domain)]).toEqual([0, 'dom1', ['dom1', 'dom1']]);
    const t = last([probe(0), attachG('dom2')]);
    expect([t.ret, t.context.domain]).toEqual([0, 'dom2']);
  });
  it('attach while on another domain: -EBUSY', () => {
    const s = last([probe(0), bindV(0), claim(), attachG('dom1'), attachG('dom2')]);
    expect([s.ret, s.context.domain]).toEqual([Errno.EBUSY, 'dom1']);
  });
  it('detach while owned: members detached, group->domain NULL', () => {
    const s = last([probe(0), bindV(0), claim(), attachG('dom1'), detachG('dom1')]);
    expect([s.context.domain, s.context.devices[0].domain]).toEqual([null, null]);
  });
  it('detach unowned: back to the default domain; a no-op when already there', () => {
    expect(last([probe(0), attachG('dom1'), detachG('dom1')]).context.domain).toBe('default');
    expect(last([probe(0), detachG('dom1')]).context.domain).toBe('default');
  });
  it('__iommu_detach_group does not check which domain it is asked to detach', () => {
    const s = last([probe(0), bindV(0), claim(), attachG('dom1'), detachG('dom2')]);
    expect(s.context.domain).toBe(null);
  });
});

describe('v7 iommu_attach_device / iommu_detach_device (426a273834ea: one-device groups only)', () => {
  it('`if (!group) return -ENODEV;`', () => {
    expect(last([bindK(0), attachD(0)]).ret).toBe(Errno.ENODEV);
  });
  it('`if (iommu_group_device_count(group) != 1)` -> -EINVAL', () => {
    expect(last([probe(0), probe(1), bindK(0), attachD(0)]).ret).toBe(Errno.EINVAL);
  });
  it('one device on the default domain: attached', () => {
    const s = last([probe(0), bindK(0), attachD(0)]);
    expect([s.ret, s.context.domain, s.context.devices[0].domain, s.context.devices[0].priv, s.state]).toEqual([0, 'priv', 'priv', true, 'private-domain']);
  });
  it('detach of a one-device group: back to default', () => {
    const s = last([probe(0), bindK(0), attachD(0), detachD(0)]);
    expect([s.warn, s.context.domain, s.context.devices[0].priv]).toEqual([false, 'default', false]);
  });
  it('detach after the group grew: `WARN_ON(1)` and the private domain stays', () => {
    const s = last([probe(0), bindK(0), attachD(0), probe(1), detachD(0)]);
    expect([s.warn, s.context.domain]).toEqual([true, 'priv']);
  });
  it('detach with no group: silently nothing', () => {
    const s = last([bindK(0), detachD(0)]);
    expect([s.ret, s.warn]).toEqual([0, false]);
  });
});
