import type { Domain, Driver, Owner, Phase, Ret } from './vocabulary';

/**
 * One device as the model sees it: the kernel's view (`in_group`, the driver bound, the domain
 * the device is attached to) plus two ghost variables that the kernel does not keep but the
 * invariants need: whether the bound driver's `iommu_device_use_default_domain()` really
 * incremented `owner_cnt` (`counted`), and whether the driver believes its private domain is
 * attached (`priv`).
 */
export interface DeviceContext {
  in_group: boolean;
  driver: Driver;
  domain: Domain;
  counted: boolean;
  priv: boolean;
  [extra: string]: unknown;
}

/** One VFIO user: where it is in VFIO's claim / attach / detach / release order. */
export interface UserContext {
  phase: Phase;
  [extra: string]: unknown;
}

/**
 * The fields of `struct iommu_group` the seed code touches, the devices, the VFIO users, and
 * the outcome of the last call (`ret`, `warn`), which is output, not state: it is never part
 * of a state's identity. Designs may add fields (for example `attach_cnt`).
 */
export interface GroupContext {
  owner_cnt: number;
  owner: Owner;
  domain: Domain;
  devices: DeviceContext[];
  users: UserContext[];
  ret: Ret;
  warn: boolean;
  [extra: string]: unknown;
}

/** A deep copy of a context; contexts are flat records plus two arrays of flat records. */
export function cloneContext<C extends GroupContext>(c: C): C {
  const out = { ...c } as C;
  out.devices = c.devices.map((d) => ({ ...d }));
  out.users = c.users.map((u) => ({ ...u }));
  return out;
}
