import { defineInvariant } from '../src/iommu/invariant';
import { USERS } from '../src/model/vocabulary';

/**
 * From every reachable state, drivers unbinding (a kernel driver detaching its private domain
 * first) and users detaching and releasing can bring the group to a state in which a user's
 * claim succeeds. A leaked count or stale domain that locks VFIO out forever breaks it.
 */
export const invariant = defineInvariant({
  name: 'viability',
  kind: 'recoverable',
  rank: 60,
  summary: "from every state, ordinary clean-up (unbind, detach, release) leads to a state where a user's claim succeeds",
  formalises:
    '"The device userspace assignment must be disallowed if the DMA owner claiming interface returns failure." (1ea2a07a532b): so the claim must succeed again once the kernel users are gone.',
  via: (action) => action.cleanup,
  goal: (probe) => USERS.some((owner) => probe.tryEvent({ type: 'claim', owner }).ret === 0),
});
