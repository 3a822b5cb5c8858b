/**
 * The values the modelled kernel objects can take. Every design shares this vocabulary so that
 * an invariant or a counterexample means the same thing in every design.
 */

/** Kernel return codes as the kernel returns them (negative errno). */
export const Errno = {
  OK: 0,
  EPERM: -1,
  ENODEV: -19,
  EBUSY: -16,
  EINVAL: -22,
} as const;
export type Ret = number;

export function errnoName(ret: Ret): string {
  switch (ret) {
    case 0: return '0';
    case Errno.EPERM: return '-EPERM';
    case Errno.EBUSY: return '-EBUSY';
    case Errno.ENODEV: return '-ENODEV';
    case Errno.EINVAL: return '-EINVAL';
    default: return String(ret);
  }
}

/**
 * Domains a group or device can be attached to. `default` is the group's default (DMA-API)
 * domain, `priv` a kernel driver's own private (UNMANAGED) domain, `dom1`/`dom2` the user
 * domains of the two VFIO users, `blocking` the group's blocking domain (v5.19 on: attached
 * while owned and no user domain is), `null` no domain at all.
 */
export const DOMAINS = [null, 'default', 'priv', 'dom1', 'dom2', 'blocking'] as const;
export type Domain = (typeof DOMAINS)[number];
export const USER_DOMAINS: readonly Domain[] = ['dom1', 'dom2'];

/** The two VFIO users, identified by the `struct file *` they pass as owner. */
export const OWNERS = [null, 'file1', 'file2'] as const;
export type Owner = (typeof OWNERS)[number];
export type UserName = Exclude<Owner, null>;
export const USERS: readonly UserName[] = ['file1', 'file2'];
/** Each VFIO user attaches its own domain: file1 uses dom1, file2 uses dom2. */
export const USER_DOMAIN: Readonly<Record<UserName, Domain>> = { file1: 'dom1', file2: 'dom2' };

/**
 * What is bound to a device: nothing, a kernel DMA-API driver (not `driver_managed_dma`, so the
 * driver core calls use/unuse for it), vfio-pci (`driver_managed_dma`: calls neither), or a
 * Tegra-like kernel driver: it suppresses the driver core's DMA-API claim
 * (`suppress_auto_claim_dma_owner` in v4) and manages its own DMA through one private domain
 * shared by several devices of the group.
 */
export const DRIVERS = ['none', 'kernel', 'vfio', 'tegra'] as const;
export type Driver = (typeof DRIVERS)[number];
/** A driver that can be bound. */
export type BoundDriver = Exclude<Driver, 'none'>;
/** The drivers every design has; a design lists more in `Design.drivers`. */
export const STANDARD_DRIVERS: readonly BoundDriver[] = ['kernel', 'vfio'];
/** Drivers whose DMA is under kernel control: the DMA API or a kernel private domain. */
export const KERNEL_DRIVERS: readonly Driver[] = ['kernel', 'tegra'];

/** Where a VFIO user is in VFIO's order: claim, attach its domain, detach, release. */
export const PHASES = ['idle', 'claimed', 'attached'] as const;
export type Phase = (typeof PHASES)[number];

/**
 * What a VFIO user claims through. 'group': the group fd (`/dev/vfio/N`), which a user can open
 * once vfio-pci has registered a device of the group and may keep open after vfio-pci unbinds.
 * 'device': a device fd, which exists only while vfio-pci is bound (its unbind waits for it).
 */
export type VfioFd = 'group' | 'device';

/** The group's finite states, shared by every design's statechart. */
export const GROUP_STATES = ['unowned', 'dma-api', 'private-domain', 'user-owned'] as const;
export type GroupStateName = (typeof GROUP_STATES)[number];

export const MIN_DEVICES = 1;
export const MAX_DEVICES = 8;
/**
 * Devices allowed with symmetry reduction (and so in a replay, which may replay any counterexample
 * a check prints). The reduced state space grows polynomially, about twice a device for `v7` at
 * 10 to 12; past what fits, the size estimate refuses the bound (docs/scaling.md).
 */
export const MAX_DEVICES_SYMMETRY = 16;
/** Largest number of threads a search may be asked to run on (`--workers`, a config's `workers`). */
export const MAX_WORKERS = 64;
