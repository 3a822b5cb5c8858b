import type { AnyStateMachine } from 'xstate';
import type { GroupContext } from '../model/context';
import type { ContextSchema } from '../model/schema';
import { STANDARD_DRIVERS, type BoundDriver, type GroupStateName, type VfioFd } from '../model/vocabulary';
import type { CallerAction } from './callers';
import type { IommuEvent } from './events';

/**
 * One API design: an XState machine for the iommu group (the source of truth), the schema of
 * its context, and what the checker needs to know about it. A design is one file in
 * `machines/` exporting `design`, plus one doc in `docs/designs/`.
 */
export interface Design {
  /** Name used on the command line (`--design NAME`). */
  readonly name: string;
  /** One line: what the design is. */
  readonly title: string;
  /** Which seed message (or upstream commit) the design follows. */
  readonly source: string;
  /** The group statechart. Its context is created from `input: { devices }`. */
  readonly machine: AnyStateMachine;
  /** Context schema at `devices` devices: every field's finite range. */
  schema(devices: number): ContextSchema;
  /** The context at the start: no device in the group, no driver bound, domain default. */
  initialContext(devices: number): GroupContext;
  /** The finite state a context belongs in (what the machine's `always` transitions enforce). */
  classify(c: GroupContext): GroupStateName;
  /**
   * What `owner_cnt` should be given who holds it, for `refcount-balance`. Omit when the design
   * has no owner count (the invariant is then n/a).
   */
  expectedOwnerCnt?(c: GroupContext): number;
  /** Invariants that cannot apply to this design, with the reason. */
  readonly notApplicable?: Readonly<Record<string, string>>;
  /** Event types the machine understands (replay refuses others for this design). */
  readonly events: readonly string[];
  /**
   * The modelled callers, when the design needs other ones than the standard
   * `callerActions(devices, { bindJoinsGroup })` (for example with `sharedPrivateDomain`). Keep
   * the standard order and meaning so verdicts stay comparable across designs. Read them
   * through `callersOf(design, devices)`, never directly.
   */
  callers?(devices: number): CallerAction[];
  /**
   * The drivers `bind_driver` may bind (default: `kernel`, `vfio`). A design with a way to share
   * a private domain adds `tegra`; replay refuses a driver the design does not list.
   */
  readonly drivers?: readonly BoundDriver[];
  /**
   * Binding a driver puts a device outside the group into it first (v5.19 on: `dma_configure`
   * before the driver's probe). Replay then accepts vfio-pci on a device outside the group.
   */
  readonly bindJoinsGroup?: boolean;
  /**
   * What VFIO's claim goes through (default 'group', the group fd). With 'group' the schema has
   * the ghost `fd_openable` (standardSchema) and a user may claim while it is set, even after
   * vfio-pci has unbound again; with 'device' only while a member is bound to vfio-pci. Pass the
   * same value to `standardSchema` and `standardInitialContext`: `callersOf` refuses a design
   * whose schema does not match it.
   */
  readonly vfioFd?: VfioFd;
  /**
   * The machine's `attach_group` / `detach_group` are the kernel's `iommu_attach_group()` /
   * `iommu_detach_group()`, which a kernel driver may call with its own private domain, as
   * upstream Tegra does to share one domain across a group. Only the usage scenarios make such
   * calls (`attach_group(priv)`); the modelled callers do not. Omit it where those events are a
   * VFIO-only path (iommufd's hw_pagetable attach, the per-device designs' loops) or where the
   * design means `iommu_attach_group()` for VFIO only (Jason's sketches).
   */
  readonly kernelAttachGroup?: boolean;
  /**
   * Why a driver-core call (`event`, a bind, unbind, probe or release) would block in state `c`
   * until another caller acts, or null. Such a call completes only after that: the modelled
   * callers do not make it while this says why (`callersOf`), and replay and the scenarios
   * refuse it with the reason. Pure; it reads `c` only (it runs on packed views).
   */
  driverCoreWaits?(c: GroupContext, event: IommuEvent): string | null;
}

/** The drivers a design declares. */
export const driversOf = (design: Design): readonly BoundDriver[] => design.drivers ?? STANDARD_DRIVERS;
