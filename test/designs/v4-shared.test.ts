/**
 * v4-shared (seed 000_*, v4 01, 02, 05, 06, 07, 08, 13/13): the kernel functions case by case
 * against the Dec 2021 code, the Tegra-like driver's shared path, then the checker's verdicts.
 */
import { describe, expect, it } from 'vitest';
import { design } from '../../machines/v4-shared';
import { checkDesign } from '../../src/iommu/checkDesign';
import type { IommuEvent } from '../../src/iommu/events';
import { loadInvariants } from '../../src/iommu/invariantRegistry';
import { replayEvents } from '../../src/iommu/replay';
import type { Domain } from '../../src/model/vocabulary';
import { Errno } from '../../src/model/vocabulary';
import { pinnedVerdicts } from './pinnedVerdicts';

const probe = (dev: number): IommuEvent => ({ type: 'probe_device', dev });
const bindK = (dev: number): IommuEvent => ({ type: 'bind_driver', dev, driver: 'kernel' });
const bindV = (dev: number): IommuEvent => ({ type: 'bind_driver', dev, driver: 'vfio' });
const bindT = (dev: number): IommuEvent => ({ type: 'bind_driver', dev, driver: 'tegra' });
const unbind = (dev: number): IommuEvent => ({ type: 'unbind_driver', dev });
const claim = (owner: 'file1' | 'file2' = 'file1'): IommuEvent => ({ type: 'claim', owner });
const release = (owner: 'file1' | 'file2' = 'file1'): IommuEvent => ({ type: 'release', owner });
const attachG = (domain: 'dom1' | 'dom2' = 'dom1'): IommuEvent => ({ type: 'attach_group', domain });
const detachG = (domain: 'dom1' | 'dom2' = 'dom1'): IommuEvent => ({ type: 'detach_group', domain });
const attachD = (dev: number): IommuEvent => ({ type: 'attach_device', domain: 'priv', dev });
const shared = (dev: number, domain: Domain = 'priv'): IommuEvent => ({ type: 'attach_device_shared', domain, dev });
const unshared = (dev: number, domain: Domain = 'priv'): IommuEvent => ({ type: 'detach_device_shared', domain, dev });

function last(events: IommuEvent[], devices = 2) {
  const steps = replayEvents(design, devices, events);
  return steps[steps.length - 1];
}
const g = (s: ReturnType<typeof last>) => [s.context.dma_owner, s.context.owner_cnt, s.context.owner, s.context.attach_cnt];
const NAMES = ['type-ok', 'no-mixed-dma', 'refcount-balance', 'no-warn', 'domain-consistency', 'owned-isolation', 'owner-domain', 'viability'];

describe('v4 set/release DMA_OWNER_DMA_API from the driver core (01/13, 02/13)', () => {
  it('no group: `if (owner == DMA_OWNER_DMA_API) return 0;`, uncounted', () => {
    const s = last([bindK(0)]);
    expect([s.ret, ...g(s), s.context.devices[0].counted]).toEqual([0, 'DMA_API', 0, null, 0, false]);
  });
  it('`owner_cnt++` with dma_owner DMA_API and a NULL cookie', () => {
    const s = last([probe(0), probe(1), bindK(0), bindK(1)]);
    expect([s.ret, ...g(s), s.state]).toEqual([0, 'DMA_API', 2, null, 0, 'dma-api']);
  });
  it('`owner_cnt && (dma_owner != owner || owner_cookie != cookie)` -> -EBUSY while USER', () => {
    const s = last([probe(0), probe(1), bindV(0), claim(), bindK(1)]);
    expect([s.ret, ...g(s), s.context.devices[1].driver]).toEqual([Errno.EBUSY, 'PRIVATE_DOMAIN_USER', 1, 'file1', 0, 'none']);
  });
  it('release: `WARN_ON(!owner_cnt || dma_owner != owner)` for the late-join driver', () => {
    const s = last([bindK(0), probe(0), unbind(0)]);
    expect([s.ret, s.warn]).toEqual([0, true]);
  });
  it('release: `--owner_cnt > 0` keeps the mode; reaching 0 leaves DMA_API', () => {
    expect(g(last([probe(0), probe(1), bindK(0), bindK(1), unbind(0)]))).toEqual(['DMA_API', 1, null, 0]);
    const s = last([probe(0), bindK(0), unbind(0)]);
    expect([s.warn, ...g(s), s.state]).toEqual([false, 'DMA_API', 0, null, 0, 'unowned']);
  });
});

describe('v4 iommu_group_set_dma_owner(group, PRIVATE_DOMAIN_USER, file) from VFIO (05, 06, 08/13)', () => {
  it('on the default domain: counted, cookie = file, every member detached', () => {
    const s = last([probe(0), probe(1), bindV(0), claim()]);
    expect([s.ret, s.warn, ...g(s), s.context.domain, s.context.devices.map((d) => d.domain)]).toEqual([0, false, 'PRIVATE_DOMAIN_USER', 1, 'file1', 0, null, [null, null]]);
  });
  it('another cookie -> -EBUSY; a DMA_API holder -> -EBUSY', () => {
    expect(last([probe(0), bindV(0), claim('file1'), claim('file2')]).ret).toBe(Errno.EBUSY);
    expect(last([probe(0), probe(1), bindK(0), bindV(1), claim()]).ret).toBe(Errno.EBUSY);
  });
  it('`!WARN_ON(group->domain != group->default_domain)`: on a private domain it WARNs, succeeds, and detaches nothing', () => {
    // dev0's driver bound before its device joined (uncounted), so owner_cnt is 0 under priv.
    const s = last([bindK(0), probe(0), attachD(0), probe(1), bindV(1), claim()]);
    expect([s.ret, s.warn, ...g(s), s.context.domain, s.context.devices.map((d) => d.domain)]).toEqual([0, true, 'PRIVATE_DOMAIN_USER', 1, 'file1', 0, 'priv', ['priv', 'default']]);
  });
  it('release of the last USER: DMA_API again, default domain re-attached, the cookie no longer read', () => {
    const s = last([probe(0), probe(1), bindV(0), claim(), attachG(), detachG(), release()]);
    expect([s.ret, s.warn, ...g(s), s.context.domain, s.context.devices.map((d) => d.domain)]).toEqual([0, false, 'DMA_API', 0, null, 0, 'default', ['default', 'default']]);
  });
  it('release while attached: `WARN_ON(group->domain)`; release with nothing claimed: WARN', () => {
    const a = last([probe(0), bindV(0), claim(), attachG(), release()]);
    expect([a.warn, a.context.domain, a.context.owner_cnt]).toEqual([true, 'dom1', 0]);
    expect(last([probe(0), release()]).warn).toBe(true);
  });
  it('a device joining a USER group gets no default domain (05/13 probe hunk)', () => {
    const s = last([probe(0), bindV(0), claim(), attachG(), probe(1)]);
    expect(s.context.devices[1].domain).toBe('dom1');
  });
});

describe('v4 iommu_attach_device_shared / iommu_detach_device_shared as 13/13 calls them', () => {
  it('a driver bound through the driver core holds DMA_API, so set_dma_owner(PRIVATE_DOMAIN) -> -EBUSY', () => {
    const s = last([probe(0), probe(1), bindK(0), bindK(1), shared(0)]);
    expect([s.ret, ...g(s), s.context.domain]).toEqual([Errno.EBUSY, 'DMA_API', 2, null, 0, 'default']);
  });
  it('no group: iommu_device_set_dma_owner(PRIVATE_DOMAIN) -> -ENODEV', () => {
    expect(last([bindK(0), shared(0)]).ret).toBe(Errno.ENODEV);
  });
  it('two drivers holding nothing (bound before their devices joined) share one private domain, then both detach', () => {
    const both = [bindK(0), bindK(1), probe(0), probe(1), shared(0), shared(1)];
    const s = last(both);
    expect([s.ret, ...g(s), s.context.domain, s.context.devices.map((d) => d.domain)]).toEqual([0, 'PRIVATE_DOMAIN', 2, null, 2, 'priv', ['priv', 'priv']]);
    const one = last([...both, unshared(0)]);
    expect([one.ret, one.warn, ...g(one), one.context.domain]).toEqual([0, false, 'PRIVATE_DOMAIN', 1, null, 1, 'priv']);
    const none = last([...both, unshared(0), unshared(1)]);
    expect([none.ret, none.warn, ...g(none), none.context.domain, none.state]).toEqual([0, false, 'DMA_API', 0, null, 0, 'default', 'unowned']);
  });
  it('`attach_cnt && group->domain != domain` -> -EBUSY, and the PRIVATE_DOMAIN set is undone', () => {
    const s = last([bindK(0), bindK(1), probe(0), probe(1), shared(0, 'priv'), shared(1, 'dom1')]);
    expect([s.ret, s.warn, ...g(s), s.context.domain]).toEqual([Errno.EBUSY, false, 'PRIVATE_DOMAIN', 1, null, 1, 'priv']);
  });
  it('first shared attach on a group already on another domain: __iommu_attach_group() -> -EBUSY, undone', () => {
    const s = last([bindK(0), probe(0), attachD(0), bindK(1), probe(1), shared(1, 'dom2')]);
    expect([s.ret, ...g(s), s.context.domain]).toEqual([Errno.EBUSY, 'DMA_API', 0, null, 0, 'priv']);
  });
  it('detach without a shared attach: `WARN_ON(!attach_cnt || ...)`, then release(PRIVATE_DOMAIN) WARNs too', () => {
    const s = last([probe(0), bindK(0), unshared(0)]);
    expect([s.ret, s.warn, ...g(s)]).toEqual([0, true, 'DMA_API', 1, null, 0]);
  });
  it('iommu_attach_device() stays 426a273834ea\'s: -EINVAL on a two-device group', () => {
    expect(last([probe(0), probe(1), bindK(0), attachD(0)]).ret).toBe(Errno.EINVAL);
  });
});

describe('the Tegra-like driver (13/13: suppress_auto_claim_dma_owner, then the `_shared` calls)', () => {
  const TWO_TEGRA = [probe(0), probe(1), bindT(0), bindT(1)];
  it('binding it claims nothing: owner_cnt stays 0, the group stays on the default domain', () => {
    const s = last(TWO_TEGRA);
    expect([s.ret, ...g(s), s.context.domain, s.state]).toEqual([0, 'DMA_API', 0, null, 0, 'default', 'unowned']);
  });
  it('two members share priv through attach_device_shared, both detach, unbind: back on the default domain', () => {
    const both = [...TWO_TEGRA, shared(0), shared(1)];
    const s = last(both);
    expect([s.ret, s.warn, ...g(s), s.context.domain, s.context.devices.map((d) => d.domain)]).toEqual([0, false, 'PRIVATE_DOMAIN', 2, null, 2, 'priv', ['priv', 'priv']]);
    const one = last([...both, unshared(0)]);
    expect([one.ret, one.warn, ...g(one), one.context.domain]).toEqual([0, false, 'PRIVATE_DOMAIN', 1, null, 1, 'priv']);
    const steps = replayEvents(design, 2, [...both, unshared(0), unshared(1), unbind(0), unbind(1)]);
    expect(steps.every((t) => t.ret === 0 && !t.warn)).toBe(true);
    const end = steps[steps.length - 1];
    expect([...g(end), end.context.domain, end.context.devices.map((d) => [d.driver, d.domain]), end.state]).toEqual(['DMA_API', 0, null, 0, 'default', [['none', 'default'], ['none', 'default']], 'unowned']);
  });
  it('refused next to a counted DMA-API driver: set_dma_owner(PRIVATE_DOMAIN) -> -EBUSY, nothing attached', () => {
    const s = last([probe(0), probe(1), bindK(0), bindT(1), shared(1)]);
    expect([s.ret, s.warn, ...g(s), s.context.domain, s.context.devices[1].private_owner]).toEqual([Errno.EBUSY, false, 'DMA_API', 1, null, 0, 'default', false]);
  });
  it('refused while VFIO owns the group (-EBUSY), though the bind itself was accepted beside the claim', () => {
    const s = last([probe(0), probe(1), bindV(0), bindT(1), claim(), shared(1)]);
    expect([s.ret, ...g(s), s.context.domain]).toEqual([Errno.EBUSY, 'PRIVATE_DOMAIN_USER', 1, 'file1', 0, null]);
  });
});

describe('v4-shared: verdicts found by the checker', async () => {
  const invariants = (await loadInvariants()).filter((i) => NAMES.includes(i.name));
  // Reasons:
  // - no-warn, refcount-balance, no-mixed-dma: set_dma_owner(DMA_API) returns 0 uncounted when
  //   the device has no group yet (01/13), yet the driver core releases it (02/13).
  // - domain-consistency: iommu_attach_device() keeps 426a273834ea's size check only at
  //   attach time (Jason, seed 004_*).
  // - owned-isolation: 05/13 only WARNs when USER is set on a foreign domain and returns 0;
  //   the group stays on the private domain with a later member on the default domain.
  // - owner-domain: the same 05/13 WARN_ON path: the group stays on the kernel's priv while
  //   file1 owns it (the shortest counterexample is owned-isolation's).
  // - viability is violated: the claim only WARNs on a stale private domain, but VFIO's attach
  //   then gets -EBUSY; the 426a hot-plug hole leaves that domain for good (as in v7).
  const expected = {
    'type-ok': 'holds', 'no-mixed-dma': 'violated', 'refcount-balance': 'violated', 'no-warn': 'violated',
    'domain-consistency': 'violated', 'owned-isolation': 'violated', 'owner-domain': 'violated', viability: 'violated',
  };
  for (const devices of [2, 3]) {
    it(`at ${devices} devices`, () => {
      const dc = checkDesign(design, devices, invariants);
      expect(pinnedVerdicts(dc.verdicts, expected)).toEqual(expected);
    });
  }
  it('the shortest owned-isolation counterexample ends in the 05/13 WARN_ON on a foreign domain', () => {
    const dc = checkDesign(design, 2, invariants.filter((i) => i.name === 'owned-isolation'));
    const v = dc.verdicts[0];
    expect(v.verdict).toBe('violated');
    if (v.verdict !== 'violated') return;
    const end = v.trace[v.trace.length - 1];
    expect([end.event.type, end.warn, end.fired?.guardName]).toEqual(['claim', true, 'set(USER):domain && WARN_ON(domain != default_domain)']);
  });
});
