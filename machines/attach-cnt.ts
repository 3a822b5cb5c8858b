/**
 * attach-cnt: Lu Baolu's proposal of 21 Dec 2021 in the v4 07/13 thread (seed 000_*): instead of
 * a second `_shared` API, `iommu_attach_device()` itself is refcounted with `attach_cnt`: the
 * first call attaches the domain to the whole group, later calls with the same domain only
 * count, a different domain gets -EBUSY; `iommu_detach_device()` detaches when the count drops
 * to zero and WARNs on an unbalanced or mismatched call. There is no singleton-group check and
 * no DMA-ownership check in either. The rest of the tree is the v4 series it replies to (01/13
 * set/release DMA ownership, 02/13 driver core, 05/13 USER detaches and re-attaches, 06/13 and
 * 08/13 VFIO), as in `machines/v4-shared.ts`, without 07/13 and 13/13.
 *
 * Group fields: `dma_owner`, `owner_cnt`, `owner` (the `owner_cookie`, cleared when the count
 * drops to 0: v4 reads it only while `owner_cnt != 0`), `attach_cnt`.
 *
 * Left out (see docs/designs/attach-cnt.md): groups without a default domain, IOMMU driver
 * attach failures.
 */
import { setup } from 'xstate';
import { effect } from '../src/machine/effect';
import type { GroupContext } from '../src/model/context';
import type { IommuEvent } from '../src/iommu/events';
import type { Design } from '../src/iommu/design';
import { callerActions } from '../src/iommu/callers';
import { int, oneOf } from '../src/model/schema';
import { Errno } from '../src/model/vocabulary';
import { classifierGuards, groupStates, standardClassify } from './shared/groupStates';
import { standardInitialContext, standardSchema } from './shared/standard';
import { v4OwnershipCalls } from './shared/v4Calls';
import {
  attachMembers, bindDriver, markAttached, markClaimed, markDetached, markReleased, removeMember,
  unbindDriver,
} from './shared/ghost';

/** enum iommu_dma_owner of v4 01/13 (no NONE: a zero count leaves DMA_API). */
export const DMA_OWNERS = ['DMA_API', 'PRIVATE_DOMAIN', 'PRIVATE_DOMAIN_USER'] as const;
type DmaOwner = (typeof DMA_OWNERS)[number];
type C = GroupContext & { dma_owner: DmaOwner; attach_cnt: number };
type E = IommuEvent;
type Args = { context: C; event: E };
const dev = (e: E) => (e as { dev: number }).dev;
const dom = (e: E) => (e as { domain: C['domain'] }).domain;
const file = (e: E) => (e as { owner: C['owner'] }).owner;
const USER: DmaOwner = 'PRIVATE_DOMAIN_USER';

/** v4 05/13 `__iommu_detach_group()`: while USER, detach every member and leave no domain. */
function detachGroup(c: C): void {
  if (c.dma_owner === USER) {
    attachMembers(c, null);
    c.domain = null;
    return;
  }
  if (c.domain === 'default') return;
  attachMembers(c, 'default');
  c.domain = 'default';
}

/**
 * Counts saturate at their schema maximum (`owner_cnt` devices + 1, `attach_cnt` devices), which
 * the modelled callers never exceed; only a replay repeating a call could, and the kernel's
 * counter would go on counting there.
 */
const inc = (n: number, max: number) => Math.min(n + 1, max);

/**
 * The Tegra-like driver of this design: v4 13/13 with `iommu_attach_device_shared()` replaced by
 * Lu's `iommu_attach_device()`, which the proposal offers instead of it. The driver sets
 * suppress_auto_claim_dma_owner (02/13), so it holds nothing until its attach path:
 * `iommu_device_set_dma_owner(dev, DMA_OWNER_PRIVATE_DOMAIN, NULL)`, then the attach, releasing
 * PRIVATE_DOMAIN when the attach fails; its detach path is the detach, then the release.
 */
function setPrivateDomain(c: C, d: number): number {
  // 01/13: `if (!group) { if (owner == DMA_OWNER_DMA_API) return 0; else return -ENODEV; }`
  if (!c.devices[d].in_group) return Errno.ENODEV;
  // `if (group->owner_cnt && (group->dma_owner != owner || group->owner_cookie != owner_cookie)) -EBUSY`
  if (c.owner_cnt !== 0 && (c.dma_owner !== 'PRIVATE_DOMAIN' || c.owner !== null)) return Errno.EBUSY;
  c.dma_owner = 'PRIVATE_DOMAIN';
  c.owner = null;
  c.owner_cnt = inc(c.owner_cnt, c.devices.length + 1);
  return Errno.OK;
}

/** iommu_device_release_dma_owner(dev, DMA_OWNER_PRIVATE_DOMAIN); returns whether a WARN_ON fired. */
function releasePrivateDomain(c: C, d: number): boolean {
  if (!c.devices[d].in_group) return true; // `WARN_ON(owner != DMA_OWNER_DMA_API)`
  if (c.owner_cnt === 0 || c.dma_owner !== 'PRIVATE_DOMAIN') return true; // `WARN_ON(!owner_cnt || dma_owner != owner)`
  if (--c.owner_cnt > 0) return false;
  c.dma_owner = 'DMA_API';
  c.owner = null;
  return false;
}

/** Lu's iommu_attach_device() on a member (21 Dec); returns the kernel's value. */
function luAttachDevice(c: C, domain: C['domain']): number {
  if (c.attach_cnt !== 0) {
    if (c.domain !== domain) return Errno.EBUSY;
  } else {
    if (c.domain !== null && c.domain !== 'default') return Errno.EBUSY; // __iommu_attach_group()
    attachMembers(c, domain);
    c.domain = domain;
  }
  c.attach_cnt = inc(c.attach_cnt, c.devices.length);
  return Errno.OK;
}

/** Lu's iommu_detach_device(); returns whether a WARN_ON fired. */
function luDetachDevice(c: C, domain: C['domain'], d: number): boolean {
  if (!c.devices[d].in_group) return true; // `if (WARN_ON(!group)) return;`
  if (c.attach_cnt === 0 || c.domain !== domain) return true; // `WARN_ON(!attach_cnt || domain != domain)`
  if (--c.attach_cnt === 0) detachGroup(c);
  return false;
}

export const machine = setup({
  types: {} as { context: C; events: E; input: { devices: number } },
  guards: {
    ...classifierGuards(standardClassify),
    // iommu_probe_device() (05/13): `if (group->default_domain && group->dma_owner != DMA_OWNER_PRIVATE_DOMAIN_USER)`
    'probe:dma_owner == USER': ({ context }: Args) => context.dma_owner === USER,
    // 02/13 really_probe(): `if (!drv->suppress_auto_claim_dma_owner)` set DMA_API; vfio-pci (08/13)
    // and the Tegra-like driver (13/13) set suppress_auto_claim_dma_owner.
    'bind:suppress_auto_claim_dma_owner': ({ event }: Args) => (event as { driver: string }).driver !== 'kernel',
    // iommu_device_set_dma_owner(): `if (!group) { if (owner == DMA_OWNER_DMA_API) return 0; else return -ENODEV; }`
    'set:!group': ({ context, event }: Args) => !context.devices[dev(event)].in_group,
    // iommu_group_set_dma_owner(DMA_API, NULL): `if (group->owner_cnt && (group->dma_owner != owner || group->owner_cookie != owner_cookie)) -EBUSY`
    'set(DMA_API):owner_cnt && (dma_owner != owner || cookie != NULL)': ({ context }: Args) =>
      context.owner_cnt !== 0 && (context.dma_owner !== 'DMA_API' || context.owner !== null),
    'unbind:!kernel': ({ context, event }: Args) => context.devices[dev(event)].driver !== 'kernel',
    // iommu_device_release_dma_owner(): `if (!group) { WARN_ON(owner != DMA_OWNER_DMA_API); return; }`
    'release:!group': ({ context, event }: Args) => !context.devices[dev(event)].in_group,
    // iommu_group_release_dma_owner(DMA_API): `if (WARN_ON(!group->owner_cnt || group->dma_owner != owner))`
    'release(DMA_API):WARN_ON(!owner_cnt || dma_owner != owner)': ({ context }: Args) => context.owner_cnt === 0 || context.dma_owner !== 'DMA_API',
    // `if (--group->owner_cnt > 0) goto unlock_out;`
    'release:--owner_cnt > 0': ({ context }: Args) => context.owner_cnt > 1,
    // iommu_group_set_dma_owner(USER, file): the same -EBUSY test with owner USER and the file as cookie
    'set(USER):owner_cnt && (dma_owner != owner || cookie != file)': ({ context, event }: Args) =>
      context.owner_cnt !== 0 && (context.dma_owner !== USER || context.owner !== file(event)),
    // 05/13: `if (owner == USER && group->domain && !WARN_ON(group->domain != group->default_domain)) __iommu_detach_group()`
    'set(USER):domain && WARN_ON(domain != default_domain)': ({ context }: Args) => context.domain !== null && context.domain !== 'default',
    'set(USER):domain': ({ context }: Args) => context.domain !== null,
    // iommu_group_release_dma_owner(USER): `WARN_ON(!group->owner_cnt || group->dma_owner != owner)`
    'release(USER):WARN_ON(!owner_cnt || dma_owner != owner)': ({ context }: Args) => context.owner_cnt === 0 || context.dma_owner !== USER,
    // last USER (05/13): `if (!WARN_ON(group->domain) && group->default_domain) __iommu_attach_group(default_domain, group);`
    'release(USER):last && WARN_ON(domain)': ({ context }: Args) => context.owner_cnt === 1 && context.domain !== null,
    // __iommu_attach_group() (05/13): `if (group->domain && group->domain != group->default_domain) return -EBUSY;`
    'attach_group:domain && domain != default_domain': ({ context }: Args) => context.domain !== null && context.domain !== 'default',
    // __iommu_detach_group() (05/13): `if (!group->default_domain || group->dma_owner == DMA_OWNER_PRIVATE_DOMAIN_USER)`
    'detach_group:dma_owner == USER': ({ context }: Args) => context.dma_owner === USER,
    'detach_group:domain == default_domain': ({ context }: Args) => context.domain === 'default',
    // Lu's iommu_attach_device(): `group = iommu_group_get(dev); if (!group) return -ENODEV;`
    'attach:!group': ({ context, event }: Args) => !context.devices[dev(event)].in_group,
    // `if (group->attach_cnt) { if (group->domain != domain) { ret = -EBUSY; ...} }`
    'attach:attach_cnt && domain != domain': ({ context, event }: Args) => context.attach_cnt !== 0 && context.domain !== dom(event),
    'attach:attach_cnt': ({ context }: Args) => context.attach_cnt !== 0,
    // Lu's iommu_detach_device(): `if (WARN_ON(!group)) return;`
    'detach:WARN_ON(!group)': ({ context, event }: Args) => !context.devices[dev(event)].in_group,
    // `if (WARN_ON(!group->attach_cnt || group->domain != domain)) goto unlock_out;`
    'detach:WARN_ON(!attach_cnt || domain != domain)': ({ context, event }: Args) => context.attach_cnt === 0 || context.domain !== dom(event),
    // `if (--group->attach_cnt == 0) __iommu_detach_group(domain, group);` and that function's branches
    'detach:--attach_cnt == 0 && dma_owner == USER': ({ context }: Args) => context.attach_cnt === 1 && context.dma_owner === USER,
    'detach:--attach_cnt == 0 && domain == default_domain': ({ context }: Args) => context.attach_cnt === 1 && context.domain === 'default',
    'detach:--attach_cnt == 0': ({ context }: Args) => context.attach_cnt === 1,
    // The caller is the Tegra-like driver (its attach and detach paths wrap Lu's calls in 01/13's set/release).
    'driver == tegra': ({ context, event }: Args) => context.devices[dev(event)].driver === 'tegra',
  },
  actions: {
    ret0: effect<C, E>((c) => { c.ret = Errno.OK; c.warn = false; }),
    retEBUSY: effect<C, E>((c) => { c.ret = Errno.EBUSY; c.warn = false; }),
    retENODEV: effect<C, E>((c) => { c.ret = Errno.ENODEV; c.warn = false; }),
    WARN_ON: effect<C, E>((c) => { c.warn = true; }),

    /** vfio-pci or the Tegra-like driver: bound, nothing claimed. */
    bindSuppressed: effect<C, E>((c, e) => bindDriver(c, dev(e), (e as { driver: 'vfio' | 'tegra' }).driver, false)),
    bindKernelUncounted: effect<C, E>((c, e) => bindDriver(c, dev(e), 'kernel', false)),
    bindKernelCounted: effect<C, E>((c, e) => bindDriver(c, dev(e), 'kernel', true)),
    unbind: effect<C, E>((c, e) => unbindDriver(c, dev(e))),
    /** `group->dma_owner = owner; group->owner_cookie = owner_cookie; group->owner_cnt++;` */
    'set(DMA_API)': effect<C, E>((c) => { c.dma_owner = 'DMA_API'; c.owner = null; c.owner_cnt = inc(c.owner_cnt, c.devices.length + 1); }),
    'set(USER)': effect<C, E>((c, e) => { c.dma_owner = USER; c.owner = file(e); c.owner_cnt = inc(c.owner_cnt, c.devices.length + 1); }),
    /** `--group->owner_cnt` with more owners left */
    'owner_cnt--': effect<C, E>((c) => { c.owner_cnt--; }),
    /** `--group->owner_cnt` reaching 0: `group->dma_owner = DMA_OWNER_DMA_API;` (cookie no longer read) */
    lastRelease: effect<C, E>((c) => { c.owner_cnt = 0; c.dma_owner = 'DMA_API'; c.owner = null; }),

    addToGroup: effect<C, E>((c, e) => { const d = c.devices[dev(e)]; d.in_group = true; d.domain = c.domain; }),
    attachDefaultToDevice: effect<C, E>((c, e) => { c.devices[dev(e)].domain = 'default'; }),
    removeFromGroup: effect<C, E>((c, e) => removeMember(c, dev(e))),
    detachGroup: effect<C, E>((c) => detachGroup(c)),
    attachGroup: effect<C, E>((c, e) => { attachMembers(c, dom(e)); c.domain = dom(e); }),
    attachDefaultGroup: effect<C, E>((c) => { attachMembers(c, 'default'); c.domain = 'default'; }),
    'attach_cnt++': effect<C, E>((c) => { c.attach_cnt = inc(c.attach_cnt, c.devices.length); }),
    'attach_cnt--': effect<C, E>((c) => { c.attach_cnt--; }),

    userClaimed: effect<C, E>((c, e) => markClaimed(c, file(e))),
    userReleased: effect<C, E>((c, e) => markReleased(c, file(e))),
    userAttached: effect<C, E>((c, e) => markAttached(c, dom(e))),
    userDetached: effect<C, E>((c, e) => markDetached(c, dom(e))),
    privAttached: effect<C, E>((c, e) => { if (dom(e) === 'priv') c.devices[dev(e)].priv = true; }),
    privDetached: effect<C, E>((c, e) => { if (dom(e) === 'priv') c.devices[dev(e)].priv = false; }),
    /** The Tegra-like attach path: set PRIVATE_DOMAIN, Lu's attach, release PRIVATE_DOMAIN if it failed. */
    tegraAttach: effect<C, E>((c, e) => {
      c.warn = false;
      c.ret = setPrivateDomain(c, dev(e));
      if (c.ret !== Errno.OK) return;
      c.ret = luAttachDevice(c, dom(e));
      if (c.ret !== Errno.OK) { if (releasePrivateDomain(c, dev(e))) c.warn = true; return; }
      if (dom(e) === 'priv') c.devices[dev(e)].priv = true;
    }),
    /** The Tegra-like detach path: Lu's detach, then release PRIVATE_DOMAIN. */
    tegraDetach: effect<C, E>((c, e) => {
      c.ret = Errno.OK;
      c.warn = luDetachDevice(c, dom(e), dev(e));
      if (releasePrivateDomain(c, dev(e))) c.warn = true;
      if (dom(e) === 'priv') c.devices[dev(e)].priv = false;
    }),
  },
}).createMachine({
  id: 'attach-cnt',
  context: ({ input }) => ({ ...standardInitialContext(input.devices), dma_owner: 'DMA_API', attach_cnt: 0 }) as C,
  initial: 'unowned',
  on: {
    ...v4OwnershipCalls,
    // Lu's iommu_attach_device() (21 Dec): refcounted, no group-size and no ownership check.
    attach_device: [
      { guard: 'driver == tegra', actions: ['tegraAttach'] },
      { guard: 'attach:!group', actions: ['retENODEV'] },
      { guard: 'attach:attach_cnt && domain != domain', actions: ['retEBUSY'] },
      { guard: 'attach:attach_cnt', actions: ['ret0', 'attach_cnt++', 'privAttached'] },
      { guard: 'attach_group:domain && domain != default_domain', actions: ['retEBUSY'] },
      { actions: ['ret0', 'attachGroup', 'attach_cnt++', 'privAttached'] },
    ],
    // Lu's iommu_detach_device() (21 Dec; posted as "iommu_detach_device_shared", corrected the same day).
    detach_device: [
      { guard: 'driver == tegra', actions: ['tegraDetach'] },
      { guard: 'detach:WARN_ON(!group)', actions: ['ret0', 'privDetached', 'WARN_ON'] },
      { guard: 'detach:WARN_ON(!attach_cnt || domain != domain)', actions: ['ret0', 'privDetached', 'WARN_ON'] },
      { guard: 'detach:--attach_cnt == 0 && dma_owner == USER', actions: ['ret0', 'attach_cnt--', 'detachGroup', 'privDetached'] },
      { guard: 'detach:--attach_cnt == 0 && domain == default_domain', actions: ['ret0', 'attach_cnt--', 'privDetached'] },
      { guard: 'detach:--attach_cnt == 0', actions: ['ret0', 'attach_cnt--', 'detachGroup', 'privDetached'] },
      { actions: ['ret0', 'attach_cnt--', 'privDetached'] },
    ],
  },
  states: groupStates(),
});

export const design: Design = {
  name: 'attach-cnt',
  title: "Lu's 21 Dec proposal: iommu_attach_device() refcounted with attach_cnt, on the v4 ownership core",
  source: 'seed 000_*: Lu Baolu, Re: [PATCH v4 07/13], 21 Dec 2021 ("How about below code?")',
  machine,
  schema: (devices) => standardSchema(devices, { group: { dma_owner: oneOf(DMA_OWNERS), attach_cnt: int(0, devices) } }),
  initialContext: (devices) => standardInitialContext(devices, { dma_owner: 'DMA_API', attach_cnt: 0 }),
  classify: standardClassify,
  // One count per counted DMA_API driver, one per Tegra-like driver holding PRIVATE_DOMAIN (its
  // private domain attached), one for VFIO's PRIVATE_DOMAIN_USER.
  expectedOwnerCnt: (c) => (c.owner !== null ? 1 : 0) + c.devices.filter((d) => d.counted || (d.driver === 'tegra' && d.priv)).length,
  // iommu_attach_group() is the kernel's, open to a kernel driver's own domain (upstream Tegra).
  kernelAttachGroup: true,
  events: ['probe_device', 'release_device', 'bind_driver', 'unbind_driver', 'claim', 'release', 'attach_group', 'detach_group', 'attach_device', 'detach_device'],
  // The Tegra-like driver shares its private domain through this design's iommu_attach_device().
  callers: (n) => callerActions(n, { sharedPrivateDomain: true, sharedAttach: 'attach_device' }),
  drivers: ['kernel', 'vfio', 'tegra'],
};
