/**
 * v8: what was merged for v5.19 (commits 1ea2a07a532b, 512881eacfa7, 0286300e6045, as the
 * project's upstream notes summarise them): v7's use/unuse/claim/release with
 * - the bus `dma_configure` callbacks running the firmware configuration that probes the device
 *   into its group before `iommu_device_use_default_domain()`, and calling it only for drivers
 *   without `driver_managed_dma`;
 * - a blocking domain: claim attaches it, `iommu_detach_group()` goes back to it while owned
 *   (`__iommu_group_set_core_domain()`), release attaches the default domain;
 * - `__iommu_attach_group()` refusing unless the group is on no domain, the default or the
 *   blocking domain; `iommu_detach_device()` WARNing on a foreign domain.
 *
 * Every guard, return code and WARN_ON of that code is one guarded alternative below, in the
 * order the C code tests them. Left out (docs/designs/v8.md): groups without a default domain,
 * attach failures in the IOMMU driver (so `WARN(ret, ...)` after a core-domain attach never
 * fires and `__iommu_group_alloc_blocking_domain()` never fails), identity-domain aliasing in
 * later kernels, locking. iommufd.ts reuses this file's guards, actions and transitions.
 */
import { setup } from 'xstate';
import { effect } from '../src/machine/effect';
import type { GroupContext } from '../src/model/context';
import type { IommuEvent } from '../src/iommu/events';
import type { Design } from '../src/iommu/design';
import { Errno } from '../src/model/vocabulary';
import { classifierGuards, groupStates, standardClassify } from './shared/groupStates';
import { standardInitialContext, standardSchema } from './shared/standard';
import {
  attachMembers, bindDriver, markAttached, markClaimed, markDetached, markReleased, memberCount,
  removeMember, unbindDriver,
} from './shared/ghost';

type C = GroupContext;
type E = IommuEvent;
type Args = { context: C; event: E };
const dev = (e: E) => (e as { dev: number }).dev;
const dom = (e: E) => (e as { domain: C['domain'] }).domain;
const ownerOf = (e: E) => (e as { owner: C['owner'] }).owner;

/**
 * `__iommu_group_set_domain(group, new)`: nothing if the group is already on `new`, else every
 * member is attached to `new` and `group->domain = new` (attach never fails here).
 */
export function setGroupDomain(c: C, domain: C['domain']): void {
  if (c.domain === domain) return;
  attachMembers(c, domain);
  c.domain = domain;
}

/** `__iommu_group_set_core_domain()`: the blocking domain while owned, else the default domain. */
export function setCoreDomain(c: C): void {
  setGroupDomain(c, c.owner !== null ? 'blocking' : 'default');
}

/** iommu_probe_device() (v5.19): iommu_group_add_device() attaches `group->domain`; the default domain only if not owned. */
export function probeIntoGroup(c: C, d: number): void {
  const device = c.devices[d];
  device.in_group = true;
  device.domain = c.domain;
  if (c.owner === null) device.domain = 'default';
}

export const v8Guards = {
  ...classifierGuards(standardClassify),
  // pci_dma_configure() & co (512881eacfa7): `if (!ret && !driver->driver_managed_dma)` use_default_domain.
  'bind:driver_managed_dma': ({ event }: Args) => (event as { driver: string }).driver === 'vfio',
  // `if (group->owner_cnt) { if (group->domain != group->default_domain || group->owner) -EBUSY }`
  'use:owner_cnt && (domain != default_domain || owner)': ({ context }: Args) =>
    context.owner_cnt !== 0 && (context.domain !== 'default' || context.owner !== null),
  // pci_dma_cleanup() & co: unuse only for drivers without driver_managed_dma (vfio-pci), and only if bound.
  'unbind:!kernel': ({ context, event }: Args) => context.devices[dev(event)].driver !== 'kernel',
  // iommu_device_unuse_default_domain(): `if (!group) return;`
  'unuse:!group': ({ context, event }: Args) => !context.devices[dev(event)].in_group,
  // `if (!WARN_ON(!group->owner_cnt)) group->owner_cnt--;`
  'unuse:WARN_ON(!owner_cnt)': ({ context }: Args) => context.owner_cnt === 0,
  // iommu_group_claim_dma_owner(): `if (group->owner_cnt) -EPERM`
  'claim:owner_cnt': ({ context }: Args) => context.owner_cnt !== 0,
  // `if (group->domain && group->domain != group->default_domain) -EBUSY`
  'claim:domain && domain != default_domain': ({ context }: Args) => context.domain !== null && context.domain !== 'default',
  // iommu_group_release_dma_owner(): `if (WARN_ON(!group->owner_cnt || !group->owner)) goto unlock_out;`
  'release:WARN_ON(!owner_cnt || !owner)': ({ context }: Args) => context.owner_cnt === 0 || context.owner === null,
  // __iommu_attach_group(): `if (group->domain && group->domain != group->default_domain && group->domain != group->blocking_domain) -EBUSY`
  'attach_group:domain not NULL, default or blocking': ({ context }: Args) =>
    context.domain !== null && context.domain !== 'default' && context.domain !== 'blocking',
  // iommu_attach_device() / iommu_detach_device(): `group = iommu_group_get(dev); if (!group) ...`
  'device:!group': ({ context, event }: Args) => !context.devices[dev(event)].in_group,
  // iommu_attach_device(): `if (iommu_group_device_count(group) != 1) goto out_unlock;` (-EINVAL)
  'device:device_count != 1': ({ context }: Args) => memberCount(context) !== 1,
  // iommu_detach_device(): `if (WARN_ON(domain != group->domain) || ...`
  'detach_device:WARN_ON(domain != group->domain)': ({ context, event }: Args) => dom(event) !== context.domain,
  // `... || WARN_ON(iommu_group_device_count(group) != 1)) goto out_unlock;`
  'detach_device:WARN_ON(device_count != 1)': ({ context }: Args) => memberCount(context) !== 1,
};

export const v8Actions = {
  ret0: effect<C, E>((c) => { c.ret = Errno.OK; c.warn = false; }),
  retEPERM: effect<C, E>((c) => { c.ret = Errno.EPERM; c.warn = false; }),
  retEBUSY: effect<C, E>((c) => { c.ret = Errno.EBUSY; c.warn = false; }),
  retENODEV: effect<C, E>((c) => { c.ret = Errno.ENODEV; c.warn = false; }),
  retEINVAL: effect<C, E>((c) => { c.ret = Errno.EINVAL; c.warn = false; }),
  /** iommu_group_dma_owner_claimed(): `return user;` (owner_cnt) as a bool. */
  retOwnerClaimed: effect<C, E>((c) => { c.ret = c.owner_cnt !== 0 ? 1 : 0; c.warn = false; }),
  WARN_ON: effect<C, E>((c) => { c.warn = true; }),

  // ---- driver core ----
  /** really_probe() -> dma_configure() -> of/acpi_dma_configure() -> iommu_probe_device(), if not yet in the group. */
  probeIfOutside: effect<C, E>((c, e) => { if (!c.devices[dev(e)].in_group) probeIntoGroup(c, dev(e)); }),
  bindVfio: effect<C, E>((c, e) => bindDriver(c, dev(e), 'vfio', false)),
  bindKernelCounted: effect<C, E>((c, e) => bindDriver(c, dev(e), 'kernel', true)),
  unbind: effect<C, E>((c, e) => unbindDriver(c, dev(e))),
  /** `group->owner_cnt++` */
  'owner_cnt++': effect<C, E>((c) => { c.owner_cnt++; }),
  /** `group->owner_cnt--` */
  'owner_cnt--': effect<C, E>((c) => { c.owner_cnt--; }),

  // ---- iommu_probe_device() / iommu_release_device() ----
  /** iommu_probe_device(): `if (group->default_domain && !group->owner)` attach the default domain. */
  probe: effect<C, E>((c, e) => probeIntoGroup(c, dev(e))),
  /** iommu_group_remove_device(): leaves the list. */
  removeFromGroup: effect<C, E>((c, e) => removeMember(c, dev(e))),

  // ---- ownership ----
  /** claim: `__iommu_group_set_domain(group, group->blocking_domain); group->owner = owner;` */
  setBlockingAndOwner: effect<C, E>((c, e) => { setGroupDomain(c, 'blocking'); c.owner = ownerOf(e); }),
  /** release: `group->owner_cnt = 0; group->owner = NULL; __iommu_group_set_domain(group, group->default_domain);` */
  releaseToDefault: effect<C, E>((c) => { c.owner_cnt = 0; c.owner = null; setGroupDomain(c, 'default'); }),
  /** `__iommu_attach_group(domain, group)` past its guard: every member, then `group->domain = domain`. */
  attachGroup: effect<C, E>((c, e) => { attachMembers(c, dom(e)); c.domain = dom(e); }),
  /** `__iommu_group_set_core_domain(group)` */
  setCoreDomain: effect<C, E>((c) => setCoreDomain(c)),

  // ---- caller bookkeeping (not kernel state) ----
  userClaimed: effect<C, E>((c, e) => markClaimed(c, ownerOf(e))),
  userReleased: effect<C, E>((c, e) => markReleased(c, ownerOf(e))),
  userAttached: effect<C, E>((c, e) => markAttached(c, dom(e))),
  userDetached: effect<C, E>((c, e) => markDetached(c, dom(e))),
  privAttached: effect<C, E>((c, e) => { if (dom(e) === 'priv') c.devices[dev(e)].priv = true; }),
  privDetached: effect<C, E>((c, e) => { if (dom(e) === 'priv') c.devices[dev(e)].priv = false; }),
};

/** The kernel calls of v5.19 that every caller of the group API makes (iommufd.ts keeps them). */
export const v8On = {
  // Hot-plug: iommu_probe_device() (v5.19) and iommu_release_device().
  probe_device: { actions: ['ret0', 'probe'] },
  release_device: { actions: ['ret0', 'removeFromGroup'] },

  // Driver core: really_probe() -> dma_configure(): firmware configuration (which probes the
  // device into its group), then iommu_device_use_default_domain() unless driver_managed_dma.
  // use's `if (!group) return 0;` is dead: the device is in its group by then. Its guards read
  // only group fields, which the probe does not change, so they are tested before it runs.
  bind_driver: [
    { guard: 'bind:driver_managed_dma', actions: ['ret0', 'probeIfOutside', 'bindVfio'] },
    { guard: 'use:owner_cnt && (domain != default_domain || owner)', actions: ['retEBUSY', 'probeIfOutside'] },
    { actions: ['ret0', 'probeIfOutside', 'owner_cnt++', 'bindKernelCounted'] },
  ],
  // Driver core: __device_release_driver() -> dma_cleanup() -> iommu_device_unuse_default_domain().
  unbind_driver: [
    { guard: 'unbind:!kernel', actions: ['ret0', 'unbind'] },
    { guard: 'unuse:!group', actions: ['ret0', 'unbind'] },
    { guard: 'unuse:WARN_ON(!owner_cnt)', actions: ['ret0', 'unbind', 'WARN_ON'] },
    { actions: ['ret0', 'owner_cnt--', 'unbind'] },
  ],

  // VFIO type1: iommu_attach_group() -> __iommu_attach_group().
  attach_group: [
    { guard: 'attach_group:domain not NULL, default or blocking', actions: ['retEBUSY'] },
    { actions: ['ret0', 'attachGroup', 'userAttached'] },
  ],
  // VFIO type1: iommu_detach_group() -> __iommu_group_set_core_domain().
  detach_group: { actions: ['ret0', 'setCoreDomain', 'userDetached'] },
  // A kernel driver's private domain: iommu_attach_device() (one-device groups only).
  attach_device: [
    { guard: 'device:!group', actions: ['retENODEV'] },
    { guard: 'device:device_count != 1', actions: ['retEINVAL'] },
    { guard: 'attach_group:domain not NULL, default or blocking', actions: ['retEBUSY'] },
    { actions: ['ret0', 'attachGroup', 'privAttached'] },
  ],
  // iommu_detach_device(): `if (!group) return;`, two WARN_ONs, then __iommu_group_set_core_domain().
  detach_device: [
    { guard: 'device:!group', actions: ['ret0', 'privDetached'] },
    { guard: 'detach_device:WARN_ON(domain != group->domain)', actions: ['ret0', 'privDetached', 'WARN_ON'] },
    { guard: 'detach_device:WARN_ON(device_count != 1)', actions: ['ret0', 'privDetached', 'WARN_ON'] },
    { actions: ['ret0', 'setCoreDomain', 'privDetached'] },
  ],
  // iommu_group_dma_owner_claimed(): a query; changes nothing.
  owner_claimed: { actions: ['retOwnerClaimed'] },
} as const;

export const machine = setup({
  types: {} as { context: C; events: E; input: { devices: number } },
  guards: v8Guards,
  actions: v8Actions,
}).createMachine({
  id: 'v8',
  context: ({ input }) => standardInitialContext(input.devices),
  initial: 'unowned',
  on: {
    ...v8On,
    // VFIO (group set to a container): iommu_group_claim_dma_owner(group, file).
    claim: [
      { guard: 'claim:owner_cnt', actions: ['retEPERM'] },
      { guard: 'claim:domain && domain != default_domain', actions: ['retEBUSY'] },
      { actions: ['ret0', 'setBlockingAndOwner', 'owner_cnt++', 'userClaimed'] },
    ],
    // VFIO (group unset): iommu_group_release_dma_owner(group) (the kernel takes no owner; `owner` names the caller).
    release: [
      { guard: 'release:WARN_ON(!owner_cnt || !owner)', actions: ['ret0', 'userReleased', 'WARN_ON'] },
      { actions: ['ret0', 'releaseToDefault', 'userReleased'] },
    ],
  } as any,
  states: groupStates(),
});

/** The claim holds one count while owned; each counted DMA-API driver one. */
export function v8ExpectedOwnerCnt(c: C): number {
  return (c.owner !== null ? 1 : 0) + c.devices.filter((d) => d.counted).length;
}

export const design: Design = {
  name: 'v8',
  title: 'v5.19 as merged: use after the device is in its group, blocking domain while owned',
  source: 'upstream 1ea2a07a532b, 512881eacfa7, 0286300e6045 (v5.19)',
  machine,
  schema: (devices) => standardSchema(devices),
  initialContext: (devices) => standardInitialContext(devices),
  classify: standardClassify,
  expectedOwnerCnt: v8ExpectedOwnerCnt,
  // iommu_attach_group() is the kernel's, open to a kernel driver's own domain (upstream Tegra).
  kernelAttachGroup: true,
  events: ['probe_device', 'release_device', 'bind_driver', 'unbind_driver', 'claim', 'release', 'attach_group', 'detach_group', 'attach_device', 'detach_device', 'owner_claimed'],
  // dma_configure() puts the device in its group before vfio-pci's probe looks for the group.
  bindJoinsGroup: true,
};
