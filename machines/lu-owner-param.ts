/**
 * lu-owner-param: Lu Baolu's "simpler idea" of 23 Dec 2021 in the v4 07/13 thread (seed 001_*;
 * the thread is seed 000_*): four device interfaces and no group ones,
 *   iommu_device_set_dma_owner(dev, owner);     iommu_device_release_dma_owner(dev, owner);
 *   iommu_attach_device(domain, dev, owner);    iommu_detach_device(domain, dev);
 * where `owner` is v4's ownership type, and `iommu_attach_device()` takes the old singleton path
 * for a one-device group and v4's `_shared` path otherwise. The sketch is filled from v4 (its
 * set/release bodies without the cookie, 05/13's domain switching, 07/13's shared attach/detach)
 * and from Lu's own words in the thread: VFIO, with the group variants gone, calls the device
 * interfaces for every member ("just iterate all device in the group and call the device API").
 * Each gap and its source is listed in docs/designs/lu-owner-param.md.
 *
 * Group fields: `dma_owner`, `owner_cnt`, `attach_cnt`; `owner` is VFIO's own state here (which
 * user holds the group fd: the iommu core keeps no cookie). User field `held`: how many USER
 * counts that user's claim loop took (VFIO's view, for refcount-balance).
 *
 * VFIO's loops run the kernel function once per member; each loop is one event whose
 * alternatives are the loop's outcomes (the first call's branch, then what the remaining calls
 * do), named after the C conditions.
 */
import { setup } from 'xstate';
import { effect } from '../src/machine/effect';
import type { GroupContext } from '../src/model/context';
import type { IommuEvent } from '../src/iommu/events';
import type { Design } from '../src/iommu/design';
import { callerActions } from '../src/iommu/callers';
import { int, oneOf } from '../src/model/schema';
import { Errno, USERS } from '../src/model/vocabulary';
import { classifierGuards, groupStates, standardClassify } from './shared/groupStates';
import { standardInitialContext, standardSchema } from './shared/standard';
import { v4DeviceCalls } from './shared/v4Calls';
import {
  attachMembers, bindDriver, markAttached, markClaimed, markDetached, markReleased, memberCount,
  removeMember, unbindDriver, userOfOwner,
} from './shared/ghost';

/** v4's enum iommu_dma_owner, which Lu's `owner` argument names. */
export const DMA_OWNERS = ['DMA_API', 'PRIVATE_DOMAIN', 'PRIVATE_DOMAIN_USER'] as const;
type DmaOwner = (typeof DMA_OWNERS)[number];
type C = GroupContext & { dma_owner: DmaOwner; attach_cnt: number };
type E = IommuEvent;
type Args = { context: C; event: E };
const dev = (e: E) => (e as { dev: number }).dev;
const dom = (e: E) => (e as { domain: C['domain'] }).domain;
const file = (e: E) => (e as { owner: C['owner'] }).owner;
const USER: DmaOwner = 'PRIVATE_DOMAIN_USER';
const k = (c: C) => memberCount(c);

/**
 * VFIO's loops can leak counts without bound (claim with more members than are left at
 * release, again and again). The model saturates `owner_cnt` at devices + 1 and `attach_cnt` at
 * devices (the schema maxima). A saturated `owner_cnt` is past a refcount-balance violation; a
 * saturated `attach_cnt` need not be (refcount-balance reads `owner_cnt` only), and from there
 * the model's count can reach 0 where the kernel's would not. Counterexamples never pass through
 * either (a test); see the doc for the measured effect.
 */
export const ownerCntMax = (devices: number) => devices + 1;
export const attachCntMax = (devices: number) => devices;
const cntMax = (c: C) => ownerCntMax(c.devices.length);
const attMax = (c: C) => attachCntMax(c.devices.length);

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
 * The Tegra-like driver (Lu: "For multiple-device group, like drm/tegra, the drivers should
 * claim the PRIVATE_DOMAIN ownership and call iommu_attach_device(domain, dev, PRIVATE_DOMAIN)
 * explicitly."). It sets suppress_auto_claim_dma_owner, so it holds nothing until this claim.
 * `iommu_device_set_dma_owner(dev, PRIVATE_DOMAIN)`; returns the kernel's value.
 */
function setPrivateDomain(c: C, d: number): number {
  if (!c.devices[d].in_group) return Errno.ENODEV; // `if (!group) return owner == DMA_API ? 0 : -ENODEV;`
  if (c.owner_cnt !== 0 && c.dma_owner !== 'PRIVATE_DOMAIN') return Errno.EBUSY; // `owner_cnt && dma_owner != owner`
  c.dma_owner = 'PRIVATE_DOMAIN';
  c.owner_cnt = Math.min(c.owner_cnt + 1, cntMax(c));
  return Errno.OK;
}

/** `iommu_device_release_dma_owner(dev, PRIVATE_DOMAIN)`; returns whether a WARN_ON fired. */
function releasePrivateDomain(c: C, d: number): boolean {
  if (!c.devices[d].in_group) return true; // `if (!group) { WARN_ON(owner != DMA_OWNER_DMA_API); return; }`
  if (c.owner_cnt === 0 || c.dma_owner !== 'PRIVATE_DOMAIN') return true; // `WARN_ON(!owner_cnt || dma_owner != owner)`
  if (--c.owner_cnt === 0) c.dma_owner = 'DMA_API';
  return false;
}

/**
 * `iommu_attach_device(domain, dev, PRIVATE_DOMAIN)` after the claim: the singleton path
 * (`__iommu_attach_group`'s -EBUSY, no count) or v4 07/13's shared path; returns the kernel's value.
 */
function attachPrivate(c: C, domain: C['domain']): number {
  const busy = c.domain !== null && c.domain !== 'default'; // __iommu_attach_group(): -EBUSY
  if (k(c) === 1) {
    if (busy) return Errno.EBUSY;
    attachMembers(c, domain);
    c.domain = domain;
    return Errno.OK;
  }
  // `dma_owner != owner || !private` -> -EPERM cannot be taken: the claim just made it PRIVATE_DOMAIN.
  if (c.attach_cnt !== 0) {
    if (c.domain !== domain) return Errno.EBUSY;
  } else {
    if (busy) return Errno.EBUSY;
    attachMembers(c, domain);
    c.domain = domain;
  }
  c.attach_cnt = Math.min(c.attach_cnt + 1, attMax(c));
  return Errno.OK;
}

/** `iommu_detach_device(domain, dev)`: the old path's `!group`, the singleton path, or 07/13's shared detach; returns whether a WARN_ON fired. */
function detachPrivate(c: C, domain: C['domain'], d: number): boolean {
  if (!c.devices[d].in_group) return false;
  if (k(c) === 1) { detachGroup(c); return false; }
  if (c.attach_cnt === 0 || c.domain !== domain || c.dma_owner === 'DMA_API') return true;
  if (--c.attach_cnt === 0) detachGroup(c);
  return false;
}

export const machine = setup({
  types: {} as { context: C; events: E; input: { devices: number } },
  guards: {
    ...classifierGuards(standardClassify),
    'probe:dma_owner == USER': ({ context }: Args) => context.dma_owner === USER,
    // 02/13 really_probe(): `if (!drv->suppress_auto_claim_dma_owner)` set DMA_API; vfio-pci (08/13)
    // and the Tegra-like driver (13/13) set suppress_auto_claim_dma_owner.
    'bind:suppress_auto_claim_dma_owner': ({ event }: Args) => (event as { driver: string }).driver !== 'kernel',
    // set_dma_owner(dev, DMA_API): `if (!group) return 0;` (v4 01/13 without the cookie)
    'set:!group': ({ context, event }: Args) => !context.devices[dev(event)].in_group,
    // `if (group->owner_cnt && group->dma_owner != owner) return -EBUSY;`
    'set(DMA_API):owner_cnt && dma_owner != owner': ({ context }: Args) => context.owner_cnt !== 0 && context.dma_owner !== 'DMA_API',
    'unbind:!kernel': ({ context, event }: Args) => context.devices[dev(event)].driver !== 'kernel',
    'release:!group': ({ context, event }: Args) => !context.devices[dev(event)].in_group,
    // release_dma_owner(dev, DMA_API): `WARN_ON(!group->owner_cnt || group->dma_owner != owner)`
    'release(DMA_API):WARN_ON(!owner_cnt || dma_owner != owner)': ({ context }: Args) => context.owner_cnt === 0 || context.dma_owner !== 'DMA_API',
    'release:--owner_cnt > 0': ({ context }: Args) => context.owner_cnt > 1,

    // VFIO (Dec 2021) vfio_group_fops_open(): the group fd opens once (`group->opened`) -> -EBUSY
    'vfio:group->opened': ({ context }: Args) => context.owner !== null,
    // VFIO_GROUP_UNSET_CONTAINER on a fd that set none: `if (!users) return -EINVAL;`
    'vfio:!container_users (this file)': ({ context, event }: Args) => context.owner !== file(event),
    // iommu_group_for_each_dev() over no member: no call at all
    'for_each:no member': ({ context }: Args) => k(context) === 0,
    // claim loop, first member: set_dma_owner(dev, USER): `owner_cnt && dma_owner != owner` -> -EBUSY
    'set(USER):owner_cnt && dma_owner != owner': ({ context }: Args) => context.owner_cnt !== 0 && context.dma_owner !== USER,
    // 05/13 in every USER set: `group->domain && !WARN_ON(group->domain != group->default_domain)` -> detach
    'set(USER):domain && WARN_ON(domain != default_domain)': ({ context }: Args) => context.domain !== null && context.domain !== 'default',
    'set(USER):domain': ({ context }: Args) => context.domain !== null,
    // release loop, first member: `WARN_ON(!group->owner_cnt || group->dma_owner != owner)` (then every call WARNs)
    'release(USER):WARN_ON(!owner_cnt || dma_owner != owner)': ({ context }: Args) => context.owner_cnt === 0 || context.dma_owner !== USER,
    // `--owner_cnt > 0` after every member's call: the count outlives the loop (a leak if VFIO was the last holder)
    'release(USER):owner_cnt > members': ({ context }: Args) => context.owner_cnt > k(context),
    // the count reaches 0 at the last member's call: 05/13 `!WARN_ON(group->domain)` then re-attach default
    'release(USER):owner_cnt == members && WARN_ON(domain)': ({ context }: Args) => context.owner_cnt === k(context) && context.domain !== null,
    'release(USER):owner_cnt == members': ({ context }: Args) => context.owner_cnt === k(context),
    // the count reaches 0 before the loop ends; the remaining calls hit the first WARN_ON
    'release(USER):owner_cnt < members && WARN_ON(domain)': ({ context }: Args) => context.domain !== null,

    // Lu: `if (group_is_singleton(group)) __iommu_attach_device(domain, dev)` (the old path)
    'attach:!group': ({ context, event }: Args) => !context.devices[dev(event)].in_group,
    'attach:singleton': ({ context }: Args) => k(context) === 1,
    'attach(singleton):__iommu_attach_group: domain && domain != default_domain': ({ context }: Args) =>
      k(context) === 1 && context.domain !== null && context.domain !== 'default',
    // __iommu_attach_group() (05/13): `if (group->domain && group->domain != group->default_domain) return -EBUSY;`
    'attach_group:domain && domain != default_domain': ({ context }: Args) => context.domain !== null && context.domain !== 'default',
    // `else __iommu_attach_device_shared(domain, dev, owner)`: v4 07/13's -EPERM, with owner checked:
    // `group->dma_owner != owner || (owner != PRIVATE_DOMAIN && owner != PRIVATE_DOMAIN_USER)`
    'shared(DMA_API):dma_owner != owner || !private': () => true,
    'shared(USER):dma_owner != owner': ({ context }: Args) => context.dma_owner !== USER,
    // `if (group->attach_cnt) { if (group->domain != domain) -EBUSY }`
    'shared:attach_cnt && domain != domain': ({ context, event }: Args) => context.attach_cnt !== 0 && context.domain !== dom(event),
    'shared:attach_cnt': ({ context }: Args) => context.attach_cnt !== 0,
    // iommu_detach_device(domain, dev): old path `if (!group) return;` and the singleton path
    'detach:!group': ({ context, event }: Args) => !context.devices[dev(event)].in_group,
    'detach:singleton': ({ context }: Args) => k(context) === 1,
    'detach(singleton):dma_owner == USER': ({ context }: Args) => k(context) === 1 && context.dma_owner === USER,
    'detach(singleton):domain == default_domain': ({ context }: Args) => k(context) === 1 && context.domain === 'default',
    // __iommu_detach_group() (05/13) branches
    // shared path (07/13): `WARN_ON(!attach_cnt || domain != domain || (dma_owner != PRIVATE_DOMAIN && != USER))`
    'detach_shared:WARN_ON(!attach_cnt || domain != domain || !private)': ({ context, event }: Args) =>
      context.attach_cnt === 0 || context.domain !== dom(event) || context.dma_owner === 'DMA_API',
    'detach_shared:--attach_cnt == 0': ({ context }: Args) => context.attach_cnt === 1,
    // VFIO's detach loop: attach_cnt outlives / reaches 0 at the last member / before the last member
    'detach_shared:attach_cnt > members': ({ context }: Args) => context.attach_cnt > k(context),
    'detach_shared:attach_cnt == members': ({ context }: Args) => context.attach_cnt === k(context),
    // The caller is the Tegra-like driver: its paths wrap the attach / detach in the PRIVATE_DOMAIN claim / release.
    'driver == tegra': ({ context, event }: Args) => context.devices[dev(event)].driver === 'tegra',
  },
  actions: {
    ret0: effect<C, E>((c) => { c.ret = Errno.OK; c.warn = false; }),
    retEPERM: effect<C, E>((c) => { c.ret = Errno.EPERM; c.warn = false; }),
    retEBUSY: effect<C, E>((c) => { c.ret = Errno.EBUSY; c.warn = false; }),
    retENODEV: effect<C, E>((c) => { c.ret = Errno.ENODEV; c.warn = false; }),
    retEINVAL: effect<C, E>((c) => { c.ret = Errno.EINVAL; c.warn = false; }),
    WARN_ON: effect<C, E>((c) => { c.warn = true; }),

    /** vfio-pci or the Tegra-like driver: bound, nothing claimed. */
    bindSuppressed: effect<C, E>((c, e) => bindDriver(c, dev(e), (e as { driver: 'vfio' | 'tegra' }).driver, false)),
    bindKernelUncounted: effect<C, E>((c, e) => bindDriver(c, dev(e), 'kernel', false)),
    bindKernelCounted: effect<C, E>((c, e) => bindDriver(c, dev(e), 'kernel', true)),
    unbind: effect<C, E>((c, e) => unbindDriver(c, dev(e))),
    'set(DMA_API)': effect<C, E>((c) => { c.dma_owner = 'DMA_API'; c.owner_cnt = Math.min(c.owner_cnt + 1, cntMax(c)); }),
    'owner_cnt--': effect<C, E>((c) => { c.owner_cnt--; }),
    /** `--owner_cnt` reaching 0: `group->dma_owner = DMA_OWNER_DMA_API;` */
    lastRelease: effect<C, E>((c) => { c.owner_cnt = 0; c.dma_owner = 'DMA_API'; }),

    /** VFIO: the group fd is this user's (`group->opened`, then the container is set). */
    vfioOpen: effect<C, E>((c, e) => { c.owner = file(e); }),
    /** The claim loop: set_dma_owner(dev, USER) for each member; VFIO records how many it took. */
    'for_each: set(USER)': effect<C, E>((c, e) => { const n = k(c); c.dma_owner = USER; c.owner_cnt = Math.min(c.owner_cnt + n, cntMax(c)); c.users[userOfOwner(file(e))].held = n; }),
    /** The release loop: owner_cnt -= members (more owners left). */
    'for_each: owner_cnt -= members': effect<C, E>((c) => { c.owner_cnt -= k(c); }),
    /** VFIO closes the group fd: it believes it holds nothing. */
    vfioClose: effect<C, E>((c, e) => { c.owner = null; const u = userOfOwner(file(e)); if (u >= 0) c.users[u].held = 0; }),

    addToGroup: effect<C, E>((c, e) => { const d = c.devices[dev(e)]; d.in_group = true; d.domain = c.domain; }),
    attachDefaultToDevice: effect<C, E>((c, e) => { c.devices[dev(e)].domain = 'default'; }),
    removeFromGroup: effect<C, E>((c, e) => removeMember(c, dev(e))),
    detachGroup: effect<C, E>((c) => detachGroup(c)),
    attachGroup: effect<C, E>((c, e) => { attachMembers(c, dom(e)); c.domain = dom(e); }),
    attachDefaultGroup: effect<C, E>((c) => { attachMembers(c, 'default'); c.domain = 'default'; }),
    /** The attach loop through the shared path: the first member attaches, every member counts. */
    'for_each: attach_cnt += members': effect<C, E>((c) => { c.attach_cnt = Math.min(c.attach_cnt + k(c), attMax(c)); }),
    'for_each: attach_cnt -= members': effect<C, E>((c) => { c.attach_cnt -= k(c); }),
    'attach_cnt--': effect<C, E>((c) => { c.attach_cnt--; }),
    /** The detach loop reaches 0 at or before its last member. */
    'attach_cnt = 0': effect<C, E>((c) => { c.attach_cnt = 0; }),

    userClaimed: effect<C, E>((c, e) => markClaimed(c, file(e))),
    userReleased: effect<C, E>((c, e) => markReleased(c, file(e))),
    userAttached: effect<C, E>((c, e) => markAttached(c, dom(e))),
    userDetached: effect<C, E>((c, e) => markDetached(c, dom(e))),
    privAttached: effect<C, E>((c, e) => { if (dom(e) === 'priv') c.devices[dev(e)].priv = true; }),
    privDetached: effect<C, E>((c, e) => { if (dom(e) === 'priv') c.devices[dev(e)].priv = false; }),
    /** Tegra-like attach: claim PRIVATE_DOMAIN, attach with that owner, release the claim if the attach failed. */
    tegraAttach: effect<C, E>((c, e) => {
      c.warn = false;
      c.ret = setPrivateDomain(c, dev(e));
      if (c.ret !== Errno.OK) return;
      c.ret = attachPrivate(c, dom(e));
      if (c.ret !== Errno.OK) { if (releasePrivateDomain(c, dev(e))) c.warn = true; return; }
      if (dom(e) === 'priv') c.devices[dev(e)].priv = true;
    }),
    /** Tegra-like detach: iommu_detach_device(), then release PRIVATE_DOMAIN. */
    tegraDetach: effect<C, E>((c, e) => {
      c.ret = Errno.OK;
      c.warn = detachPrivate(c, dom(e), dev(e));
      if (releasePrivateDomain(c, dev(e))) c.warn = true;
      if (dom(e) === 'priv') c.devices[dev(e)].priv = false;
    }),
  },
}).createMachine({
  id: 'lu-owner-param',
  context: ({ input }) => ({ ...standardInitialContext(input.devices), dma_owner: 'DMA_API', attach_cnt: 0, users: USERS.map(() => ({ phase: 'idle', held: 0 })) }) as C,
  initial: 'unowned',
  on: {
    // Hot-plug and unbind: v4 01-02/13's, unchanged by this proposal.
    probe_device: v4DeviceCalls.probe_device,
    release_device: v4DeviceCalls.release_device,

    // really_probe(): iommu_device_set_dma_owner(dev, DMA_OWNER_DMA_API) (v4 02/13, Lu's "default owner type").
    bind_driver: [
      { guard: 'bind:suppress_auto_claim_dma_owner', actions: ['ret0', 'bindSuppressed'] },
      { guard: 'set:!group', actions: ['ret0', 'bindKernelUncounted'] },
      { guard: 'set(DMA_API):owner_cnt && dma_owner != owner', actions: ['retEBUSY'] },
      { actions: ['ret0', 'set(DMA_API)', 'bindKernelCounted'] },
    ],
    unbind_driver: v4DeviceCalls.unbind_driver,

    // VFIO: open the group fd, then iommu_device_set_dma_owner(dev, USER) for every member.
    claim: [
      { guard: 'vfio:group->opened', actions: ['retEBUSY'] },
      { guard: 'for_each:no member', actions: ['ret0', 'vfioOpen', 'userClaimed'] },
      { guard: 'set(USER):owner_cnt && dma_owner != owner', actions: ['retEBUSY'] },
      { guard: 'set(USER):domain && WARN_ON(domain != default_domain)', actions: ['ret0', 'vfioOpen', 'for_each: set(USER)', 'userClaimed', 'WARN_ON'] },
      { guard: 'set(USER):domain', actions: ['ret0', 'vfioOpen', 'for_each: set(USER)', 'detachGroup', 'userClaimed'] },
      { actions: ['ret0', 'vfioOpen', 'for_each: set(USER)', 'userClaimed'] },
    ],
    // VFIO: iommu_device_release_dma_owner(dev, USER) for every member now in the group, then close.
    release: [
      { guard: 'vfio:!container_users (this file)', actions: ['retEINVAL', 'userReleased'] },
      { guard: 'for_each:no member', actions: ['ret0', 'vfioClose', 'userReleased'] },
      { guard: 'release(USER):WARN_ON(!owner_cnt || dma_owner != owner)', actions: ['ret0', 'vfioClose', 'userReleased', 'WARN_ON'] },
      { guard: 'release(USER):owner_cnt > members', actions: ['ret0', 'for_each: owner_cnt -= members', 'vfioClose', 'userReleased'] },
      { guard: 'release(USER):owner_cnt == members && WARN_ON(domain)', actions: ['ret0', 'lastRelease', 'vfioClose', 'userReleased', 'WARN_ON'] },
      { guard: 'release(USER):owner_cnt == members', actions: ['ret0', 'lastRelease', 'attachDefaultGroup', 'vfioClose', 'userReleased'] },
      { guard: 'release(USER):owner_cnt < members && WARN_ON(domain)', actions: ['ret0', 'lastRelease', 'vfioClose', 'userReleased', 'WARN_ON'] },
      { actions: ['ret0', 'lastRelease', 'attachDefaultGroup', 'vfioClose', 'userReleased', 'WARN_ON'] },
    ],
    // VFIO type1: iommu_attach_device(domain, dev, USER) for every member.
    attach_group: [
      { guard: 'for_each:no member', actions: ['ret0', 'userAttached'] },
      { guard: 'attach(singleton):__iommu_attach_group: domain && domain != default_domain', actions: ['retEBUSY'] },
      { guard: 'attach:singleton', actions: ['ret0', 'attachGroup', 'userAttached'] },
      { guard: 'shared(USER):dma_owner != owner', actions: ['retEPERM'] },
      { guard: 'shared:attach_cnt && domain != domain', actions: ['retEBUSY'] },
      { guard: 'shared:attach_cnt', actions: ['ret0', 'for_each: attach_cnt += members', 'userAttached'] },
      { guard: 'attach_group:domain && domain != default_domain', actions: ['retEBUSY'] },
      { actions: ['ret0', 'attachGroup', 'for_each: attach_cnt += members', 'userAttached'] },
    ],
    // VFIO type1: iommu_detach_device(domain, dev) for every member now in the group.
    detach_group: [
      { guard: 'for_each:no member', actions: ['ret0', 'userDetached'] },
      { guard: 'detach(singleton):dma_owner == USER', actions: ['ret0', 'detachGroup', 'userDetached'] },
      { guard: 'detach(singleton):domain == default_domain', actions: ['ret0', 'userDetached'] },
      { guard: 'detach:singleton', actions: ['ret0', 'detachGroup', 'userDetached'] },
      { guard: 'detach_shared:WARN_ON(!attach_cnt || domain != domain || !private)', actions: ['ret0', 'userDetached', 'WARN_ON'] },
      { guard: 'detach_shared:attach_cnt > members', actions: ['ret0', 'for_each: attach_cnt -= members', 'userDetached'] },
      { guard: 'detach_shared:attach_cnt == members', actions: ['ret0', 'attach_cnt = 0', 'detachGroup', 'userDetached'] },
      { actions: ['ret0', 'attach_cnt = 0', 'detachGroup', 'userDetached', 'WARN_ON'] },
    ],
    // A kernel driver's private domain: iommu_attach_device(domain, dev, DMA_OWNER_DMA_API).
    attach_device: [
      { guard: 'driver == tegra', actions: ['tegraAttach'] },
      { guard: 'attach:!group', actions: ['retENODEV'] },
      { guard: 'attach(singleton):__iommu_attach_group: domain && domain != default_domain', actions: ['retEBUSY'] },
      { guard: 'attach:singleton', actions: ['ret0', 'attachGroup', 'privAttached'] },
      { guard: 'shared(DMA_API):dma_owner != owner || !private', actions: ['retEPERM'] },
    ],
    // iommu_detach_device(domain, dev): the singleton path or v4's shared detach.
    detach_device: [
      { guard: 'driver == tegra', actions: ['tegraDetach'] },
      { guard: 'detach:!group', actions: ['ret0', 'privDetached'] },
      { guard: 'detach(singleton):dma_owner == USER', actions: ['ret0', 'detachGroup', 'privDetached'] },
      { guard: 'detach(singleton):domain == default_domain', actions: ['ret0', 'privDetached'] },
      { guard: 'detach:singleton', actions: ['ret0', 'detachGroup', 'privDetached'] },
      { guard: 'detach_shared:WARN_ON(!attach_cnt || domain != domain || !private)', actions: ['ret0', 'privDetached', 'WARN_ON'] },
      { guard: 'detach_shared:--attach_cnt == 0', actions: ['ret0', 'attach_cnt--', 'detachGroup', 'privDetached'] },
      { actions: ['ret0', 'attach_cnt--', 'privDetached'] },
    ],
  },
  states: groupStates(),
});

export const design: Design = {
  name: 'lu-owner-param',
  title: "Lu's 23 Dec \"simpler idea\": set/release_dma_owner(dev, owner), iommu_attach_device(domain, dev, owner), iommu_detach_device(domain, dev)",
  source: 'seed 001_* (thread of 000_*): Lu Baolu, Re: [PATCH v4 07/13], 23 Dec 2021 ("I have a simpler idea")',
  machine,
  schema: (devices) => standardSchema(devices, {
    group: { dma_owner: oneOf(DMA_OWNERS), attach_cnt: int(0, devices) },
    user: { held: int(0, devices) },
  }),
  initialContext: (devices) => ({ ...standardInitialContext(devices, { dma_owner: 'DMA_API', attach_cnt: 0 }), users: USERS.map(() => ({ phase: 'idle' as const, held: 0 })) }),
  classify: standardClassify,
  // One count per counted DMA_API driver, one per Tegra-like driver holding PRIVATE_DOMAIN (its
  // private domain attached), plus what each VFIO user's claim loop took.
  expectedOwnerCnt: (c) => c.devices.filter((d) => d.counted || (d.driver === 'tegra' && d.priv)).length + c.users.reduce((s, u) => s + (u.held as number), 0),
  events: ['probe_device', 'release_device', 'bind_driver', 'unbind_driver', 'claim', 'release', 'attach_group', 'detach_group', 'attach_device', 'detach_device'],
  // The Tegra-like driver of Lu's sketch: PRIVATE_DOMAIN claim, then iommu_attach_device(domain, dev, PRIVATE_DOMAIN).
  callers: (n) => callerActions(n, { sharedPrivateDomain: true, sharedAttach: 'attach_device' }),
  drivers: ['kernel', 'vfio', 'tegra'],
};
