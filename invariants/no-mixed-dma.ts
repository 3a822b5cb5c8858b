import { defineInvariant } from '../src/iommu/invariant';
import { USER_DOMAINS } from '../src/model/vocabulary';

/**
 * Never a kernel DMA-API driver bound to a member of the group while a user owns the group or
 * the group is attached to a user domain.
 */
export const invariant = defineInvariant({
  name: 'no-mixed-dma',
  kind: 'always',
  rank: 10,
  summary: 'no kernel DMA-API driver is bound to a group member while a user owns the group or it is on a user domain',
  formalises:
    '"These devices must either be entirely under kernel control or userspace control, never a mixture." (commit 1ea2a07a532b; seed 003_* commit message)',
  holds(c) {
    const userControlled = c.owner !== null || USER_DOMAINS.includes(c.domain);
    if (!userControlled) return true;
    return !c.devices.some((d) => d.in_group && d.driver === 'kernel');
  },
  explain(c) {
    const i = c.devices.findIndex((d) => d.in_group && d.driver === 'kernel');
    const why = c.owner !== null ? `${c.owner} owns the group` : `the group is attached to ${c.domain}`;
    return `device ${i} has a kernel DMA-API driver bound while ${why}`;
  },
});
