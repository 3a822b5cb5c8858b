/**
 * vfio-per-device: VFIO attaching its domain with
 * `iommu_group_for_each_dev(group, iommu_attach_device(dev))` instead of `iommu_attach_group()`,
 * as Lu Baolu proposed on 23 Dec 2021 (seed 001_*) and Jason Gunthorpe answered (seed 002_*):
 * "the group list is dynamic so when it is time to detatch this won't reliably balance".
 *
 * Built on the design the proposal was made against, `attach-cnt` (machines/attach-cnt.ts): the
 * v4 series' DMA ownership with Lu's refcounted `iommu_attach_device()` / `iommu_detach_device()`
 * of 21 Dec, without which the loop fails -EINVAL on every multi-device group. This machine is
 * attach-cnt's (its guards, actions and transitions, imported) with only VFIO's attach and detach
 * replaced by the loops; see docs/designs/vfio-per-device.md.
 *
 * Left out: the deadlock of the literal `iommu_group_for_each_dev(..., iommu_attach_device)`
 * (both take `group->mutex`): VFIO is modelled iterating over the members of the moment, each
 * call taking the mutex itself. `attach_cnt` is bounded: see `attachCntMax`.
 */
import { setup } from 'xstate';
import { effect } from '../src/machine/effect';
import type { GroupContext } from '../src/model/context';
import type { IommuEvent } from '../src/iommu/events';
import type { Design } from '../src/iommu/design';
import { int, oneOf } from '../src/model/schema';
import { Errno } from '../src/model/vocabulary';
import { groupStates, standardClassify } from './shared/groupStates';
import { standardInitialContext, standardSchema } from './shared/standard';
import { attachMembers, markAttached, markDetached, memberCount } from './shared/ghost';
import { DMA_OWNERS, design as attachCntDesign, machine as attachCnt } from './attach-cnt';

type C = GroupContext;
type E = IommuEvent;
const dom = (e: E) => (e as { domain: C['domain'] }).domain;
const USER = 'PRIVATE_DOMAIN_USER';

/**
 * The model's bound on `attach_cnt` (an unsigned int in the kernel). A device leaving between
 * VFIO's attach and detach loops leaks one count per cycle, so the count is unbounded; the
 * model saturates it at 2N+1 (N devices). Every verdict is decided on paths well below it.
 */
export const attachCntMax = (devices: number) => 2 * devices + 1;

/**
 * Lu's `iommu_attach_device(domain, dev)` (21 Dec) on a group member, as attach-cnt models it;
 * returns the kernel's value. `if (group->attach_cnt) { if (group->domain != domain) -EBUSY; }
 * else ret = __iommu_attach_group(domain, group); group->attach_cnt++;` with v4 05/13's
 * `__iommu_attach_group()` guard `if (group->domain && group->domain != group->default_domain)`.
 */
export function attachDevice(c: C, domain: C['domain']): number {
  const cnt = c.attach_cnt as number;
  if (cnt !== 0) {
    if (c.domain !== domain) return Errno.EBUSY;
  } else {
    if (c.domain !== null && c.domain !== 'default') return Errno.EBUSY;
    attachMembers(c, domain);
    c.domain = domain;
  }
  c.attach_cnt = Math.min(cnt + 1, attachCntMax(c.devices.length));
  return Errno.OK;
}

/** v4 05/13's `__iommu_detach_group()`: no domain while USER, else back to the default domain. */
function detachGroup(c: C): void {
  if (c.dma_owner === USER) {
    attachMembers(c, null);
    c.domain = null;
  } else if (c.domain !== 'default') {
    attachMembers(c, 'default');
    c.domain = 'default';
  }
}

/**
 * Lu's `iommu_detach_device(domain, dev)` on a group member; returns whether a WARN_ON fired.
 * `if (WARN_ON(!group->attach_cnt || group->domain != domain)) goto unlock_out;
 * if (--group->attach_cnt == 0) __iommu_detach_group(domain, group);`
 */
export function detachDevice(c: C, domain: C['domain']): boolean {
  const cnt = c.attach_cnt as number;
  if (cnt === 0 || c.domain !== domain) return true;
  c.attach_cnt = cnt - 1;
  if (cnt === 1) detachGroup(c);
  return false;
}

const base = attachCnt as any;

export const machine = setup({
  types: {} as { context: C; events: E; input: { devices: number } },
  guards: { ...base.implementations.guards },
  actions: {
    ...base.implementations.actions,
    /** `iommu_group_for_each_dev(group, dom, iommu_attach_device)`: stops at the first error and returns it. */
    attachEachMember: effect<C, E>((c, e) => {
      c.ret = Errno.OK;
      c.warn = false;
      const n = memberCount(c);
      for (let i = 0; i < n; i++) {
        const r = attachDevice(c, dom(e));
        if (r !== Errno.OK) { c.ret = r; break; }
      }
      if (c.ret === Errno.OK) markAttached(c, dom(e));
    }),
    /** `iommu_group_for_each_dev(group, dom, iommu_detach_device)`: one detach per member of the moment. */
    detachEachMember: effect<C, E>((c, e) => {
      c.ret = Errno.OK;
      c.warn = false;
      const n = memberCount(c);
      for (let i = 0; i < n; i++) if (detachDevice(c, dom(e))) c.warn = true;
      markDetached(c, dom(e));
    }),
  } as any,
}).createMachine({
  ...base.config,
  id: 'vfio-per-device',
  on: {
    ...base.config.on,
    // VFIO type1, as proposed: iommu_group_for_each_dev(group, dom, iommu_attach_device).
    attach_group: { actions: ['attachEachMember'] },
    // ... and iommu_group_for_each_dev(group, dom, iommu_detach_device).
    detach_group: { actions: ['detachEachMember'] },
  },
  states: groupStates(),
});

export const design: Design = {
  name: 'vfio-per-device',
  title: "VFIO attaching per device (for_each_dev + Lu's refcounted iommu_attach_device), on attach-cnt",
  source: 'seed 001_*: Lu Baolu, 23 Dec 2021 ("essentially equivalent to iommu_group_for_each_dev(group, iommu_attach_device(dev))"); answered in 002_*',
  machine,
  schema: (devices) => standardSchema(devices, { group: { dma_owner: oneOf(DMA_OWNERS), attach_cnt: int(0, attachCntMax(devices)) } }),
  initialContext: (devices) => standardInitialContext(devices, { dma_owner: 'DMA_API', attach_cnt: 0 }),
  classify: standardClassify,
  // v4's owner_cnt: the VFIO claim, one per counted DMA-API driver, one per Tegra-like driver
  // holding PRIVATE_DOMAIN (as attach-cnt).
  expectedOwnerCnt: attachCntDesign.expectedOwnerCnt,
  events: ['probe_device', 'release_device', 'bind_driver', 'unbind_driver', 'claim', 'release', 'attach_group', 'detach_group', 'attach_device', 'detach_device'],
  // attach-cnt's callers and drivers: its Tegra-like driver shares a private domain through Lu's
  // iommu_attach_device(), which this design keeps.
  callers: attachCntDesign.callers,
  drivers: attachCntDesign.drivers,
};
