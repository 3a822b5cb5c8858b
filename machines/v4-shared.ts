/**
 * v4-shared: the v4 series "Fix BUG_ON in vfio_iommu_group_notifier()" (Lu Baolu, 17 Dec 2021;
 * seed 000_*): 01/13 `iommu_device_set_dma_owner(dev, mode, owner_cookie)` /
 * `iommu_device_release_dma_owner(dev, mode)` over DMA_OWNER_DMA_API / PRIVATE_DOMAIN /
 * PRIVATE_DOMAIN_USER, 02/13 (really_probe sets DMA_API unless suppress_auto_claim_dma_owner),
 * 05/13 (USER detaches the group's domain; the last USER release re-attaches the default one),
 * 06/13 `iommu_group_set_dma_owner(group, mode, cookie)` for VFIO (08/13), and 07/13
 * `iommu_attach_device_shared` / `iommu_detach_device_shared` with `attach_cnt` (the patch at
 * the end of seed 000_*), used by a Tegra-like driver as 13/13 does.
 *
 * Group fields: `dma_owner`, `owner_cnt`, `owner` (the `owner_cookie`: NULL for the kernel modes,
 * the VFIO file for USER), `attach_cnt`. v4's release leaves `owner_cookie` behind when the count
 * drops to 0; the model clears it, since v4 reads it only while `owner_cnt != 0` and overwrites it
 * whenever it sets a mode on a zero count (so the two are indistinguishable).
 *
 * Device field `private_owner`: the Tegra-like driver's own record that it holds a
 * PRIVATE_DOMAIN ownership (13/13 keeps it as `client->group`). Caller bookkeeping, not kernel.
 *
 * Left out (see docs/designs/v4-shared.md): groups without a default domain, IOMMU driver attach
 * failures, `iommu_group_dma_owner_unclaimed` (its v4 body is not in the seeds).
 */
import { setup } from 'xstate';
import { effect } from '../src/machine/effect';
import type { GroupContext } from '../src/model/context';
import type { IommuEvent } from '../src/iommu/events';
import type { Design } from '../src/iommu/design';
import { callerActions } from '../src/iommu/callers';
import { bool, int, oneOf } from '../src/model/schema';
import { Errno } from '../src/model/vocabulary';
import { classifierGuards, groupStates, standardClassify } from './shared/groupStates';
import { standardInitialContext, standardSchema } from './shared/standard';
import { v4OwnershipCalls } from './shared/v4Calls';
import {
  attachMembers, bindDriver, markAttached, markClaimed, markDetached, markReleased, memberCount,
  removeMember, unbindDriver,
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
const isPrivate = (o: DmaOwner) => o === 'PRIVATE_DOMAIN' || o === USER;

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
 * iommu_device_release_dma_owner(dev, DMA_OWNER_PRIVATE_DOMAIN), as 13/13's detach calls it after
 * iommu_detach_device_shared(). Transcribed branch by branch; it runs inside the detach event.
 */
function releasePrivateDomain(c: C, d: number): void {
  if (!c.devices[d].in_group) { c.warn = true; return; } // `WARN_ON(owner != DMA_OWNER_DMA_API)`
  if (c.owner_cnt === 0 || c.dma_owner !== 'PRIVATE_DOMAIN') { c.warn = true; return; } // `WARN_ON(!owner_cnt || dma_owner != owner)`
  if (--c.owner_cnt > 0) return;
  c.dma_owner = 'DMA_API';
  c.owner = null; // owner_cookie no longer read (see the header)
}

/**
 * Counts saturate at their schema maximum (`owner_cnt` devices + 1, `attach_cnt` devices), which
 * the modelled callers never exceed; only a replay repeating a call could, and the kernel's
 * counter would go on counting there.
 */
const inc = (n: number, max: number) => Math.min(n + 1, max);

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
    'device:!group': ({ context, event }: Args) => !context.devices[dev(event)].in_group,
    'device:device_count != 1': ({ context }: Args) => memberCount(context) !== 1,
    // 13/13 host1x_client_iommu_attach(): iommu_device_set_dma_owner(dev, PRIVATE_DOMAIN, NULL):
    // `group->owner_cnt && (group->dma_owner != owner || group->owner_cookie != owner_cookie)` -> -EBUSY
    'set(PRIVATE_DOMAIN):owner_cnt && (dma_owner != owner || cookie != NULL)': ({ context }: Args) =>
      context.owner_cnt !== 0 && (context.dma_owner !== 'PRIVATE_DOMAIN' || context.owner !== null),
    // iommu_attach_device_shared() (07/13), after the set above made dma_owner PRIVATE_DOMAIN
    // (so its `dma_owner != PRIVATE_DOMAIN && != PRIVATE_DOMAIN_USER` -EPERM cannot be taken):
    // `if (group->attach_cnt) { if (group->domain != domain) -EBUSY }`
    'shared:attach_cnt && domain != domain': ({ context, event }: Args) => context.attach_cnt !== 0 && context.domain !== dom(event),
    'shared:attach_cnt': ({ context }: Args) => context.attach_cnt !== 0,
    // `else ret = __iommu_attach_group(domain, group);` and its -EBUSY
    'shared:__iommu_attach_group: domain && domain != default_domain': ({ context }: Args) => context.domain !== null && context.domain !== 'default',
    // iommu_detach_device_shared(): `if (!group) return;`
    'detach_shared:!group': ({ context, event }: Args) => !context.devices[dev(event)].in_group,
    // `if (WARN_ON(!group->attach_cnt || group->domain != domain || (dma_owner != PRIVATE_DOMAIN && != PRIVATE_DOMAIN_USER)))`
    'detach_shared:WARN_ON(!attach_cnt || domain != domain || !private)': ({ context, event }: Args) =>
      context.attach_cnt === 0 || context.domain !== dom(event) || !isPrivate(context.dma_owner),
    // `if (--group->attach_cnt == 0) __iommu_detach_group(domain, group);`
    'detach_shared:--attach_cnt == 0': ({ context }: Args) => context.attach_cnt === 1,
  },
  actions: {
    ret0: effect<C, E>((c) => { c.ret = Errno.OK; c.warn = false; }),
    retEBUSY: effect<C, E>((c) => { c.ret = Errno.EBUSY; c.warn = false; }),
    retENODEV: effect<C, E>((c) => { c.ret = Errno.ENODEV; c.warn = false; }),
    retEINVAL: effect<C, E>((c) => { c.ret = Errno.EINVAL; c.warn = false; }),
    WARN_ON: effect<C, E>((c) => { c.warn = true; }),

    /** vfio-pci or the Tegra-like driver: bound, nothing claimed. */
    bindSuppressed: effect<C, E>((c, e) => bindDriver(c, dev(e), (e as { driver: 'vfio' | 'tegra' }).driver, false)),
    bindKernelUncounted: effect<C, E>((c, e) => bindDriver(c, dev(e), 'kernel', false)),
    bindKernelCounted: effect<C, E>((c, e) => bindDriver(c, dev(e), 'kernel', true)),
    unbind: effect<C, E>((c, e) => unbindDriver(c, dev(e))),
    /** `group->dma_owner = owner; group->owner_cookie = owner_cookie; group->owner_cnt++;` */
    'set(DMA_API)': effect<C, E>((c) => { c.dma_owner = 'DMA_API'; c.owner = null; c.owner_cnt = inc(c.owner_cnt, c.devices.length + 1); }),
    'set(USER)': effect<C, E>((c, e) => { c.dma_owner = USER; c.owner = file(e); c.owner_cnt = inc(c.owner_cnt, c.devices.length + 1); }),
    'set(PRIVATE_DOMAIN)': effect<C, E>((c) => { c.dma_owner = 'PRIVATE_DOMAIN'; c.owner = null; c.owner_cnt = inc(c.owner_cnt, c.devices.length + 1); }),
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
    /** 13/13: on a failed shared attach, iommu_device_release_dma_owner(dev, PRIVATE_DOMAIN) (just set, so no WARN). */
    undoSetPrivate: effect<C, E>((c, e) => releasePrivateDomain(c, dev(e))),
    /** 13/13 host1x_client_iommu_detach(): iommu_device_release_dma_owner(dev, PRIVATE_DOMAIN). */
    releasePrivateDomain: effect<C, E>((c, e) => releasePrivateDomain(c, dev(e))),

    userClaimed: effect<C, E>((c, e) => markClaimed(c, file(e))),
    userReleased: effect<C, E>((c, e) => markReleased(c, file(e))),
    userAttached: effect<C, E>((c, e) => markAttached(c, dom(e))),
    userDetached: effect<C, E>((c, e) => markDetached(c, dom(e))),
    privAttached: effect<C, E>((c, e) => { if (dom(e) === 'priv') c.devices[dev(e)].priv = true; }),
    privDetached: effect<C, E>((c, e) => { if (dom(e) === 'priv') c.devices[dev(e)].priv = false; }),
    /** The Tegra-like driver's own record (`client->group`): it holds PRIVATE_DOMAIN and the shared domain. */
    sharedAttached: effect<C, E>((c, e) => { const d = c.devices[dev(e)]; d.private_owner = true; if (dom(e) === 'priv') d.priv = true; }),
    sharedDetached: effect<C, E>((c, e) => { const d = c.devices[dev(e)]; d.private_owner = false; if (dom(e) === 'priv') d.priv = false; }),
  },
}).createMachine({
  id: 'v4-shared',
  context: ({ input }) => ({ ...standardInitialContext(input.devices, {}, { private_owner: false }), dma_owner: 'DMA_API', attach_cnt: 0 }) as C,
  initial: 'unowned',
  on: {
    ...v4OwnershipCalls,
    // v4 leaves iommu_attach_device() / iommu_detach_device() as 426a273834ea made them.
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
    // 13/13 host1x_client_iommu_attach(), shared branch: iommu_device_set_dma_owner(dev,
    // PRIVATE_DOMAIN, NULL), then iommu_attach_device_shared(); on failure release PRIVATE_DOMAIN.
    attach_device_shared: [
      { guard: 'set:!group', actions: ['retENODEV'] },
      { guard: 'set(PRIVATE_DOMAIN):owner_cnt && (dma_owner != owner || cookie != NULL)', actions: ['retEBUSY'] },
      { guard: 'shared:attach_cnt && domain != domain', actions: ['retEBUSY', 'set(PRIVATE_DOMAIN)', 'undoSetPrivate'] },
      { guard: 'shared:attach_cnt', actions: ['ret0', 'set(PRIVATE_DOMAIN)', 'attach_cnt++', 'sharedAttached'] },
      { guard: 'shared:__iommu_attach_group: domain && domain != default_domain', actions: ['retEBUSY', 'set(PRIVATE_DOMAIN)', 'undoSetPrivate'] },
      { actions: ['ret0', 'set(PRIVATE_DOMAIN)', 'attachGroup', 'attach_cnt++', 'sharedAttached'] },
    ],
    // 13/13 host1x_client_iommu_detach(), shared branch: iommu_detach_device_shared(), then
    // iommu_device_release_dma_owner(dev, PRIVATE_DOMAIN) (whose WARN_ONs are in releasePrivateDomain).
    detach_device_shared: [
      { guard: 'detach_shared:!group', actions: ['ret0', 'releasePrivateDomain', 'sharedDetached'] },
      { guard: 'detach_shared:WARN_ON(!attach_cnt || domain != domain || !private)', actions: ['ret0', 'WARN_ON', 'releasePrivateDomain', 'sharedDetached'] },
      { guard: 'detach_shared:--attach_cnt == 0', actions: ['ret0', 'attach_cnt--', 'detachGroup', 'releasePrivateDomain', 'sharedDetached'] },
      { actions: ['ret0', 'attach_cnt--', 'releasePrivateDomain', 'sharedDetached'] },
    ],
  },
  states: groupStates(),
});

export const design: Design = {
  name: 'v4-shared',
  title: 'v4 01-13/13: DMA_API/PRIVATE_DOMAIN/PRIVATE_DOMAIN_USER, iommu_group_set_dma_owner, iommu_at[de]tach_device_shared (Dec 2021)',
  source: 'seed 000_*: [PATCH v4 07/13] iommu: Add iommu_at[de]tach_device_shared() for multi-device groups (with 01, 02, 05, 06, 08, 13/13)',
  machine,
  schema: (devices) => standardSchema(devices, {
    group: { dma_owner: oneOf(DMA_OWNERS), attach_cnt: int(0, devices) },
    device: { private_owner: bool() },
  }),
  initialContext: (devices) => standardInitialContext(devices, { dma_owner: 'DMA_API', attach_cnt: 0 }, { private_owner: false }),
  classify: standardClassify,
  // One count per counted DMA_API driver, one per Tegra-like driver holding PRIVATE_DOMAIN, one
  // for VFIO's PRIVATE_DOMAIN_USER.
  expectedOwnerCnt: (c) => (c.owner !== null ? 1 : 0) + c.devices.filter((d) => d.counted || d.private_owner).length,
  // iommu_attach_group() is the kernel's, open to a kernel driver's own domain (upstream Tegra).
  kernelAttachGroup: true,
  events: ['probe_device', 'release_device', 'bind_driver', 'unbind_driver', 'claim', 'release', 'attach_group', 'detach_group', 'attach_device', 'detach_device', 'attach_device_shared', 'detach_device_shared'],
  // The standard callers with the Tegra-like driver of 13/13: bound with
  // suppress_auto_claim_dma_owner, it attaches and detaches through `_shared`.
  callers: (n) => callerActions(n, { sharedPrivateDomain: true, sharedAttach: 'attach_device_shared' }),
  drivers: ['kernel', 'vfio', 'tegra'],
};
