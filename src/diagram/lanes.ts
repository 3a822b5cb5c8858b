import type { Lane } from '../iommu/callers';
import type { Design } from '../iommu/design';
import type { IommuEvent } from '../iommu/events';
import { callersOf } from '../iommu/callers';
import { USER_DOMAIN, USERS, type UserName } from '../model/vocabulary';

/** The lanes of a counterexample sequence diagram, left to right; the IOMMU core comes last. */
export const CALLER_LANES: readonly Lane[] = ['driver-core', 'kernel-driver', ...USERS];

/**
 * Who makes `event` in `design` at `devices` devices: the modelled caller whose action it is
 * (so a design's own callers are honoured), else a guess from the event type.
 */
export function laneOf(design: Design, devices: number, event: IommuEvent): Lane {
  const actions = callersOf(design, devices);
  const key = JSON.stringify(event);
  const a = actions.find((x) => JSON.stringify(x.event) === key);
  if (a) return a.lane;
  switch (event.type) {
    case 'claim':
    case 'release':
      return event.owner;
    case 'attach_group':
    case 'detach_group':
      return USERS.find((u) => USER_DOMAIN[u] === event.domain) ?? ('file1' as UserName);
    case 'attach_device':
    case 'detach_device':
    case 'attach_device_shared':
    case 'detach_device_shared':
      return 'kernel-driver';
    default:
      return 'driver-core';
  }
}
