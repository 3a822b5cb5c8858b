/**
 * jgg-draft: Jason Gunthorpe's sketch of 22/23 Dec 2021 in the v4 07/13 review thread (seeds
 * 000_*, 001_*, 002_*), with `iommu_device_use_dma_api()` as first posted (`owner_cnt = 1`).
 *
 * Modelled: `iommu_device_use_dma_api` / `iommu_device_unuse_dma_api`,
 * `iommu_group_set_dma_owner(group, file)`, `iommu_replace_group_domain(group, old, new)`,
 * `iommu_group_release_dma_owner(group)`, and the parts of the v4 tree the sketch leaves as they
 * are: `iommu_probe_device`, `iommu_attach_device` / `iommu_detach_device` (one-device groups,
 * 426a273834ea) and their `__iommu_attach_group` / `__iommu_detach_group`. VFIO calls
 * set_dma_owner / replace(NULL, dom) / replace(dom, NULL) / release, in Jason's order.
 *
 * The sketch is pseudocode; every gap is filled the way its author argued in the thread, and
 * each choice is listed with its message in docs/designs/jgg-draft.md. Left out: groups without
 * a default domain, attach failures in the IOMMU driver, `iommu_attach_device_shared()` (the
 * sketch keeps it "as is in this patch", but that code tests the `dma_owner` enum the sketch
 * removes), locking (every call is atomic under `group->mutex`).
 *
 * jgg-fixed.ts reuses everything here but `use_dma_api`.
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

/** The guards both jgg designs share; `use_dma_api`'s own guards are added by each design. */
export const jggGuards = {
  ...classifierGuards(standardClassify),
  // driver core: vfio-pci sets suppress_auto_claim_dma_owner (v4 08/13), so nothing is called for it.
  'bind:suppress_auto_claim_dma_owner': ({ event }: Args) => (event as { driver: string }).driver === 'vfio',
  // iommu_device_use_dma_api(): `if (!group) return 0;`
  'use:!group': ({ context, event }: Args) => !context.devices[dev(event)].in_group,
  // unbind of a driver the driver core called no use() for (vfio-pci, or nothing bound).
  'unbind:!kernel': ({ context, event }: Args) => context.devices[dev(event)].driver !== 'kernel',
  // iommu_device_unuse_dma_api() == v4's iommu_device_release_dma_owner(dev, DMA_OWNER_DMA_API): `if (!group) return;`
  'unuse:!group': ({ context, event }: Args) => !context.devices[dev(event)].in_group,
  // v4's `WARN_ON(!group->owner_cnt || group->dma_owner != owner)` with owner DMA_API: without
  // the enum, a DMA-API holder is a count with no file.
  'unuse:WARN_ON(!owner_cnt || owner)': ({ context }: Args) => context.owner_cnt === 0 || context.owner !== null,
  // iommu_group_set_dma_owner(): `if (group->owner_cnt != 0) { if (group->owner != owner) goto err_unlock;`
  'set_owner:owner_cnt != 0 && owner != file': ({ context, event }: Args) => context.owner_cnt !== 0 && context.owner !== ownerOf(event),
  // `... group->owner_cnt++; return 0; }`
  'set_owner:owner_cnt != 0': ({ context }: Args) => context.owner_cnt !== 0,
  // `if (group->domain && group->domain != group->default_domain) goto err_unlock;`
  'set_owner:domain && domain != default_domain': ({ context }: Args) => context.domain !== null && context.domain !== 'default',
  // iommu_replace_group_domain(): Jason's assertion (22 Dec) that only the owning user gets here.
  'replace:WARN_ON(!owner)': ({ context }: Args) => context.owner === null,
  // iommu_group_release_dma_owner(): `if (WARN_ON(!group->owner_cnt || !group->owner)) return;`
  'release:WARN_ON(!owner_cnt || !owner)': ({ context }: Args) => context.owner_cnt === 0 || context.owner === null,
  // `if (--group->owner_cnt) return;` (set_dma_owner counts repeated claims by the same file)
  'release:--owner_cnt != 0': ({ context }: Args) => context.owner_cnt > 1,
  // iommu_attach_device() / iommu_detach_device(): `group = iommu_group_get(dev); if (!group) ...`
  'device:!group': ({ context, event }: Args) => !context.devices[dev(event)].in_group,
  // `if (iommu_group_device_count(group) != 1)`: -EINVAL on attach, WARN_ON(1) on detach.
  'device:device_count != 1': ({ context }: Args) => memberCount(context) !== 1,
  // __iommu_attach_group() (v4 tree): `if (group->domain && group->domain != group->default_domain) return -EBUSY;`
  'attach_group:domain && domain != default_domain': ({ context }: Args) => context.domain !== null && context.domain !== 'default',
  // __iommu_detach_group() (v4 tree, USER test gone with the enum): `if (group->domain == group->default_domain) return;`
  'detach_group:domain == default_domain': ({ context }: Args) => context.domain === 'default',
};

/** The actions both jgg designs share. */
export const jggActions = {
  ret0: effect<C, E>((c) => { c.ret = Errno.OK; c.warn = false; }),
  retEBUSY: effect<C, E>((c) => { c.ret = Errno.EBUSY; c.warn = false; }),
  retENODEV: effect<C, E>((c) => { c.ret = Errno.ENODEV; c.warn = false; }),
  retEINVAL: effect<C, E>((c) => { c.ret = Errno.EINVAL; c.warn = false; }),
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
  /** `group->owner_cnt = 1;` */
  'owner_cnt = 1': effect<C, E>((c) => { c.owner_cnt = 1; }),

  // ---- iommu_probe_device() / iommu_release_device(), untouched by the sketch ----
  /** iommu_group_add_device(): joins the list; `if (group->domain) __iommu_attach_device(group->domain, dev)`. */
  addToGroup: effect<C, E>((c, e) => { const d = c.devices[dev(e)]; d.in_group = true; d.domain = c.domain; }),
  /** `if (group->default_domain) __iommu_attach_device(group->default_domain, dev)` */
  attachDefaultToDevice: effect<C, E>((c, e) => { c.devices[dev(e)].domain = 'default'; }),
  /** iommu_group_remove_device(): leaves the list. */
  removeFromGroup: effect<C, E>((c, e) => removeMember(c, dev(e))),

  // ---- ownership ----
  /** `group->owner = owner;` */
  setOwner: effect<C, E>((c, e) => { c.owner = ownerOf(e); }),
  /** `group->owner = NULL;` */
  clearOwner: effect<C, E>((c) => { c.owner = null; }),
  /** set_dma_owner's `__iommu_detach_group()`, which "always detaches all domains from the group". */
  detachAll: effect<C, E>((c) => { attachMembers(c, null); c.domain = null; }),
  /** iommu_replace_group_domain(group, old, new): every member to `new` (NULL detaches), `group->domain = new`. */
  replaceWithEventDomain: effect<C, E>((c, e) => { attachMembers(c, dom(e)); c.domain = dom(e); }),
  /** release's tail: "iommu_detatch_group() && ..." leaves no domain, then the default domain comes back. */
  attachDefaultGroup: effect<C, E>((c) => { attachMembers(c, 'default'); c.domain = 'default'; }),
  /** `__iommu_attach_group(domain, group)` past its guard. */
  attachGroup: effect<C, E>((c, e) => { attachMembers(c, dom(e)); c.domain = dom(e); }),
  /** `__iommu_detach_group()` (v4 tree): detach by re-attaching the default domain. */
  reattachDefault: effect<C, E>((c) => { attachMembers(c, 'default'); c.domain = 'default'; }),

  // ---- caller bookkeeping (not kernel state) ----
  userClaimed: effect<C, E>((c, e) => markClaimed(c, ownerOf(e))),
  userReleased: effect<C, E>((c, e) => markReleased(c, ownerOf(e))),
  userAttached: effect<C, E>((c, e) => markAttached(c, dom(e))),
  userDetached: effect<C, E>((c, e) => markDetached(c, dom(e))),
  privAttached: effect<C, E>((c, e) => { if (dom(e) === 'priv') c.devices[dev(e)].priv = true; }),
  privDetached: effect<C, E>((c, e) => { if (dom(e) === 'priv') c.devices[dev(e)].priv = false; }),
};

/**
 * The root transitions both jgg designs share: everything but `bind_driver`, whose
 * `iommu_device_use_dma_api()` is what the two designs differ in.
 */
export const jggOn = {
  // Hot-plug: iommu_probe_device() as in the v4 tree minus its DMA_OWNER_PRIVATE_DOMAIN_USER test
  // ("The sepecial USER behavior falls out automatically", Jason, 23 Dec).
  probe_device: { actions: ['ret0', 'addToGroup', 'attachDefaultToDevice'] },
  release_device: { actions: ['ret0', 'removeFromGroup'] },

  // Driver core: dma_cleanup -> iommu_device_unuse_dma_api() (void).
  unbind_driver: [
    { guard: 'unbind:!kernel', actions: ['ret0', 'unbind'] },
    { guard: 'unuse:!group', actions: ['ret0', 'unbind'] },
    { guard: 'unuse:WARN_ON(!owner_cnt || owner)', actions: ['ret0', 'unbind', 'WARN_ON'] },
    { actions: ['ret0', 'owner_cnt--', 'unbind'] },
  ],

  // VFIO: iommu_group_set_dma_owner(group, file).
  claim: [
    { guard: 'set_owner:owner_cnt != 0 && owner != file', actions: ['retEBUSY'] },
    { guard: 'set_owner:owner_cnt != 0', actions: ['ret0', 'owner_cnt++', 'userClaimed'] },
    { guard: 'set_owner:domain && domain != default_domain', actions: ['retEBUSY'] },
    { actions: ['ret0', 'detachAll', 'owner_cnt = 1', 'setOwner', 'userClaimed'] },
  ],
  // VFIO: iommu_group_release_dma_owner(group) (void; `owner` names the caller).
  release: [
    { guard: 'release:WARN_ON(!owner_cnt || !owner)', actions: ['ret0', 'userReleased', 'WARN_ON'] },
    { guard: 'release:--owner_cnt != 0', actions: ['ret0', 'owner_cnt--', 'userReleased'] },
    { actions: ['ret0', 'owner_cnt--', 'clearOwner', 'attachDefaultGroup', 'userReleased'] },
  ],
  // VFIO: iommu_replace_group_domain(group, NULL, dom).
  attach_group: [
    { guard: 'replace:WARN_ON(!owner)', actions: ['retEINVAL', 'WARN_ON'] },
    { actions: ['ret0', 'replaceWithEventDomain', 'userAttached'] },
  ],
  // VFIO: iommu_replace_group_domain(group, dom, NULL).
  detach_group: [
    { guard: 'replace:WARN_ON(!owner)', actions: ['retEINVAL', 'WARN_ON'] },
    { actions: ['ret0', 'detachAll', 'userDetached'] },
  ],
  // A kernel driver's private domain: iommu_attach_device(), "as is" (one-device groups only).
  attach_device: [
    { guard: 'device:!group', actions: ['retENODEV'] },
    { guard: 'device:device_count != 1', actions: ['retEINVAL'] },
    { guard: 'attach_group:domain && domain != default_domain', actions: ['retEBUSY'] },
    { actions: ['ret0', 'attachGroup', 'privAttached'] },
  ],
  // iommu_detach_device(): `if (!group) return;`, `WARN_ON(1)` unless one device, __iommu_detach_group().
  detach_device: [
    { guard: 'device:!group', actions: ['ret0', 'privDetached'] },
    { guard: 'device:device_count != 1', actions: ['ret0', 'privDetached', 'WARN_ON'] },
    { guard: 'detach_group:domain == default_domain', actions: ['ret0', 'privDetached'] },
    { actions: ['ret0', 'reattachDefault', 'privDetached'] },
  ],
} as const;

export const machine = setup({
  types: {} as { context: C; events: E; input: { devices: number } },
  guards: {
    ...jggGuards,
    // iommu_device_use_dma_api() as posted: `if (group->owner_cnt != 0 || group->domain != group->default_domain) return -EBUSY;`
    'use:owner_cnt != 0 || domain != default_domain': ({ context }: Args) => context.owner_cnt !== 0 || context.domain !== 'default',
  },
  actions: jggActions,
}).createMachine({
  id: 'jgg-draft',
  context: ({ input }) => standardInitialContext(input.devices),
  initial: 'unowned',
  on: {
    ...jggOn,
    // Driver core: dma_configure -> iommu_device_use_dma_api(), as first posted:
    // `group->owner_cnt = 1; group->owner = NULL;` (owner is already NULL whenever owner_cnt is 0).
    bind_driver: [
      { guard: 'bind:suppress_auto_claim_dma_owner', actions: ['ret0', 'bindVfio'] },
      { guard: 'use:!group', actions: ['ret0', 'bindKernelUncounted'] },
      { guard: 'use:owner_cnt != 0 || domain != default_domain', actions: ['retEBUSY'] },
      { actions: ['ret0', 'owner_cnt = 1', 'clearOwner', 'bindKernelCounted'] },
    ],
  } as any,
  states: groupStates(),
});

/** VFIO's claim holds one count per set_dma_owner call; each counted DMA-API driver one. */
export function jggExpectedOwnerCnt(c: C): number {
  return (c.owner !== null ? 1 : 0) + c.devices.filter((d) => d.counted).length;
}

export const JGG_EVENTS = ['probe_device', 'release_device', 'bind_driver', 'unbind_driver', 'claim', 'release', 'attach_group', 'detach_group', 'attach_device', 'detach_device'] as const;

export const design: Design = {
  name: 'jgg-draft',
  title: "Jason's 23 Dec sketch as posted: use_dma_api sets owner_cnt = 1, set_dma_owner, replace_group_domain",
  source: 'seed 000_*/001_*: Jason Gunthorpe, 22-23 Dec 2021, "There is another way to organize this" (v4 07/13 review)',
  machine,
  schema: (devices) => standardSchema(devices),
  initialContext: (devices) => standardInitialContext(devices),
  classify: standardClassify,
  expectedOwnerCnt: jggExpectedOwnerCnt,
  events: JGG_EVENTS,
};
