import type { IommuEvent } from '../src/iommu/events';
import { defineInvariant } from '../src/iommu/invariant';
import { USER_DOMAIN, USERS } from '../src/model/vocabulary';

/**
 * From every reachable state, drivers unbinding (a kernel driver detaching its private domain
 * first) and users detaching and releasing can bring the group to a state from which VFIO can
 * take it: vfio-pci bound to the members with no driver, a user's claim and the attach of its
 * domain all succeed, the domain a new one (no user whose domain an earlier session left on the
 * group or a member may reuse it). A leaked count or stale domain that locks VFIO out forever
 * breaks it, whether the claim or the attach refuses: some designs accept the claim on a stale
 * domain and refuse only the attach.
 */
export const invariant = defineInvariant({
  name: 'viability',
  kind: 'recoverable',
  rank: 60,
  summary: 'from every state, ordinary clean-up (unbind, detach, release) leads to a state from which VFIO can take the group (bind vfio-pci, claim, attach)',
  formalises:
    '"The device userspace assignment must be disallowed if the DMA owner claiming interface returns failure." (1ea2a07a532b): so the claim must succeed again once the kernel users are gone.',
  via: (action) => action.cleanup,
  goal(probe) {
    const c = probe.context;
    const members = c.devices.map((d, dev) => ({ d, dev })).filter(({ d }) => d.in_group);
    // An empty group has nothing to hand over: the kernel's claim alone is asked.
    if (members.length === 0) return USERS.some((owner) => probe.tryEvent({ type: 'claim', owner }).ret === 0);
    // What VFIO does to take the group: vfio-pci bound to the members with no driver, then the
    // claim and the attach of the user's domain, all returning 0. The domain must be a new one:
    // a new VFIO session's container allocates its own (type1 frees a domain with its last
    // group), so a user whose domain is still on the group or a member, left there by an earlier
    // session, cannot take the group by attaching that stale domain again.
    const binds: IommuEvent[] = members.filter(({ d }) => d.driver === 'none').map(({ dev }) => ({ type: 'bind_driver', dev, driver: 'vfio' }));
    const fresh = USERS.filter((owner) => c.domain !== USER_DOMAIN[owner] && c.devices.every((d) => d.domain !== USER_DOMAIN[owner]));
    return fresh.some((owner) => probe.tryEvent([...binds, { type: 'claim', owner }, { type: 'attach_group', domain: USER_DOMAIN[owner] }]).ret === 0);
  },
});
