import type { Design } from './design';
import type { GroupContext } from '../model/context';
import { USER_DOMAIN, USERS, type UserName, type VfioFd } from '../model/vocabulary';
import type { IommuEvent } from './events';

/** Who makes a call: the driver core (bind/unbind/probe/remove), a kernel driver, or a VFIO user. */
export type Lane = 'driver-core' | 'kernel-driver' | UserName;

/**
 * One thing a modelled caller can do. The precondition (`enabled`) reads the state and is kept
 * apart from the effect, which is the machine's handling of `event`.
 */
export interface CallerAction {
  readonly event: IommuEvent;
  readonly lane: Lane;
  /** An ordinary clean-up step (a driver unbinding, a user detaching or releasing): what `viability` may use. */
  readonly cleanup: boolean;
  enabled(c: GroupContext): boolean;
}

/** Variations of the standard callers a design can ask for. */
export interface CallerOptions {
  /**
   * The design has a way to share one private domain across devices of the group: add a
   * Tegra-like driver, bound with `bind_driver(d, 'tegra')`, that attaches and detaches `priv`
   * through `sharedAttach`. The design must list `tegra` in `Design.drivers`.
   */
  readonly sharedPrivateDomain?: boolean;
  /**
   * The call pair the Tegra-like driver uses: `attach_device_shared` / `detach_device_shared`
   * (v4 07/13, the default) or `attach_device` / `detach_device` (a design whose
   * `iommu_attach_device()` itself shares a domain across the group).
   */
  readonly sharedAttach?: 'attach_device_shared' | 'attach_device';
  /**
   * Binding puts a device outside the group into it first (v5.19's `dma_configure` runs the
   * iommu probe before the driver's probe, `Design.bindJoinsGroup`), so vfio-pci may be bound to
   * a device outside the group: it is a member by the time vfio-pci looks for its group.
   */
  readonly bindJoinsGroup?: boolean;
  /**
   * What a user claims through (`Design.vfioFd`, default 'group'): with the group fd, a user may
   * claim while the group's ghost `fd_openable` is set (vfio-pci has bound a member since the
   * group last emptied); with a device fd, only while a member is bound to vfio-pci.
   */
  readonly vfioFd?: VfioFd;
}

/**
 * The callers a design is checked with: its own `callers` if it has them, else the standard ones
 * with what the design declares (`bindJoinsGroup`, `vfioFd`), less the driver-core calls that
 * would block (`driverCoreWaits`). Everything that enumerates caller actions
 * (the checker, diagrams, the explorer) goes through here, so they all see the same callers.
 */
export function callersOf(design: Design, devices: number): CallerAction[] {
  const vfioFd = design.vfioFd ?? 'group';
  // The claim rule reads the schema's `fd_openable`, and bindDriver / removeMember keep it where
  // it exists: a design declaring one fd but with the other schema would never claim (no flag)
  // or carry a flag nothing reads (doubling its states), so it is refused here.
  const hasFlag = Object.prototype.hasOwnProperty.call(design.schema(devices).group, 'fd_openable');
  if (hasFlag !== (vfioFd === 'group')) {
    throw new Error(`design ${design.name}: vfioFd '${vfioFd}' ${hasFlag ? 'but its schema has' : 'needs'} the group field fd_openable (standardSchema(devices, extra, '${vfioFd}'))`);
  }
  const actions = design.callers?.(devices) ?? callerActions(devices, { bindJoinsGroup: design.bindJoinsGroup === true, vfioFd });
  const waits = design.driverCoreWaits;
  if (!waits) return actions;
  // A driver-core call that would block is not made until it would not (Design.driverCoreWaits).
  return actions.map((a) => a.lane !== 'driver-core' ? a : { ...a, enabled: (c: GroupContext) => a.enabled(c) && waits(c, a.event) === null });
}

/** Index of a VFIO user in `context.users`. */
export const userIndex = (u: UserName): number => USERS.indexOf(u);

/**
 * The modelled callers at `devices` devices, in a fixed order (device 0's actions first, then
 * device 1's, ..., then file1's and file2's). What each may do:
 * - hot-plug: a device outside the group joins it (`iommu_probe_device`), whether or not a
 *   driver is already bound (the late join of Eric Auger's report); a member with no driver
 *   bound leaves it (hot-remove);
 * - driver core: bind a kernel DMA-API driver to an unbound device, or vfio-pci to an unbound
 *   member (vfio-pci refuses a device with no iommu group); unbind it;
 * - a bound kernel driver may attach its own private domain with `iommu_attach_device` and
 *   detaches it before it unbinds;
 * - with `sharedPrivateDomain`: the driver core may bind a Tegra-like driver, which attaches the
 *   shared private domain through the design's shared call and detaches it before it unbinds;
 * - a VFIO user claims the group, attaches its own domain (never to an empty group: type1 fails
 *   first), detaches it, and releases, in VFIO's order. It claims through an fd it opened: a
 *   group fd (the default) once vfio-pci has bound a member since the group last emptied, as the
 *   fd outlives vfio-pci's unbind (the group's ghost `fd_openable`, machines/shared/ghost.ts); a
 *   device fd only while a member is bound to vfio-pci.
 */
export function callerActions(devices: number, options: CallerOptions = {}): CallerAction[] {
  const out: CallerAction[] = [];
  const fdOpen = (options.vfioFd ?? 'group') === 'group'
    ? (c: GroupContext) => c.fd_openable === true
    : (c: GroupContext) => c.devices.some((d) => d.in_group && d.driver === 'vfio');
  for (let dev = 0; dev < devices; dev++) {
    out.push(
      { event: { type: 'probe_device', dev }, lane: 'driver-core', cleanup: false, enabled: (c) => !c.devices[dev].in_group },
      { event: { type: 'bind_driver', dev, driver: 'kernel' }, lane: 'driver-core', cleanup: false, enabled: (c) => c.devices[dev].driver === 'none' },
      { event: { type: 'bind_driver', dev, driver: 'vfio' }, lane: 'driver-core', cleanup: false, enabled: (c) => c.devices[dev].driver === 'none' && (c.devices[dev].in_group || options.bindJoinsGroup === true) },
      { event: { type: 'attach_device', domain: 'priv', dev }, lane: 'kernel-driver', cleanup: false, enabled: (c) => c.devices[dev].driver === 'kernel' && !c.devices[dev].priv },
      { event: { type: 'detach_device', domain: 'priv', dev }, lane: 'kernel-driver', cleanup: true, enabled: (c) => c.devices[dev].driver === 'kernel' && c.devices[dev].priv },
      { event: { type: 'unbind_driver', dev }, lane: 'driver-core', cleanup: true, enabled: (c) => c.devices[dev].driver !== 'none' && !c.devices[dev].priv },
      { event: { type: 'release_device', dev }, lane: 'driver-core', cleanup: false, enabled: (c) => c.devices[dev].in_group && c.devices[dev].driver === 'none' },
    );
    if (options.sharedPrivateDomain) {
      // A driver like Tegra's: it suppresses the driver core's DMA-API claim and shares one
      // private domain across devices of the group through the design's shared call.
      const shared = options.sharedAttach ?? 'attach_device_shared';
      const attach: IommuEvent = { type: shared, domain: 'priv', dev };
      const detach: IommuEvent = { type: shared === 'attach_device' ? 'detach_device' : 'detach_device_shared', domain: 'priv', dev };
      out.push(
        { event: { type: 'bind_driver', dev, driver: 'tegra' }, lane: 'driver-core', cleanup: false, enabled: (c) => c.devices[dev].driver === 'none' },
        { event: attach, lane: 'kernel-driver', cleanup: false, enabled: (c) => c.devices[dev].driver === 'tegra' && !c.devices[dev].priv },
        { event: detach, lane: 'kernel-driver', cleanup: true, enabled: (c) => c.devices[dev].driver === 'tegra' && c.devices[dev].priv },
      );
    }
  }
  for (const owner of USERS) {
    const u = userIndex(owner);
    const domain = USER_DOMAIN[owner];
    out.push(
      { event: { type: 'claim', owner }, lane: owner, cleanup: false, enabled: (c) => c.users[u].phase === 'idle' && fdOpen(c) },
      // VFIO type1 finds the IOMMU through a member's bus: with no member its attach fails (-EIO)
      // before any iommu call, so it is not made on an empty group.
      { event: { type: 'attach_group', domain }, lane: owner, cleanup: false, enabled: (c) => c.users[u].phase === 'claimed' && c.devices.some((d) => d.in_group) },
      { event: { type: 'detach_group', domain }, lane: owner, cleanup: true, enabled: (c) => c.users[u].phase === 'attached' },
      { event: { type: 'release', owner }, lane: owner, cleanup: true, enabled: (c) => c.users[u].phase === 'claimed' },
    );
  }
  return out;
}
