import type { GroupContext } from '../../src/model/context';
import { bool, int, oneOf, type ContextSchema, type FieldMap } from '../../src/model/schema';
import { DOMAINS, DRIVERS, OWNERS, PHASES, USERS, type VfioFd } from '../../src/model/vocabulary';

/**
 * The fields every design shares: `owner_cnt`, `owner`, `domain` of the group; `in_group`,
 * `driver`, `domain`, `counted`, `priv` of each device; `phase` of each VFIO user; and, where
 * VFIO claims through a group fd (`vfioFd` 'group', the default), the ghost `fd_openable` of the
 * group (machines/shared/ghost.ts). A design with more fields passes them as `extra`.
 * `owner_cnt` ranges over 0..devices+1: every holder is a bound driver or the one claim, so a
 * larger value is a modelling error and is reported as one.
 */
export function standardSchema(devices: number, extra: Partial<ContextSchema> = {}, vfioFd: VfioFd = 'group'): ContextSchema {
  const fd: FieldMap = vfioFd === 'group' ? { fd_openable: bool() } : {};
  return {
    group: { owner_cnt: int(0, devices + 1), owner: oneOf(OWNERS), domain: oneOf(DOMAINS), ...fd, ...(extra.group ?? {}) } as FieldMap,
    device: { in_group: bool(), driver: oneOf(DRIVERS), domain: oneOf(DOMAINS), counted: bool(), priv: bool(), ...(extra.device ?? {}) } as FieldMap,
    user: { phase: oneOf(PHASES), ...(extra.user ?? {}) } as FieldMap,
  };
}

/**
 * No device in the group, no driver bound, the group on its default domain, nobody owning it,
 * and (with a group fd) no VFIO fd that could be open yet.
 */
export function standardInitialContext(devices: number, extra: Record<string, unknown> = {}, deviceExtra: Record<string, unknown> = {}, vfioFd: VfioFd = 'group'): GroupContext {
  return {
    owner_cnt: 0,
    owner: null,
    domain: 'default',
    ...(vfioFd === 'group' ? { fd_openable: false } : {}),
    ...extra,
    devices: Array.from({ length: devices }, () => ({ in_group: false, driver: 'none' as const, domain: null, counted: false, priv: false, ...deviceExtra })),
    users: USERS.map(() => ({ phase: 'idle' as const })),
    ret: 0,
    warn: false,
  };
}
