/**
 * vfio-per-device: VFIO attaching its domain with
 * `iommu_group_for_each_dev(group, iommu_attach_device(dev))` instead of `iommu_attach_group()`,
 * as Lu Baolu proposed on 23 Dec 2021 (seed 001_*) and Jason Gunthorpe answered (seed 002_*):
 * "the group list is dynamic so when it is time to detatch this won't reliably balance".
 *
 * Built on the design the proposal was made against: the v4 series' group DMA ownership
 * (`iommu_device_set_dma_owner(dev, DMA_OWNER_DMA_API, NULL)` from `dma_configure`,
 * `iommu_group_set_dma_owner(group, DMA_OWNER_PRIVATE_DOMAIN_USER, file)` for VFIO) with Lu's
 * refcounted `iommu_attach_device()` / `iommu_detach_device()` of 21 Dec (seed 000_*), without
 * which the loop fails -EINVAL on every multi-device group. The ownership code is the last
 * version we could read in full (v3, 6 Dec 2021; docs/designs/vfio-per-device.md).
 *
 * Left out: groups without a default domain, attach failures in the IOMMU driver,
 * DMA_OWNER_PRIVATE_DOMAIN (no modelled caller sets it), the deadlock of the literal
 * `iommu_group_for_each_dev(..., iommu_attach_device)` (both take `group->mutex`): VFIO is
 * modelled iterating over the members of the moment, each call taking the mutex itself.
 * `attach_cnt` is bounded: see ATTACH_CNT_MAX.
 */
import { setup } from 'xstate';
import { effect } from '../src/machine/effect';
import type { GroupContext } from '../src/model/context';
import type { IommuEvent } from '../src/iommu/events';
import type { Design } from '../src/iommu/design';
import { int, oneOf } from '../src/model/schema';
import { Errno } from '../src/model/vocabulary';
import { classifierGuards, groupStates, standardClassify } from './shared/groupStates';
import { standardInitialContext, standardSchema } from './shared/standard';
import {
  attachMembers, bindDriver, markAttached, markClaimed, markDetached, markReleased, unbindDriver,
} from './shared/ghost';

type C = GroupContext;
type E = IommuEvent;
type Args = { context: C; event: E };
const dev = (e: E) => (e as { dev: number }).dev;
const dom = (e: E) => (e as { domain: C['domain'] }).domain;
const ownerOf = (e: E) => (e as { owner: C['owner'] }).owner;

/** `enum iommu_dma_owner` values a modelled caller can set (PRIVATE_DOMAIN has no caller here). */
export const DMA_OWNER = ['DMA_OWNER_NONE', 'DMA_OWNER_DMA_API', 'DMA_OWNER_PRIVATE_DOMAIN_USER'] as const;
type DmaOwner = (typeof DMA_OWNER)[number];
const dmaOwner = (c: C) => c.dma_owner as DmaOwner;

/**
 * The model's bound on `attach_cnt` (an unsigned int in the kernel). A device leaving between
 * VFIO's attach and detach loops leaks one count per cycle, so the count is unbounded; the model
 * saturates it at 2N+1 (N devices). Every verdict is decided on paths far below the bound.
 */
export const attachCntMax = (devices: number) => 2 * devices + 1;

/** v4 tree's `__iommu_attach_group()` guard: `if (group->domain && group->domain != group->default_domain) return -EBUSY;` */
const foreignDomain = (c: C) => c.domain !== null && c.domain !== 'default';

/**
 * Lu's `iommu_attach_device(domain, dev)` (21 Dec) on a group member; returns the kernel's value.
 * `if (group->attach_cnt) { if (group->domain != domain) -EBUSY } else __iommu_attach_group();
 * group->attach_cnt++;`
 */
export function attachDevice(c: C, domain: C['domain']): number {
  if ((c.attach_cnt as number) !== 0) {
    if (c.domain !== domain) return Errno.EBUSY;
  } else {
    if (foreignDomain(c)) return Errno.EBUSY;
    attachMembers(c, domain);
    c.domain = domain;
  }
  c.attach_cnt = Math.min((c.attach_cnt as number) + 1, attachCntMax(c.devices.length));
  return Errno.OK;
}

/**
 * v4 tree's `__iommu_detach_group(domain, group)`: with the group owned by a user
 * (`dma_owner == DMA_OWNER_PRIVATE_DOMAIN_USER`) detach every member and leave no domain;
 * otherwise re-attach the default domain unless already there.
 */
function detachGroup(c: C): void {
  if (dmaOwner(c) === 'DMA_OWNER_PRIVATE_DOMAIN_USER') {
    attachMembers(c, null);
    c.domain = null;
    return;
  }
  if (c.domain === 'default') return;
  attachMembers(c, 'default');
  c.domain = 'default';
}

/**
 * Lu's `iommu_detach_device(domain, dev)` on a group member; returns whether a WARN_ON fired.
 * `if (WARN_ON(!group->attach_cnt || group->domain != domain)) goto unlock_out;
 * if (--group->attach_cnt == 0) __iommu_detach_group(domain, group);`
 */
export function detachDevice(c: C, domain: C['domain']): boolean {
  if ((c.attach_cnt as number) === 0 || c.domain !== domain) return true;
  c.attach_cnt = (c.attach_cnt as number) - 1;
  if (c.attach_cnt === 0) detachGroup(c);
  return false;
}

const members = (c: C) => c.devices.map((d, i) => (d.in_group ? i : -1)).filter((i) => i >= 0);

export const machine = setup({
  types: {} as { context: C; events: E; input: { devices: number } },
  guards: {
    ...classifierGuards(standardClassify),
    // driver core: vfio-pci sets suppress_auto_claim_dma_owner, so dma_configure calls nothing for it.
    'bind:suppress_auto_claim_dma_owner': ({ event }: Args) => (event as { driver: string }).driver === 'vfio',
    // iommu_device_set_dma_owner(dev, DMA_OWNER_DMA_API, NULL): `if (!group) return 0;` (DMA_API only)
    'set_owner(dev):!group': ({ context, event }: Args) => !context.devices[dev(event)].in_group,
    // __iommu_group_set_dma_owner(): `if (refcount_inc_not_zero(&owner_cnt)) { if (dma_owner != owner || owner_cookie != cookie) -EBUSY`
    'set_owner:owner_cnt && (dma_owner != DMA_API || cookie)': ({ context }: Args) =>
      context.owner_cnt !== 0 && (dmaOwner(context) !== 'DMA_OWNER_DMA_API' || context.owner !== null),
    // `... return 0; }` (the count was taken)
    'set_owner:owner_cnt': ({ context }: Args) => context.owner_cnt !== 0,
    'set_owner:owner_cnt && (dma_owner != USER || cookie != file)': ({ context, event }: Args) =>
      context.owner_cnt !== 0 && (dmaOwner(context) !== 'DMA_OWNER_PRIVATE_DOMAIN_USER' || context.owner !== ownerOf(event)),
    // USER: `if (group->domain) { if (group->domain != group->default_domain) { dma_owner = NONE; return -EBUSY; }`
    'set_owner(USER):domain && domain != default_domain': ({ context }: Args) => foreignDomain(context),
    // `__iommu_detach_group(group->domain, group);` only `if (group->domain)`
    'set_owner(USER):domain': ({ context }: Args) => context.domain !== null,
    'unbind:!kernel': ({ context, event }: Args) => context.devices[dev(event)].driver !== 'kernel',
    // iommu_device_release_dma_owner(dev, DMA_API): `if (!group) { WARN_ON(owner != DMA_OWNER_DMA_API); return; }`
    'release(dev):!group': ({ context, event }: Args) => !context.devices[dev(event)].in_group,
    // __iommu_group_release_dma_owner(): `if (WARN_ON(group->dma_owner != owner)) return;`
    'release:WARN_ON(dma_owner != DMA_API)': ({ context }: Args) => dmaOwner(context) !== 'DMA_OWNER_DMA_API',
    'release:WARN_ON(dma_owner != USER)': ({ context }: Args) => dmaOwner(context) !== 'DMA_OWNER_PRIVATE_DOMAIN_USER',
    // `if (!refcount_dec_and_test(&group->owner_cnt)) return;`
    'release:!dec_and_test(owner_cnt)': ({ context }: Args) => context.owner_cnt > 1,
    // USER: `if (!WARN_ON(group->domain) && group->default_domain) __iommu_attach_group(default_domain, group);`
    'release:WARN_ON(domain)': ({ context }: Args) => context.domain !== null,
    // iommu_probe_device() (v4 tree): `if (group->default_domain && group->dma_owner != DMA_OWNER_PRIVATE_DOMAIN_USER)`
    'probe:dma_owner == USER': ({ context }: Args) => dmaOwner(context) === 'DMA_OWNER_PRIVATE_DOMAIN_USER',
    // Lu's iommu_attach_device(): `group = iommu_group_get(dev); if (!group) return -ENODEV;`
    'attach(dev):!group': ({ context, event }: Args) => !context.devices[dev(event)].in_group,
    // Lu's iommu_detach_device(): `if (WARN_ON(!group)) return;`
    'detach(dev):WARN_ON(!group)': ({ context, event }: Args) => !context.devices[dev(event)].in_group,
  },
  actions: {
    ret0: effect<C, E>((c) => { c.ret = Errno.OK; c.warn = false; }),
    retEBUSY: effect<C, E>((c) => { c.ret = Errno.EBUSY; c.warn = false; }),
    retENODEV: effect<C, E>((c) => { c.ret = Errno.ENODEV; c.warn = false; }),
    WARN_ON: effect<C, E>((c) => { c.warn = true; }),

    // ---- driver core ----
    bindVfio: effect<C, E>((c, e) => bindDriver(c, dev(e), 'vfio', false)),
    bindKernelUncounted: effect<C, E>((c, e) => bindDriver(c, dev(e), 'kernel', false)),
    bindKernelCounted: effect<C, E>((c, e) => bindDriver(c, dev(e), 'kernel', true)),
    unbind: effect<C, E>((c, e) => unbindDriver(c, dev(e))),
    /** `refcount_inc_not_zero(&group->owner_cnt)` succeeded. */
    'owner_cnt++': effect<C, E>((c) => { c.owner_cnt++; }),
    /** `refcount_dec_and_test(&group->owner_cnt)` */
    'owner_cnt--': effect<C, E>((c) => { c.owner_cnt--; }),
    /** `group->dma_owner = DMA_OWNER_DMA_API; group->owner_cookie = NULL; refcount_set(&group->owner_cnt, 1);` */
    setDmaApi: effect<C, E>((c) => { c.dma_owner = 'DMA_OWNER_DMA_API'; c.owner = null; c.owner_cnt = 1; }),
    /** `group->dma_owner = DMA_OWNER_NONE;` (the stale cookie is never read again while owner_cnt is 0; the model clears it) */
    setNone: effect<C, E>((c) => { c.dma_owner = 'DMA_OWNER_NONE'; c.owner = null; }),

    // ---- iommu_probe_device() / iommu_release_device() ----
    /** iommu_group_add_device(): joins the list; `if (group->domain) __iommu_attach_device(group->domain, dev)`. */
    addToGroup: effect<C, E>((c, e) => { const d = c.devices[dev(e)]; d.in_group = true; d.domain = c.domain; }),
    /** `__iommu_attach_device(group->default_domain, dev)` */
    attachDefaultToDevice: effect<C, E>((c, e) => { c.devices[dev(e)].domain = 'default'; }),
    removeFromGroup: effect<C, E>((c, e) => { const d = c.devices[dev(e)]; d.in_group = false; d.domain = null; }),

    // ---- VFIO ownership ----
    /** USER, first claim: `group->dma_owner = owner;` then (if a domain) `__iommu_detach_group()`, cookie, count 1. */
    claimDetach: effect<C, E>((c, e) => { c.dma_owner = 'DMA_OWNER_PRIVATE_DOMAIN_USER'; detachGroup(c); c.owner = ownerOf(e); c.owner_cnt = 1; }),
    claimNoDomain: effect<C, E>((c, e) => { c.dma_owner = 'DMA_OWNER_PRIVATE_DOMAIN_USER'; c.owner = ownerOf(e); c.owner_cnt = 1; }),
    /** USER release: `__iommu_attach_group(group->default_domain, group)` (the group is on no domain). */
    attachDefaultGroup: effect<C, E>((c) => { attachMembers(c, 'default'); c.domain = 'default'; }),

    // ---- VFIO attach / detach, one device at a time ----
    /** `iommu_group_for_each_dev(group, dom, iommu_attach_device)`: stops at the first error and returns it. */
    attachEachMember: effect<C, E>((c, e) => {
      c.ret = Errno.OK;
      c.warn = false;
      for (let i = 0; i < members(c).length; i++) {
        const r = attachDevice(c, dom(e));
        if (r !== Errno.OK) { c.ret = r; break; }
      }
      if (c.ret === Errno.OK) markAttached(c, dom(e));
    }),
    /** `iommu_group_for_each_dev(group, dom, iommu_detach_device)`: one detach per member of the moment. */
    detachEachMember: effect<C, E>((c, e) => {
      c.ret = Errno.OK;
      c.warn = false;
      for (let i = 0; i < members(c).length; i++) if (detachDevice(c, dom(e))) c.warn = true;
      markDetached(c, dom(e));
    }),
    /** A kernel driver's `iommu_attach_device(priv, dev)`. */
    attachOne: effect<C, E>((c, e) => {
      c.ret = attachDevice(c, dom(e));
      c.warn = false;
      if (c.ret === Errno.OK && dom(e) === 'priv') c.devices[dev(e)].priv = true;
    }),
    /** A kernel driver's `iommu_detach_device(priv, dev)`. */
    detachOne: effect<C, E>((c, e) => {
      c.ret = Errno.OK;
      c.warn = detachDevice(c, dom(e));
      if (dom(e) === 'priv') c.devices[dev(e)].priv = false;
    }),
    privDetached: effect<C, E>((c, e) => { if (dom(e) === 'priv') c.devices[dev(e)].priv = false; }),

    // ---- caller bookkeeping (not kernel state) ----
    userClaimed: effect<C, E>((c, e) => markClaimed(c, ownerOf(e))),
    userReleased: effect<C, E>((c, e) => markReleased(c, ownerOf(e))),
  },
}).createMachine({
  id: 'vfio-per-device',
  context: ({ input }) => standardInitialContext(input.devices, { dma_owner: 'DMA_OWNER_NONE', attach_cnt: 0 }),
  initial: 'unowned',
  on: {
    // Hot-plug: iommu_probe_device() (v4 tree) and iommu_release_device().
    probe_device: [
      { guard: 'probe:dma_owner == USER', actions: ['ret0', 'addToGroup'] },
      { actions: ['ret0', 'addToGroup', 'attachDefaultToDevice'] },
    ],
    release_device: { actions: ['ret0', 'removeFromGroup'] },

    // Driver core: dma_configure -> iommu_device_set_dma_owner(dev, DMA_OWNER_DMA_API, NULL).
    bind_driver: [
      { guard: 'bind:suppress_auto_claim_dma_owner', actions: ['ret0', 'bindVfio'] },
      { guard: 'set_owner(dev):!group', actions: ['ret0', 'bindKernelUncounted'] },
      { guard: 'set_owner:owner_cnt && (dma_owner != DMA_API || cookie)', actions: ['retEBUSY'] },
      { guard: 'set_owner:owner_cnt', actions: ['ret0', 'owner_cnt++', 'bindKernelCounted'] },
      { actions: ['ret0', 'setDmaApi', 'bindKernelCounted'] },
    ],
    // Driver core: dma_cleanup -> iommu_device_release_dma_owner(dev, DMA_OWNER_DMA_API).
    unbind_driver: [
      { guard: 'unbind:!kernel', actions: ['ret0', 'unbind'] },
      { guard: 'release(dev):!group', actions: ['ret0', 'unbind'] },
      { guard: 'release:WARN_ON(dma_owner != DMA_API)', actions: ['ret0', 'unbind', 'WARN_ON'] },
      { guard: 'release:!dec_and_test(owner_cnt)', actions: ['ret0', 'owner_cnt--', 'unbind'] },
      { actions: ['ret0', 'owner_cnt--', 'setNone', 'unbind'] },
    ],

    // VFIO: iommu_group_set_dma_owner(group, DMA_OWNER_PRIVATE_DOMAIN_USER, file).
    claim: [
      { guard: 'set_owner:owner_cnt && (dma_owner != USER || cookie != file)', actions: ['retEBUSY'] },
      { guard: 'set_owner:owner_cnt', actions: ['ret0', 'owner_cnt++', 'userClaimed'] },
      { guard: 'set_owner(USER):domain && domain != default_domain', actions: ['retEBUSY'] },
      { guard: 'set_owner(USER):domain', actions: ['ret0', 'claimDetach', 'userClaimed'] },
      { actions: ['ret0', 'claimNoDomain', 'userClaimed'] },
    ],
    // VFIO: iommu_group_release_dma_owner(group, DMA_OWNER_PRIVATE_DOMAIN_USER).
    release: [
      { guard: 'release:WARN_ON(dma_owner != USER)', actions: ['ret0', 'userReleased', 'WARN_ON'] },
      { guard: 'release:!dec_and_test(owner_cnt)', actions: ['ret0', 'owner_cnt--', 'userReleased'] },
      { guard: 'release:WARN_ON(domain)', actions: ['ret0', 'owner_cnt--', 'setNone', 'userReleased', 'WARN_ON'] },
      { actions: ['ret0', 'owner_cnt--', 'setNone', 'attachDefaultGroup', 'userReleased'] },
    ],
    // VFIO type1, as proposed: iommu_group_for_each_dev(group, dom, iommu_attach_device).
    attach_group: { actions: ['attachEachMember'] },
    // ... and iommu_group_for_each_dev(group, dom, iommu_detach_device).
    detach_group: { actions: ['detachEachMember'] },
    // A kernel driver's private domain: Lu's refcounted iommu_attach_device().
    attach_device: [
      { guard: 'attach(dev):!group', actions: ['retENODEV'] },
      { actions: ['attachOne'] },
    ],
    detach_device: [
      { guard: 'detach(dev):WARN_ON(!group)', actions: ['ret0', 'privDetached', 'WARN_ON'] },
      { actions: ['detachOne'] },
    ],
  } as any,
  states: groupStates(),
});

export const design: Design = {
  name: 'vfio-per-device',
  title: 'VFIO attaching per device (for_each_dev + refcounted iommu_attach_device) on the v4 ownership',
  source: 'seed 001_*: Lu Baolu, 23 Dec 2021 ("essentially equivalent to iommu_group_for_each_dev(group, iommu_attach_device(dev))"); answered in 002_*',
  machine,
  schema: (devices) => standardSchema(devices, { group: { dma_owner: oneOf(DMA_OWNER), attach_cnt: int(0, attachCntMax(devices)) } }),
  initialContext: (devices) => standardInitialContext(devices, { dma_owner: 'DMA_OWNER_NONE', attach_cnt: 0 }),
  classify: standardClassify,
  // v4's owner_cnt: the VFIO claim while a user owns the group, else one per counted DMA-API driver.
  expectedOwnerCnt: (c) => (c.owner !== null ? 1 : 0) + c.devices.filter((d) => d.counted).length,
  events: ['probe_device', 'release_device', 'bind_driver', 'unbind_driver', 'claim', 'release', 'attach_group', 'detach_group', 'attach_device', 'detach_device'],
};
