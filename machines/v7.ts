/**
 * v7: "[v7,01/11] iommu: Add DMA ownership management interfaces" (seed 003_*, Feb 2022), on
 * the tree it applies to (v5.17-rc: `iommu_attach_device` limited to one-device groups by
 * 426a273834ea, `iommu_group_add_device` attaching `group->domain` to a joining device).
 *
 * Modelled: `iommu_device_use_default_domain` / `_unuse_`, `iommu_group_claim_dma_owner`,
 * `iommu_group_release_dma_owner`, `iommu_group_dma_owner_claimed`, the patched hunks of
 * `iommu_probe_device`, `__iommu_attach_group` and `__iommu_detach_group`, and
 * `iommu_attach_device` / `iommu_detach_device` / `iommu_attach_group` / `iommu_detach_group`.
 * Every guard, return code and WARN_ON of that code is one guarded alternative below, in the
 * order the C code tests them.
 *
 * Left out (see docs/designs/v7.md): groups without a default domain (every
 * `!group->default_domain` branch is dead here), attach failures in the IOMMU driver (so the
 * WARN_ON in `__iommu_detach_group` on a failed re-attach never fires), deferred attach, locking
 * (every call runs atomically under `group->mutex`, as in the kernel).
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

/** `group->domain && group->domain != group->default_domain` (v7's __iommu_attach_group and claim). */
const onForeignDomain = (c: C) => c.domain !== null && c.domain !== 'default';

/**
 * v7's `__iommu_detach_group(domain, group)`: when the group is claimed (`group->owner`), detach
 * every member and leave the group on no domain; otherwise go back to the default domain unless
 * already there. The `domain` argument only names what to detach from: it is not checked.
 */
function v7DetachGroup(c: C): void {
  if (c.owner !== null) {
    attachMembers(c, null);
    c.domain = null;
    return;
  }
  if (c.domain === 'default') return;
  attachMembers(c, 'default');
  c.domain = 'default';
}

export const machine = setup({
  types: {} as { context: C; events: E; input: { devices: number } },
  guards: {
    ...classifierGuards(standardClassify),
    // driver core: vfio-pci sets driver_managed_dma, so really_probe() calls nothing for it.
    'bind:driver_managed_dma': ({ event }: Args) => (event as { driver: string }).driver === 'vfio',
    // iommu_device_use_default_domain(): `if (!group) return 0;`
    'use:!group': ({ context, event }: Args) => !context.devices[dev(event)].in_group,
    // `if (group->owner_cnt) { if (group->domain != group->default_domain || group->owner) -EBUSY }`
    'use:owner_cnt && (domain != default_domain || owner)': ({ context }: Args) =>
      context.owner_cnt !== 0 && (context.domain !== 'default' || context.owner !== null),
    // unbind of a driver the driver core called no use() for (vfio-pci, or nothing bound).
    'unbind:!kernel': ({ context, event }: Args) => context.devices[dev(event)].driver !== 'kernel',
    // iommu_device_unuse_default_domain(): `if (!group) return;`
    'unuse:!group': ({ context, event }: Args) => !context.devices[dev(event)].in_group,
    // `if (!WARN_ON(!group->owner_cnt)) group->owner_cnt--;`
    'unuse:WARN_ON(!owner_cnt)': ({ context }: Args) => context.owner_cnt === 0,
    // iommu_probe_device(): `if (group->default_domain && !group->owner)` attach the default domain.
    'probe:owner': ({ context }: Args) => context.owner !== null,
    // iommu_group_claim_dma_owner(): `if (group->owner_cnt) -EPERM`
    'claim:owner_cnt': ({ context }: Args) => context.owner_cnt !== 0,
    // `if (group->domain && group->domain != group->default_domain) -EBUSY`
    'claim:domain && domain != default_domain': ({ context }: Args) => onForeignDomain(context),
    // `if (group->domain) __iommu_detach_group(group->domain, group);`
    'claim:domain': ({ context }: Args) => context.domain !== null,
    // iommu_group_release_dma_owner(): `if (WARN_ON(!group->owner_cnt || !group->owner)) goto unlock_out;`
    'release:WARN_ON(!owner_cnt || !owner)': ({ context }: Args) => context.owner_cnt === 0 || context.owner === null,
    // `if (!WARN_ON(group->domain) && group->default_domain) __iommu_attach_group(default_domain, group);`
    'release:WARN_ON(domain)': ({ context }: Args) => context.domain !== null,
    // __iommu_attach_group() (v7): `if (group->domain && group->domain != group->default_domain) return -EBUSY;`
    'attach_group:domain && domain != default_domain': ({ context }: Args) => onForeignDomain(context),
    // __iommu_detach_group() (v7): `if (!group->default_domain || group->owner)` detach all, domain = NULL.
    'detach_group:owner': ({ context }: Args) => context.owner !== null,
    // `if (group->domain == group->default_domain) return;`
    'detach_group:domain == default_domain': ({ context }: Args) => context.domain === 'default',
    // iommu_attach_device() / iommu_detach_device(): `group = iommu_group_get(dev); if (!group) ...`
    'device:!group': ({ context, event }: Args) => !context.devices[dev(event)].in_group,
    // `if (iommu_group_device_count(group) != 1)`: -EINVAL on attach, WARN_ON(1) on detach.
    'device:device_count != 1': ({ context }: Args) => memberCount(context) !== 1,
  },
  actions: {
    ret0: effect<C, E>((c) => { c.ret = Errno.OK; c.warn = false; }),
    retEPERM: effect<C, E>((c) => { c.ret = Errno.EPERM; c.warn = false; }),
    retEBUSY: effect<C, E>((c) => { c.ret = Errno.EBUSY; c.warn = false; }),
    retENODEV: effect<C, E>((c) => { c.ret = Errno.ENODEV; c.warn = false; }),
    retEINVAL: effect<C, E>((c) => { c.ret = Errno.EINVAL; c.warn = false; }),
    /** iommu_group_dma_owner_claimed(): `return group->owner_cnt;` as a bool. */
    retOwnerClaimed: effect<C, E>((c) => { c.ret = c.owner_cnt !== 0 ? 1 : 0; c.warn = false; }),
    WARN_ON: effect<C, E>((c) => { c.warn = true; }),

    // ---- driver core ----
    bindVfio: effect<C, E>((c, e) => bindDriver(c, dev(e), 'vfio', false)),
    bindKernelUncounted: effect<C, E>((c, e) => bindDriver(c, dev(e), 'kernel', false)),
    bindKernelCounted: effect<C, E>((c, e) => bindDriver(c, dev(e), 'kernel', true)),
    unbind: effect<C, E>((c, e) => unbindDriver(c, dev(e))),
    /** `group->owner_cnt++` */
    'owner_cnt++': effect<C, E>((c) => { c.owner_cnt++; }),
    /** `group->owner_cnt--` */
    'owner_cnt--': effect<C, E>((c) => { c.owner_cnt--; }),

    // ---- iommu_probe_device() / iommu_release_device() ----
    /** iommu_group_add_device(): joins the list; `if (group->domain) __iommu_attach_device(group->domain, dev)`. */
    addToGroup: effect<C, E>((c, e) => { const d = c.devices[dev(e)]; d.in_group = true; d.domain = c.domain; }),
    /** `__iommu_attach_device(group->default_domain, dev)` */
    attachDefaultToDevice: effect<C, E>((c, e) => { c.devices[dev(e)].domain = 'default'; }),
    /** iommu_group_remove_device(): leaves the list. */
    removeFromGroup: effect<C, E>((c, e) => removeMember(c, dev(e))),

    // ---- ownership ----
    /** `group->owner = owner;` */
    setOwner: effect<C, E>((c, e) => { c.owner = (e as { owner: C['owner'] }).owner; }),
    /** `group->owner = NULL;` */
    clearOwner: effect<C, E>((c) => { c.owner = null; }),
    /** `group->owner_cnt = 0;` */
    zeroOwnerCnt: effect<C, E>((c) => { c.owner_cnt = 0; }),
    /** `__iommu_detach_group(domain, group)` */
    detachGroup: effect<C, E>((c) => v7DetachGroup(c)),
    /** `__iommu_attach_group(domain, group)` past its guard: every member, then `group->domain = domain`. */
    attachGroup: effect<C, E>((c, e) => { attachMembers(c, dom(e)); c.domain = dom(e); }),
    /** `__iommu_attach_group(group->default_domain, group)` in release, past its guard. */
    attachDefaultGroup: effect<C, E>((c) => { attachMembers(c, 'default'); c.domain = 'default'; }),

    // ---- caller bookkeeping (not kernel state) ----
    userClaimed: effect<C, E>((c, e) => markClaimed(c, (e as { owner: C['owner'] }).owner)),
    userReleased: effect<C, E>((c, e) => markReleased(c, (e as { owner: C['owner'] }).owner)),
    userAttached: effect<C, E>((c, e) => markAttached(c, dom(e))),
    userDetached: effect<C, E>((c, e) => markDetached(c, dom(e))),
    privAttached: effect<C, E>((c, e) => { if (dom(e) === 'priv') c.devices[dev(e)].priv = true; }),
    privDetached: effect<C, E>((c, e) => { if (dom(e) === 'priv') c.devices[dev(e)].priv = false; }),
  },
}).createMachine({
  id: 'v7',
  context: ({ input }) => standardInitialContext(input.devices),
  initial: 'unowned',
  on: {
    // Hot-plug: iommu_probe_device() (patched hunk) and iommu_release_device().
    probe_device: [
      { guard: 'probe:owner', actions: ['ret0', 'addToGroup'] },
      { actions: ['ret0', 'addToGroup', 'attachDefaultToDevice'] },
    ],
    release_device: { actions: ['ret0', 'removeFromGroup'] },

    // Driver core: really_probe() -> dma_configure() -> iommu_device_use_default_domain().
    bind_driver: [
      { guard: 'bind:driver_managed_dma', actions: ['ret0', 'bindVfio'] },
      { guard: 'use:!group', actions: ['ret0', 'bindKernelUncounted'] },
      { guard: 'use:owner_cnt && (domain != default_domain || owner)', actions: ['retEBUSY'] },
      { actions: ['ret0', 'owner_cnt++', 'bindKernelCounted'] },
    ],
    // Driver core: __device_release_driver() -> dma_cleanup() -> iommu_device_unuse_default_domain().
    unbind_driver: [
      { guard: 'unbind:!kernel', actions: ['ret0', 'unbind'] },
      { guard: 'unuse:!group', actions: ['ret0', 'unbind'] },
      { guard: 'unuse:WARN_ON(!owner_cnt)', actions: ['ret0', 'unbind', 'WARN_ON'] },
      { actions: ['ret0', 'owner_cnt--', 'unbind'] },
    ],

    // VFIO: iommu_group_claim_dma_owner(group, file).
    claim: [
      { guard: 'claim:owner_cnt', actions: ['retEPERM'] },
      { guard: 'claim:domain && domain != default_domain', actions: ['retEBUSY'] },
      { guard: 'claim:domain', actions: ['ret0', 'setOwner', 'detachGroup', 'owner_cnt++', 'userClaimed'] },
      { actions: ['ret0', 'setOwner', 'owner_cnt++', 'userClaimed'] },
    ],
    // VFIO: iommu_group_release_dma_owner(group) (the kernel takes no owner; `owner` names the caller).
    release: [
      { guard: 'release:WARN_ON(!owner_cnt || !owner)', actions: ['ret0', 'userReleased', 'WARN_ON'] },
      { guard: 'release:WARN_ON(domain)', actions: ['ret0', 'zeroOwnerCnt', 'clearOwner', 'userReleased', 'WARN_ON'] },
      { actions: ['ret0', 'zeroOwnerCnt', 'attachDefaultGroup', 'clearOwner', 'userReleased'] },
    ],
    // VFIO type1: iommu_attach_group() -> __iommu_attach_group().
    attach_group: [
      { guard: 'attach_group:domain && domain != default_domain', actions: ['retEBUSY'] },
      { actions: ['ret0', 'attachGroup', 'userAttached'] },
    ],
    // VFIO type1: iommu_detach_group() -> __iommu_detach_group().
    detach_group: [
      { guard: 'detach_group:owner', actions: ['ret0', 'detachGroup', 'userDetached'] },
      { guard: 'detach_group:domain == default_domain', actions: ['ret0', 'userDetached'] },
      { actions: ['ret0', 'detachGroup', 'userDetached'] },
    ],
    // A kernel driver's private domain: iommu_attach_device() (one-device groups only, 426a273834ea).
    attach_device: [
      { guard: 'device:!group', actions: ['retENODEV'] },
      { guard: 'device:device_count != 1', actions: ['retEINVAL'] },
      { guard: 'attach_group:domain && domain != default_domain', actions: ['retEBUSY'] },
      { actions: ['ret0', 'attachGroup', 'privAttached'] },
    ],
    // iommu_detach_device(): `if (!group) return;` then `WARN_ON(1)` unless one device, then __iommu_detach_group().
    detach_device: [
      { guard: 'device:!group', actions: ['ret0', 'privDetached'] },
      { guard: 'device:device_count != 1', actions: ['ret0', 'privDetached', 'WARN_ON'] },
      { guard: 'detach_group:owner', actions: ['ret0', 'detachGroup', 'privDetached'] },
      { guard: 'detach_group:domain == default_domain', actions: ['ret0', 'privDetached'] },
      { actions: ['ret0', 'detachGroup', 'privDetached'] },
    ],
    // iommu_group_dma_owner_claimed(): a query; changes nothing.
    owner_claimed: { actions: ['retOwnerClaimed'] },
  },
  states: groupStates(),
});

export const design: Design = {
  name: 'v7',
  title: 'v7 01/11: use/unuse_default_domain, group_claim/release_dma_owner (Feb 2022)',
  source: 'seed 003_*: [v7,01/11] iommu: Add DMA ownership management interfaces',
  machine,
  schema: (devices) => standardSchema(devices),
  initialContext: (devices) => standardInitialContext(devices),
  classify: standardClassify,
  // The claim holds one count while owned; each counted DMA-API driver one while unowned.
  expectedOwnerCnt: (c) => (c.owner !== null ? 1 : 0) + c.devices.filter((d) => d.counted).length,
  // iommu_attach_group() is the kernel's, open to a kernel driver's own domain (upstream Tegra).
  kernelAttachGroup: true,
  events: ['probe_device', 'release_device', 'bind_driver', 'unbind_driver', 'claim', 'release', 'attach_group', 'detach_group', 'attach_device', 'detach_device', 'owner_claimed'],
};
