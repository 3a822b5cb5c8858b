/**
 * v1-enum: "[PATCH 01/11] iommu: Add device dma ownership set/release interfaces" (Lu Baolu,
 * 15 Nov 2021; seed 004_*), with the parts of the same series that call it or give it effect:
 * 02/11 (really_probe sets DMA_OWNER_KERNEL unless the driver has suppress_auto_claim_dma_owner,
 * which vfio-pci sets in 07/11), 05/11 (the first USER owner detaches the group's domain, the
 * last one re-attaches the default domain; probe and __iommu_detach_group skip the default
 * domain while USER), 06/11 (group variants), 07/11 (VFIO sets USER with the container file).
 *
 * Group fields: `dma_owner` (NONE / KERNEL / USER), `owner_cnt` (a refcount_t), `owner` (the
 * `owner_user_file`, cleared with the last USER release). Every guard, return code and WARN_ON
 * of that code is one guarded alternative below, in the order the C code tests them.
 *
 * Left out (see docs/designs/v1-enum.md): groups without a default domain, IOMMU driver attach
 * failures, `get_file`/`fput`, the `!user_file` -EINVAL (VFIO always passes its file).
 */
import { setup } from 'xstate';
import { effect } from '../src/machine/effect';
import type { GroupContext } from '../src/model/context';
import type { IommuEvent } from '../src/iommu/events';
import type { Design } from '../src/iommu/design';
import { oneOf } from '../src/model/schema';
import { Errno } from '../src/model/vocabulary';
import { classifierGuards, groupStates, standardClassify } from './shared/groupStates';
import { standardInitialContext, standardSchema } from './shared/standard';
import {
  attachMembers, bindDriver, markAttached, markClaimed, markDetached, markReleased, memberCount,
  removeMember, unbindDriver,
} from './shared/ghost';

/** enum iommu_dma_owner of 01/11. */
export const DMA_OWNERS = ['NONE', 'KERNEL', 'USER'] as const;
type DmaOwner = (typeof DMA_OWNERS)[number];
type C = GroupContext & { dma_owner: DmaOwner };
type E = IommuEvent;
type Args = { context: C; event: E };
const dev = (e: E) => (e as { dev: number }).dev;
const dom = (e: E) => (e as { domain: C['domain'] }).domain;
const file = (e: E) => (e as { owner: C['owner'] }).owner;

/** 05/11's `__iommu_detach_group()`: while USER, detach every member and leave no domain. */
function detachGroup(c: C): void {
  if (c.dma_owner === 'USER') {
    attachMembers(c, null);
    c.domain = null;
    return;
  }
  if (c.domain === 'default') return;
  attachMembers(c, 'default');
  c.domain = 'default';
}

/**
 * Counts saturate at their schema maximum (`owner_cnt`: devices + 1), which
 * the modelled callers never exceed; only a replay repeating a call could, and the kernel's
 * counter would go on counting there.
 */
const inc = (n: number, max: number) => Math.min(n + 1, max);

export const machine = setup({
  types: {} as { context: C; events: E; input: { devices: number } },
  guards: {
    ...classifierGuards(standardClassify),
    // iommu_probe_device() (05/11): `if (group->default_domain && group->dma_owner != DMA_OWNER_USER)`
    'probe:dma_owner == USER': ({ context }: Args) => context.dma_owner === 'USER',
    // vfio-pci sets suppress_auto_claim_dma_owner (07/11): really_probe() sets nothing.
    'bind:suppress_auto_claim_dma_owner': ({ event }: Args) => (event as { driver: string }).driver === 'vfio',
    // iommu_device_set_dma_owner(): `if (!group) { if (owner == DMA_OWNER_KERNEL) return 0; ...}`
    'set:!group': ({ context, event }: Args) => !context.devices[dev(event)].in_group,
    // __iommu_group_set_dma_owner(KERNEL): `if (group->dma_owner != DMA_OWNER_NONE && group->dma_owner != owner) return -EBUSY;`
    'set(KERNEL):dma_owner != NONE && != KERNEL': ({ context }: Args) => context.dma_owner !== 'NONE' && context.dma_owner !== 'KERNEL',
    // `if (!refcount_inc_not_zero(&group->owner_cnt))` (not taken: the count was not zero)
    'set:refcount_inc_not_zero': ({ context }: Args) => context.owner_cnt !== 0,
    'unbind:!kernel': ({ context, event }: Args) => context.devices[dev(event)].driver !== 'kernel',
    // iommu_device_release_dma_owner(): `if (!group) { WARN_ON(owner != DMA_OWNER_KERNEL); return; }`
    'release:!group': ({ context, event }: Args) => !context.devices[dev(event)].in_group,
    // __iommu_group_release_dma_owner(KERNEL): `if (WARN_ON(group->dma_owner != owner)) return;`
    'release(KERNEL):WARN_ON(dma_owner != KERNEL)': ({ context }: Args) => context.dma_owner !== 'KERNEL',
    // refcount_dec_and_test() on a zero refcount_t: saturates and WARNs (never with dma_owner set).
    'release:refcount underflow': ({ context }: Args) => context.owner_cnt === 0,
    // `if (refcount_dec_and_test(&group->owner_cnt))`: the last owner
    'release:refcount_dec_and_test': ({ context }: Args) => context.owner_cnt === 1,
    // __iommu_group_set_dma_owner(USER): `group->dma_owner != DMA_OWNER_NONE && group->dma_owner != owner` -> -EBUSY
    'set(USER):dma_owner != NONE && != USER': ({ context }: Args) => context.dma_owner !== 'NONE' && context.dma_owner !== 'USER',
    // `if (group->owner_user_file && group->owner_user_file != user_file) return -EPERM;`
    'set(USER):owner_user_file != user_file': ({ context, event }: Args) => context.owner !== null && context.owner !== file(event),
    // first USER (05/11): `if (group->domain) { if (group->domain != group->default_domain) { undo; return -EBUSY; } ...`
    'set(USER):domain != default_domain': ({ context }: Args) => context.domain !== null && context.domain !== 'default',
    // `__iommu_detach_group(group->domain, group);`
    'set(USER):domain': ({ context }: Args) => context.domain !== null,
    // __iommu_group_release_dma_owner(USER): `if (WARN_ON(group->dma_owner != owner)) return;`
    'release(USER):WARN_ON(dma_owner != USER)': ({ context }: Args) => context.dma_owner !== 'USER',
    // last USER (05/11): `if (!WARN_ON(group->domain) && group->default_domain) __iommu_attach_group(...)`
    'release(USER):last && WARN_ON(domain)': ({ context }: Args) => context.owner_cnt === 1 && context.domain !== null,
    // __iommu_attach_group() (05/11): `if (group->domain && group->domain != group->default_domain) return -EBUSY;`
    'attach_group:domain && domain != default_domain': ({ context }: Args) => context.domain !== null && context.domain !== 'default',
    // __iommu_detach_group() (05/11): `if (!group->default_domain || group->dma_owner == DMA_OWNER_USER)`
    'detach_group:dma_owner == USER': ({ context }: Args) => context.dma_owner === 'USER',
    // `if (group->domain == group->default_domain) return;`
    'detach_group:domain == default_domain': ({ context }: Args) => context.domain === 'default',
    'device:!group': ({ context, event }: Args) => !context.devices[dev(event)].in_group,
    'device:device_count != 1': ({ context }: Args) => memberCount(context) !== 1,
  },
  actions: {
    ret0: effect<C, E>((c) => { c.ret = Errno.OK; c.warn = false; }),
    retEPERM: effect<C, E>((c) => { c.ret = Errno.EPERM; c.warn = false; }),
    retEBUSY: effect<C, E>((c) => { c.ret = Errno.EBUSY; c.warn = false; }),
    retENODEV: effect<C, E>((c) => { c.ret = Errno.ENODEV; c.warn = false; }),
    retEINVAL: effect<C, E>((c) => { c.ret = Errno.EINVAL; c.warn = false; }),
    /** iommu_group_dma_owner_unclaimed() (06/11), negated: `group->dma_owner != DMA_OWNER_NONE`. */
    retOwnerClaimed: effect<C, E>((c) => { c.ret = c.dma_owner !== 'NONE' ? 1 : 0; c.warn = false; }),
    WARN_ON: effect<C, E>((c) => { c.warn = true; }),

    bindVfio: effect<C, E>((c, e) => bindDriver(c, dev(e), 'vfio', false)),
    bindKernelUncounted: effect<C, E>((c, e) => bindDriver(c, dev(e), 'kernel', false)),
    bindKernelCounted: effect<C, E>((c, e) => bindDriver(c, dev(e), 'kernel', true)),
    unbind: effect<C, E>((c, e) => unbindDriver(c, dev(e))),
    /** `refcount_inc_not_zero()` succeeding */
    'owner_cnt++': effect<C, E>((c) => { c.owner_cnt = inc(c.owner_cnt, c.devices.length + 1); }),
    /** `refcount_dec_and_test()` not reaching zero */
    'owner_cnt--': effect<C, E>((c) => { c.owner_cnt--; }),
    /** first owner: `group->dma_owner = owner; refcount_set(&group->owner_cnt, 1);` */
    'setFirst(KERNEL)': effect<C, E>((c) => { c.dma_owner = 'KERNEL'; c.owner_cnt = 1; }),
    'setFirst(USER)': effect<C, E>((c) => { c.dma_owner = 'USER'; c.owner_cnt = 1; }),
    /** `get_file(user_file); group->owner_user_file = user_file;` */
    setUserFile: effect<C, E>((c, e) => { c.owner = file(e); }),
    /** last owner: `group->dma_owner = DMA_OWNER_NONE;` (refcount now 0) */
    lastRelease: effect<C, E>((c) => { c.owner_cnt = 0; c.dma_owner = 'NONE'; }),
    /** `fput(group->owner_user_file); group->owner_user_file = NULL;` */
    clearUserFile: effect<C, E>((c) => { c.owner = null; }),

    addToGroup: effect<C, E>((c, e) => { const d = c.devices[dev(e)]; d.in_group = true; d.domain = c.domain; }),
    attachDefaultToDevice: effect<C, E>((c, e) => { c.devices[dev(e)].domain = 'default'; }),
    removeFromGroup: effect<C, E>((c, e) => removeMember(c, dev(e))),
    detachGroup: effect<C, E>((c) => detachGroup(c)),
    attachGroup: effect<C, E>((c, e) => { attachMembers(c, dom(e)); c.domain = dom(e); }),
    attachDefaultGroup: effect<C, E>((c) => { attachMembers(c, 'default'); c.domain = 'default'; }),

    userClaimed: effect<C, E>((c, e) => markClaimed(c, file(e))),
    userReleased: effect<C, E>((c, e) => markReleased(c, file(e))),
    userAttached: effect<C, E>((c, e) => markAttached(c, dom(e))),
    userDetached: effect<C, E>((c, e) => markDetached(c, dom(e))),
    privAttached: effect<C, E>((c, e) => { if (dom(e) === 'priv') c.devices[dev(e)].priv = true; }),
    privDetached: effect<C, E>((c, e) => { if (dom(e) === 'priv') c.devices[dev(e)].priv = false; }),
  },
}).createMachine({
  id: 'v1-enum',
  context: ({ input }) => ({ ...standardInitialContext(input.devices), dma_owner: 'NONE' }) as C,
  initial: 'unowned',
  on: {
    probe_device: [
      { guard: 'probe:dma_owner == USER', actions: ['ret0', 'addToGroup'] },
      { actions: ['ret0', 'addToGroup', 'attachDefaultToDevice'] },
    ],
    release_device: { actions: ['ret0', 'removeFromGroup'] },

    // really_probe() (02/11): iommu_device_set_dma_owner(dev, DMA_OWNER_KERNEL, NULL); on error the probe fails.
    bind_driver: [
      { guard: 'bind:suppress_auto_claim_dma_owner', actions: ['ret0', 'bindVfio'] },
      { guard: 'set:!group', actions: ['ret0', 'bindKernelUncounted'] },
      { guard: 'set(KERNEL):dma_owner != NONE && != KERNEL', actions: ['retEBUSY'] },
      { guard: 'set:refcount_inc_not_zero', actions: ['ret0', 'owner_cnt++', 'bindKernelCounted'] },
      { actions: ['ret0', 'setFirst(KERNEL)', 'bindKernelCounted'] },
    ],
    // __device_release_driver() (02/11): iommu_device_release_dma_owner(dev, DMA_OWNER_KERNEL).
    unbind_driver: [
      { guard: 'unbind:!kernel', actions: ['ret0', 'unbind'] },
      { guard: 'release:!group', actions: ['ret0', 'unbind'] },
      { guard: 'release(KERNEL):WARN_ON(dma_owner != KERNEL)', actions: ['ret0', 'unbind', 'WARN_ON'] },
      { guard: 'release:refcount underflow', actions: ['ret0', 'unbind', 'WARN_ON'] },
      { guard: 'release:refcount_dec_and_test', actions: ['ret0', 'lastRelease', 'unbind'] },
      { actions: ['ret0', 'owner_cnt--', 'unbind'] },
    ],

    // vfio_group_set_container() (07/11): iommu_group_set_dma_owner(group, DMA_OWNER_USER, f.file).
    claim: [
      { guard: 'set(USER):dma_owner != NONE && != USER', actions: ['retEBUSY'] },
      { guard: 'set(USER):owner_user_file != user_file', actions: ['retEPERM'] },
      { guard: 'set:refcount_inc_not_zero', actions: ['ret0', 'owner_cnt++', 'userClaimed'] },
      { guard: 'set(USER):domain != default_domain', actions: ['retEBUSY'] },
      { guard: 'set(USER):domain', actions: ['ret0', 'setFirst(USER)', 'detachGroup', 'setUserFile', 'userClaimed'] },
      { actions: ['ret0', 'setFirst(USER)', 'setUserFile', 'userClaimed'] },
    ],
    // __vfio_group_unset_container() (07/11): iommu_group_release_dma_owner(group, DMA_OWNER_USER).
    release: [
      { guard: 'release(USER):WARN_ON(dma_owner != USER)', actions: ['ret0', 'userReleased', 'WARN_ON'] },
      { guard: 'release:refcount underflow', actions: ['ret0', 'userReleased', 'WARN_ON'] },
      { guard: 'release(USER):last && WARN_ON(domain)', actions: ['ret0', 'lastRelease', 'clearUserFile', 'userReleased', 'WARN_ON'] },
      { guard: 'release:refcount_dec_and_test', actions: ['ret0', 'lastRelease', 'clearUserFile', 'attachDefaultGroup', 'userReleased'] },
      { actions: ['ret0', 'owner_cnt--', 'userReleased'] },
    ],
    // VFIO type1: iommu_attach_group() / iommu_detach_group() with 05/11's hunks.
    attach_group: [
      { guard: 'attach_group:domain && domain != default_domain', actions: ['retEBUSY'] },
      { actions: ['ret0', 'attachGroup', 'userAttached'] },
    ],
    detach_group: [
      { guard: 'detach_group:dma_owner == USER', actions: ['ret0', 'detachGroup', 'userDetached'] },
      { guard: 'detach_group:domain == default_domain', actions: ['ret0', 'userDetached'] },
      { actions: ['ret0', 'detachGroup', 'userDetached'] },
    ],
    // The series leaves iommu_attach_device() / iommu_detach_device() as 426a273834ea made them.
    attach_device: [
      { guard: 'device:!group', actions: ['retENODEV'] },
      { guard: 'device:device_count != 1', actions: ['retEINVAL'] },
      { guard: 'attach_group:domain && domain != default_domain', actions: ['retEBUSY'] },
      { actions: ['ret0', 'attachGroup', 'privAttached'] },
    ],
    detach_device: [
      { guard: 'device:!group', actions: ['ret0', 'privDetached'] },
      { guard: 'device:device_count != 1', actions: ['ret0', 'privDetached', 'WARN_ON'] },
      { guard: 'detach_group:dma_owner == USER', actions: ['ret0', 'detachGroup', 'privDetached'] },
      { guard: 'detach_group:domain == default_domain', actions: ['ret0', 'privDetached'] },
      { actions: ['ret0', 'detachGroup', 'privDetached'] },
    ],
    // iommu_group_dma_owner_unclaimed() (06/11), reported as "claimed".
    owner_claimed: { actions: ['retOwnerClaimed'] },
  },
  states: groupStates(),
});

export const design: Design = {
  name: 'v1-enum',
  title: 'v1 01/11: DMA_OWNER_NONE/KERNEL/USER, iommu_device_set_dma_owner(dev, mode, user_file), refcounted (Nov 2021)',
  source: 'seed 004_*: [PATCH 01/11] iommu: Add device dma ownership set/release interfaces (with 02, 05, 06, 07/11)',
  machine,
  schema: (devices) => standardSchema(devices, { group: { dma_owner: oneOf(DMA_OWNERS) } }),
  initialContext: (devices) => standardInitialContext(devices, { dma_owner: 'NONE' }),
  classify: standardClassify,
  // One count per counted KERNEL driver; VFIO's set_container holds one USER count.
  expectedOwnerCnt: (c) => (c.owner !== null ? 1 : 0) + c.devices.filter((d) => d.counted).length,
  // iommu_attach_group() is the kernel's, open to a kernel driver's own domain (upstream Tegra).
  kernelAttachGroup: true,
  events: ['probe_device', 'release_device', 'bind_driver', 'unbind_driver', 'claim', 'release', 'attach_group', 'detach_group', 'attach_device', 'detach_device', 'owner_claimed'],
};
