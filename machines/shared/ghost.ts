import type { GroupContext } from '../../src/model/context';
import { USER_DOMAIN, USERS, type BoundDriver, type Domain, type Owner } from '../../src/model/vocabulary';

/**
 * Bookkeeping of the callers (not kernel state): where each VFIO user is in its claim / attach /
 * detach / release order, and the ghost variables `counted` and `priv` of each device. Every
 * design's effects call these so the callers behave the same in every design.
 */

export function userOfOwner(owner: Owner): number {
  return owner === null ? -1 : USERS.indexOf(owner);
}

export function userOfDomain(domain: Domain): number {
  return USERS.findIndex((u) => USER_DOMAIN[u] === domain);
}

export function markClaimed(c: GroupContext, owner: Owner): void {
  const u = userOfOwner(owner);
  if (u >= 0) c.users[u].phase = 'claimed';
}

export function markReleased(c: GroupContext, owner: Owner): void {
  const u = userOfOwner(owner);
  if (u >= 0) c.users[u].phase = 'idle';
}

export function markAttached(c: GroupContext, domain: Domain): void {
  const u = userOfDomain(domain);
  if (u >= 0) c.users[u].phase = 'attached';
}

export function markDetached(c: GroupContext, domain: Domain): void {
  const u = userOfDomain(domain);
  if (u >= 0 && c.users[u].phase === 'attached') c.users[u].phase = 'claimed';
}

/**
 * A driver is bound. Binding vfio-pci also sets the group's ghost `fd_openable` where the design
 * has it (VFIO claims through the group fd, `Design.vfioFd`): vfio-pci registered a device, so
 * the group's `/dev/vfio/N` exists and a user may open it and keep it open for as long as it
 * likes, past vfio-pci's unbind (with no container set nothing waits for it). Only the group's
 * emptying clears the flag (`removeMember`). It stands for every user at once: a modelled user
 * is one VFIO session, and a later session may set its container through the fd an earlier one
 * opened (docs/model.md, "The group fd").
 */
export function bindDriver(c: GroupContext, dev: number, driver: BoundDriver, counted: boolean): void {
  const d = c.devices[dev];
  d.driver = driver;
  d.counted = counted;
  if (driver === 'vfio' && c.fd_openable === false) c.fd_openable = true;
}

export function unbindDriver(c: GroupContext, dev: number): void {
  const d = c.devices[dev];
  d.driver = 'none';
  d.counted = false;
  d.priv = false;
}

/**
 * `iommu_group_remove_device()`: the device leaves the group's list and is attached to nothing.
 * Once the last member has left, `fd_openable` (where the design has it) is cleared: the kernel
 * gives a device probed later a fresh group (`pci_device_group()` and `generic_device_group()`
 * find a group only through another device's, else `iommu_group_alloc()`), whose `/dev/vfio/N`
 * no one has opened, and an fd of the old, empty group could only claim a group with no device
 * in it. The one modelled group stands for both (docs/model.md, "The group's lifetime").
 */
export function removeMember(c: GroupContext, dev: number): void {
  const d = c.devices[dev];
  d.in_group = false;
  d.domain = null;
  if (c.fd_openable === true && memberCount(c) === 0) c.fd_openable = false;
}

/** The group's members: devices that went through iommu_probe_device() and are still there. */
export function memberCount(c: GroupContext): number {
  let n = 0;
  for (const d of c.devices) if (d.in_group) n++;
  return n;
}

/** `__iommu_group_for_each_dev(group, domain, iommu_group_do_attach_device)` (attach never fails here). */
export function attachMembers(c: GroupContext, domain: Domain): void {
  for (const d of c.devices) if (d.in_group) d.domain = domain;
}
