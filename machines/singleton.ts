/**
 * singleton: the tree before the DMA-ownership series (v5.16), where 426a273834ea limits
 * `iommu_attach_device` / `iommu_detach_device` to one-device groups and the iommu core keeps no
 * ownership bookkeeping at all. VFIO guards the group itself: its "claim" is its own viability
 * check (every member unbound or bound to a VFIO-approved driver), and its group notifier
 * `BUG_ON`s when a kernel driver binds to a member of a group in use and `dev_WARN`s when a
 * device joins one.
 *
 * `owner` here is VFIO's state (the user whose container holds the group: `container_users`),
 * not the iommu core's; `owner_cnt` stays 0 (there is none). A BUG_ON is reported as `warn`: a
 * WARN_ON marks a state believed unreachable, and a BUG_ON is that and worse.
 *
 * VFIO's stall in vfio_unregister_group_dev() is modelled as a caller precondition (`vfioUnbindWaits`):
 * vfio-pci's unbind of the group's last VFIO device waits for the container to be unset.
 *
 * Left out (see docs/designs/singleton.md): groups without a default domain, IOMMU driver
 * attach failures, deferred attach, VFIO's noiommu mode and container bookkeeping beyond
 * `container_users`, and the split between SET_CONTAINER and SET_IOMMU (one `claim`).
 */
import { setup } from 'xstate';
import { effect } from '../src/machine/effect';
import type { GroupContext } from '../src/model/context';
import type { GroupStateName } from '../src/model/vocabulary';
import type { IommuEvent } from '../src/iommu/events';
import type { Design } from '../src/iommu/design';
import { Errno } from '../src/model/vocabulary';
import { classifierGuards, groupStates } from './shared/groupStates';
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

/**
 * With no owner count, the `dma-api` state is "some member has a kernel DMA-API driver bound"
 * (what VFIO's viability check looks at); the other states are read as in every design.
 */
export function classify(c: C): GroupStateName {
  if (c.owner !== null) return 'user-owned';
  if (c.domain !== 'default') return 'private-domain';
  if (c.devices.some((d) => d.in_group && d.driver === 'kernel')) return 'dma-api';
  return 'unowned';
}

/**
 * vfio_unregister_group_dev() (v5.16), run when vfio-pci unbinds: once the group's last VFIO device is
 * gone, `if (list_empty(&group->device_list)) wait_event(group->container_q, !group->container);`
 * ("Without this stall, we're potentially racing with a user process that may attempt to
 * immediately bind this device to another driver."). So the unbind of the last member bound to
 * vfio-pci completes only after the user has unset the container (`owner` here): until then the
 * driver core does not make it (Design.driverCoreWaits).
 */
export function vfioUnbindWaits(c: C, e: E): string | null {
  if (e.type !== 'unbind_driver' || c.devices[e.dev].driver !== 'vfio' || c.owner === null) return null;
  for (let d = 0; d < c.devices.length; d++) if (d !== e.dev && c.devices[d].driver === 'vfio') return null;
  return `vfio-pci's unbind of the group's last VFIO device waits until ${c.owner} unsets the container (vfio_unregister_group_dev)`;
}

/** vfio_group_viable(): every member is driver-less or bound to vfio-pci (vfio_dev_viable). */
const viable = (c: C) => c.devices.every((d) => !d.in_group || d.driver !== 'kernel');

/** The pre-series `__iommu_detach_group()`: back to the default domain unless already there. */
function detachGroup(c: C): void {
  if (c.domain === 'default') return;
  attachMembers(c, 'default');
  c.domain = 'default';
}

export const machine = setup({
  types: {} as { context: C; events: E; input: { devices: number } },
  guards: {
    ...classifierGuards(classify),
    // vfio_group_nb_add_dev(): `if (!atomic_read(&group->container_users)) return 0;` else dev_WARN.
    'nb_add_dev:container_users': ({ context }: Args) => context.owner !== null,
    'bind:vfio': ({ event }: Args) => (event as { driver: string }).driver === 'vfio',
    // IOMMU_GROUP_NOTIFY_BOUND_DRIVER: BUG_ON(vfio_group_nb_verify()): in use and not viable.
    'nb_verify:in_group && container_users': ({ context, event }: Args) => context.devices[dev(event)].in_group && context.owner !== null,
    // vfio_group_fops_open(): `opened = atomic_cmpxchg(&group->opened, 0, 1); if (opened) -EBUSY`
    'vfio:group->opened': ({ context }: Args) => context.owner !== null,
    // vfio_group_get_device_fd(): `!vfio_group_viable(group)` -> -EINVAL (QEMU checks VFIO_GROUP_FLAGS_VIABLE first)
    'vfio:!vfio_group_viable': ({ context }: Args) => !viable(context),
    // vfio_group_unset_container(): `users = atomic_cmpxchg(&container_users, 1, 0); if (!users) -EINVAL`
    'vfio:!container_users (this file)': ({ context, event }: Args) => context.owner !== (event as { owner: C['owner'] }).owner,
    // __iommu_attach_group() before the series: `if (group->default_domain && group->domain != group->default_domain) return -EBUSY;`
    'attach_group:default_domain && domain != default_domain': ({ context }: Args) => context.domain !== 'default',
    // __iommu_detach_group(): `if (group->domain == group->default_domain) return;`
    'detach_group:domain == default_domain': ({ context }: Args) => context.domain === 'default',
    // iommu_attach_device() / iommu_detach_device(): `group = iommu_group_get(dev); if (!group) ...`
    'device:!group': ({ context, event }: Args) => !context.devices[dev(event)].in_group,
    // 426a273834ea: `if (iommu_group_device_count(group) != 1)`: -EINVAL on attach, WARN_ON(1) on detach.
    'device:device_count != 1': ({ context }: Args) => memberCount(context) !== 1,
  },
  actions: {
    ret0: effect<C, E>((c) => { c.ret = Errno.OK; c.warn = false; }),
    retEBUSY: effect<C, E>((c) => { c.ret = Errno.EBUSY; c.warn = false; }),
    retENODEV: effect<C, E>((c) => { c.ret = Errno.ENODEV; c.warn = false; }),
    retEINVAL: effect<C, E>((c) => { c.ret = Errno.EINVAL; c.warn = false; }),
    WARN_ON: effect<C, E>((c) => { c.warn = true; }),
    /** BUG_ON() fired: reported as a WARN (the model keeps running to show the state left behind). */
    BUG_ON: effect<C, E>((c) => { c.warn = true; }),

    bindVfio: effect<C, E>((c, e) => bindDriver(c, dev(e), 'vfio', false)),
    /** No use/unuse exists yet: a kernel driver binds without any count. */
    bindKernel: effect<C, E>((c, e) => bindDriver(c, dev(e), 'kernel', false)),
    unbind: effect<C, E>((c, e) => unbindDriver(c, dev(e))),

    /** iommu_group_add_device(): joins the list; `if (group->domain) __iommu_attach_device(group->domain, dev)`. */
    addToGroup: effect<C, E>((c, e) => { const d = c.devices[dev(e)]; d.in_group = true; d.domain = c.domain; }),
    /** iommu_probe_device(): `if (group->default_domain) __iommu_attach_device(group->default_domain, dev)`. */
    attachDefaultToDevice: effect<C, E>((c, e) => { c.devices[dev(e)].domain = 'default'; }),
    removeFromGroup: effect<C, E>((c, e) => removeMember(c, dev(e))),

    /** VFIO: the group fd is opened and set to a container (`container_users++`). */
    setOwner: effect<C, E>((c, e) => { c.owner = (e as { owner: C['owner'] }).owner; }),
    /** VFIO: `container_users` back to 0, the group fd closed. */
    clearOwner: effect<C, E>((c) => { c.owner = null; }),
    attachGroup: effect<C, E>((c, e) => { attachMembers(c, dom(e)); c.domain = dom(e); }),
    detachGroup: effect<C, E>((c) => detachGroup(c)),

    userClaimed: effect<C, E>((c, e) => markClaimed(c, (e as { owner: C['owner'] }).owner)),
    userReleased: effect<C, E>((c, e) => markReleased(c, (e as { owner: C['owner'] }).owner)),
    userAttached: effect<C, E>((c, e) => markAttached(c, dom(e))),
    userDetached: effect<C, E>((c, e) => markDetached(c, dom(e))),
    privAttached: effect<C, E>((c, e) => { if (dom(e) === 'priv') c.devices[dev(e)].priv = true; }),
    privDetached: effect<C, E>((c, e) => { if (dom(e) === 'priv') c.devices[dev(e)].priv = false; }),
  },
}).createMachine({
  id: 'singleton',
  context: ({ input }) => standardInitialContext(input.devices),
  initial: 'unowned',
  on: {
    // iommu_probe_device(): iommu_group_add_device() (group->domain, then the ADD_DEVICE
    // notifier), then the default domain unconditionally.
    probe_device: [
      { guard: 'nb_add_dev:container_users', actions: ['ret0', 'addToGroup', 'attachDefaultToDevice', 'WARN_ON'] },
      { actions: ['ret0', 'addToGroup', 'attachDefaultToDevice'] },
    ],
    release_device: { actions: ['ret0', 'removeFromGroup'] },

    // Driver core: no ownership call. VFIO's notifier sees BOUND_DRIVER for members only.
    bind_driver: [
      { guard: 'bind:vfio', actions: ['ret0', 'bindVfio'] },
      { guard: 'nb_verify:in_group && container_users', actions: ['ret0', 'bindKernel', 'BUG_ON'] },
      { actions: ['ret0', 'bindKernel'] },
    ],
    unbind_driver: { actions: ['ret0', 'unbind'] },

    // VFIO: open the group fd, check viability, set the container.
    claim: [
      { guard: 'vfio:group->opened', actions: ['retEBUSY'] },
      { guard: 'vfio:!vfio_group_viable', actions: ['retEINVAL'] },
      { actions: ['ret0', 'setOwner', 'userClaimed'] },
    ],
    // VFIO: VFIO_GROUP_UNSET_CONTAINER and close (type1's detach_group is the user's detach_group).
    release: [
      { guard: 'vfio:!container_users (this file)', actions: ['retEINVAL', 'userReleased'] },
      { actions: ['ret0', 'clearOwner', 'userReleased'] },
    ],
    // VFIO type1: iommu_attach_group() / iommu_detach_group().
    attach_group: [
      { guard: 'attach_group:default_domain && domain != default_domain', actions: ['retEBUSY'] },
      { actions: ['ret0', 'attachGroup', 'userAttached'] },
    ],
    detach_group: [
      { guard: 'detach_group:domain == default_domain', actions: ['ret0', 'userDetached'] },
      { actions: ['ret0', 'detachGroup', 'userDetached'] },
    ],
    // A kernel driver's private domain: iommu_attach_device() / iommu_detach_device() (426a273834ea).
    attach_device: [
      { guard: 'device:!group', actions: ['retENODEV'] },
      { guard: 'device:device_count != 1', actions: ['retEINVAL'] },
      { guard: 'attach_group:default_domain && domain != default_domain', actions: ['retEBUSY'] },
      { actions: ['ret0', 'attachGroup', 'privAttached'] },
    ],
    detach_device: [
      { guard: 'device:!group', actions: ['ret0', 'privDetached'] },
      { guard: 'device:device_count != 1', actions: ['ret0', 'privDetached', 'WARN_ON'] },
      { guard: 'detach_group:domain == default_domain', actions: ['ret0', 'privDetached'] },
      { actions: ['ret0', 'detachGroup', 'privDetached'] },
    ],
  },
  states: groupStates(),
});

export const design: Design = {
  name: 'singleton',
  title: 'before the series: 426a273834ea one-device iommu_attach_device, VFIO viability check and notifier',
  source: 'v5.16 tree: commit 426a273834ea and drivers/vfio/vfio.c (vfio_group_viable, vfio_iommu_group_notifier)',
  machine,
  schema: (devices) => standardSchema(devices),
  initialContext: (devices) => standardInitialContext(devices),
  classify,
  notApplicable: {
    'refcount-balance': 'the iommu core keeps no owner count before the series (owner_cnt stays 0)',
  },
  driverCoreWaits: vfioUnbindWaits,
  // iommu_attach_group() is the kernel's, open to a kernel driver's own domain (upstream Tegra).
  kernelAttachGroup: true,
  events: ['probe_device', 'release_device', 'bind_driver', 'unbind_driver', 'claim', 'release', 'attach_group', 'detach_group', 'attach_device', 'detach_device'],
};
