/**
 * iommufd: v6.2's device-centric ownership (89395ccedbc1, "iommu: Add device-centric DMA
 * ownership interfaces"): `iommu_device_claim_dma_owner(dev, owner)` and
 * `iommu_device_release_dma_owner(dev)`, used by a VFIO cdev user through iommufd. Several
 * devices of one group may hold ownership at once if they present the same owner; the last
 * release returns the group to the default domain. Everything else is v5.19's (machines/v8.ts):
 * the driver core, hot-plug, use/unuse, iommu_attach_group/detach_group, iommu_attach_device.
 *
 * The VFIO users are cdev users, each with its own iommufd context (`file1`, `file2` stand for
 * the two contexts). Their four steps map to per-device calls (docs/designs/iommufd.md):
 * - claim: VFIO_DEVICE_BIND_IOMMUFD on every group member bound to vfio-pci that no one has
 *   bound yet, in device order -> iommufd_device_bind() -> iommu_device_claim_dma_owner(dev, ictx);
 * - attach_group: VFIO_DEVICE_ATTACH_IOMMUFD_PT for each bound device -> iommufd_device_attach();
 *   the first device of the group calls iommu_attach_group(), later ones find the group attached;
 * - detach_group: iommufd_device_detach() for each; the last one calls iommu_detach_group();
 * - release: closing each device fd -> iommufd_device_unbind() -> iommu_device_release_dma_owner(dev).
 * Unbinding vfio-pci from a bound device waits for the user to close that device, so the driver
 * core's unbind runs that device's detach and release first.
 *
 * Per device the model keeps `bound_by`: which context has bound it (the iommufd_device object).
 */
import { setup } from 'xstate';
import { effect } from '../src/machine/effect';
import type { GroupContext } from '../src/model/context';
import type { IommuEvent } from '../src/iommu/events';
import type { Design } from '../src/iommu/design';
import { Errno, OWNERS, USER_DOMAIN, USERS, type Owner, type UserName } from '../src/model/vocabulary';
import { oneOf } from '../src/model/schema';
import { groupStates, standardClassify } from './shared/groupStates';
import { standardInitialContext, standardSchema } from './shared/standard';
import { userOfOwner } from './shared/ghost';
import { setCoreDomain, setGroupDomain, v8Actions, v8Guards, v8On } from './v8';

type C = GroupContext;
type E = IommuEvent;
type Args = { context: C; event: E };
const dev = (e: E) => (e as { dev: number }).dev;
const ownerOf = (e: E) => (e as { owner: UserName }).owner;
const domainOwner = (e: E): UserName | undefined => USERS.find((u) => USER_DOMAIN[u] === (e as { domain: C['domain'] }).domain);

/** `bound_by` of a device: the iommufd context that has bound it, or null. */
const boundBy = (c: C, d: number) => c.devices[d].bound_by as Owner;

/** Members bound to vfio-pci that no context has bound: what a user's claim opens, in device order. */
function freeVfioMembers(c: C): number[] {
  const out: number[] = [];
  for (let d = 0; d < c.devices.length; d++) {
    const x = c.devices[d];
    if (x.in_group && x.driver === 'vfio' && boundBy(c, d) === null) out.push(d);
  }
  return out;
}

function devicesOf(c: C, owner: UserName): number[] {
  const out: number[] = [];
  for (let d = 0; d < c.devices.length; d++) if (boundBy(c, d) === owner) out.push(d);
  return out;
}

/**
 * iommu_device_claim_dma_owner(dev, owner) (v6.2) on a group member; returns the kernel's value.
 * `if (WARN_ON(!owner)) return -EINVAL;` then `if (!group) return -ENODEV;` (in that order since
 * a6a9a5da6808) cannot fire: only members are claimed and every owner is a real context.
 */
export function deviceClaim(c: C, owner: UserName): number {
  if (c.owner_cnt !== 0) {
    // `if (group->owner != owner) { ret = -EPERM; goto unlock_out; } group->owner_cnt++;`
    if (c.owner !== owner) return Errno.EPERM;
    c.owner_cnt++;
    return Errno.OK;
  }
  // __iommu_take_dma_ownership(): `if (group->domain && group->domain != group->default_domain) return -EBUSY;`
  if (c.domain !== null && c.domain !== 'default') return Errno.EBUSY;
  setGroupDomain(c, 'blocking');
  c.owner = owner;
  c.owner_cnt++;
  return Errno.OK;
}

/**
 * iommu_device_release_dma_owner(dev) (v6.2): `if (group->owner_cnt > 1) group->owner_cnt--;
 * else __iommu_release_dma_ownership(group);` whose `WARN_ON(!owner_cnt || !owner)` returns
 * early. Returns whether that WARN_ON fired.
 */
export function deviceRelease(c: C): boolean {
  if (c.owner_cnt > 1) { c.owner_cnt--; return false; }
  if (c.owner_cnt === 0 || c.owner === null) return true;
  c.owner_cnt = 0;
  c.owner = null;
  setGroupDomain(c, 'default');
  return false;
}

/**
 * iommufd_device_detach() of `owner`'s device `d` while the user is attached: the device leaves
 * the hw_pagetable's list; if no other device of the group is left on it, iommu_detach_group().
 */
function deviceDetach(c: C, owner: UserName, d: number): void {
  const others = devicesOf(c, owner).filter((x) => x !== d);
  if (others.length === 0) setCoreDomain(c);
}

/** A user's phase after it lost device `d`: idle once it holds no device. */
function forgetDevice(c: C, owner: UserName, d: number): void {
  c.devices[d].bound_by = null;
  if (devicesOf(c, owner).length === 0) c.users[userOfOwner(owner)].phase = 'idle';
}

export const machine = setup({
  types: {} as { context: C; events: E; input: { devices: number } },
  guards: {
    ...v8Guards,
    // No free vfio-pci member: the user has no device to bind (one opened through its cdev
    // cannot be opened again, vfio_df_open()). The event is then a dry run, see `dryRunClaim`.
    'bind_iommufd:no free vfio-pci member': ({ context }: Args) => freeVfioMembers(context).length === 0,
    // the user has no bound device to attach, detach or close (or the domain is no user's).
    'user:no device bound': ({ context, event }: Args) => {
      const u = ownerOf(event) ?? domainOwner(event);
      return u === undefined || devicesOf(context, u).length === 0;
    },
    // iommufd_device_attach() of the first device: iommu_attach_group() -> __iommu_attach_group()'s -EBUSY.
    'attach:domain not NULL, default or blocking': ({ context }: Args) =>
      context.domain !== null && context.domain !== 'default' && context.domain !== 'blocking',
    // unbind of vfio-pci from a device some context has bound: VFIO waits for that user to close it.
    'unbind:bound through iommufd': ({ context, event }: Args) => boundBy(context, dev(event)) !== null,
  },
  actions: {
    ...v8Actions,
    /**
     * The user binds every free vfio-pci member in device order, stopping at the first failure
     * (each bind is iommufd_device_bind() -> iommu_device_claim_dma_owner(dev, ictx)).
     */
    bindAllFree: effect<C, E>((c, e) => {
      const owner = ownerOf(e);
      c.ret = Errno.OK;
      c.warn = false;
      for (const d of freeVfioMembers(c)) {
        const r = deviceClaim(c, owner);
        if (r !== Errno.OK) { c.ret = r; break; }
        c.devices[d].bound_by = owner;
      }
      if (devicesOf(c, owner).length > 0 && c.users[userOfOwner(owner)].phase === 'idle') c.users[userOfOwner(owner)].phase = 'claimed';
    }),
    /**
     * No device to bind: no kernel call is made and nothing changes; `ret` is what
     * iommu_device_claim_dma_owner() would return for a member, so that `viability` asks the
     * ownership layer the same question it asks of the group API ("would a claim succeed?").
     */
    dryRunClaim: effect<C, E>((c, e) => {
      const owner = ownerOf(e);
      if (c.owner_cnt !== 0) c.ret = c.owner !== owner ? Errno.EPERM : Errno.OK;
      else c.ret = c.domain !== null && c.domain !== 'default' ? Errno.EBUSY : Errno.OK;
      c.warn = false;
    }),
    /** The user closes every device it bound: detach first if attached (vfio_iommufd_physical_unbind), then release each. */
    closeAll: effect<C, E>((c, e) => {
      const owner = ownerOf(e);
      const u = userOfOwner(owner);
      c.ret = Errno.OK;
      c.warn = false;
      if (c.users[u].phase === 'attached') setCoreDomain(c);
      for (const d of devicesOf(c, owner)) {
        if (deviceRelease(c)) c.warn = true;
        c.devices[d].bound_by = null;
      }
      c.users[u].phase = 'idle';
    }),
    /** iommufd_device_attach() for each of the user's devices: the first calls iommu_attach_group(dom, group). */
    attachFirst: effect<C, E>((c, e) => {
      const d = (e as { domain: C['domain'] }).domain;
      setGroupDomain(c, d);
      c.users[userOfOwner(domainOwner(e)!)].phase = 'attached';
    }),
    /** iommufd_device_detach() for each of the user's devices: the last calls iommu_detach_group(). */
    detachAll: effect<C, E>((c, e) => {
      const u = userOfOwner(domainOwner(e)!);
      if (c.users[u].phase === 'attached') {
        setCoreDomain(c);
        c.users[u].phase = 'claimed';
      }
    }),
    /** vfio-pci's remove waits for the user to close the device: detach (if attached), then release its ownership. */
    closeBeforeUnbind: effect<C, E>((c, e) => {
      const d = dev(e);
      const owner = boundBy(c, d) as UserName;
      if (c.users[userOfOwner(owner)].phase === 'attached') deviceDetach(c, owner, d);
      if (deviceRelease(c)) c.warn = true;
      forgetDevice(c, owner, d);
    }),
  },
}).createMachine({
  id: 'iommufd',
  context: ({ input }) => standardInitialContext(input.devices, {}, { bound_by: null }, 'device'),
  initial: 'unowned',
  on: {
    ...v8On,
    // Driver core: unbinding vfio-pci from a device a user has bound runs that user's close first.
    unbind_driver: [
      { guard: 'unbind:bound through iommufd', actions: ['ret0', 'closeBeforeUnbind', 'unbind'] },
      ...v8On.unbind_driver,
    ],
    // VFIO cdev user: VFIO_DEVICE_BIND_IOMMUFD on each free vfio-pci member.
    claim: [
      { guard: 'bind_iommufd:no free vfio-pci member', actions: ['dryRunClaim'] },
      { actions: ['bindAllFree'] },
    ],
    // VFIO cdev user: close every bound device.
    release: [
      { guard: 'user:no device bound', actions: ['ret0'] },
      { actions: ['closeAll'] },
    ],
    // VFIO cdev user: VFIO_DEVICE_ATTACH_IOMMUFD_PT for each bound device.
    attach_group: [
      { guard: 'user:no device bound', actions: ['retEINVAL'] },
      { guard: 'attach:domain not NULL, default or blocking', actions: ['retEBUSY'] },
      { actions: ['ret0', 'attachFirst'] },
    ],
    // VFIO cdev user: VFIO_DEVICE_DETACH_IOMMUFD_PT for each bound device.
    detach_group: [
      { guard: 'user:no device bound', actions: ['ret0'] },
      { actions: ['ret0', 'detachAll'] },
    ],
  } as any,
  states: groupStates(),
});

export const design: Design = {
  name: 'iommufd',
  title: 'v6.2 device-centric ownership: iommu_device_claim/release_dma_owner shared by owner pointer',
  source: 'upstream 89395ccedbc1 (v6.2, with a6a9a5da6808); v5.19 core as in machines/v8.ts',
  machine,
  schema: (devices) => standardSchema(devices, { device: { bound_by: oneOf(OWNERS) } }, 'device'),
  initialContext: (devices) => standardInitialContext(devices, {}, { bound_by: null }, 'device'),
  // A user's claim is the opening of a device fd (VFIO_GROUP_GET_DEVICE_FD in v6.2, the device
  // cdev later), which needs vfio-pci bound; vfio-pci's unbind waits for it to close.
  vfioFd: 'device',
  classify: standardClassify,
  // One count per device a context has bound; one per counted DMA-API driver.
  expectedOwnerCnt: (c) => c.devices.filter((d) => d.bound_by !== null).length + c.devices.filter((d) => d.counted).length,
  events: ['probe_device', 'release_device', 'bind_driver', 'unbind_driver', 'claim', 'release', 'attach_group', 'detach_group', 'attach_device', 'detach_device', 'owner_claimed'],
  // dma_configure() puts the device in its group before vfio-pci's probe looks for the group.
  bindJoinsGroup: true,
};
