import { defineInvariant } from '../src/iommu/invariant';
import { KERNEL_DRIVERS, USER_DOMAINS } from '../src/model/vocabulary';

/**
 * Never kernel-controlled DMA on a member of the group while a user owns the group or the group
 * is attached to a user domain. Kernel DMA is a bound kernel driver doing DMA through the DMA
 * API (`kernel`) or through a kernel private domain it manages itself (`tegra`, which suppresses
 * the DMA-API claim).
 */
export const invariant = defineInvariant({
  name: 'no-mixed-dma',
  kind: 'always',
  rank: 10,
  summary: 'no kernel driver (DMA API or kernel private domain) is bound to a group member while a user owns the group or it is on a user domain',
  formalises:
    '"These devices must either be entirely under kernel control or userspace control, never a mixture." (commit 1ea2a07a532b; seed 003_* commit message)',
  holds(c) {
    const userControlled = c.owner !== null || USER_DOMAINS.includes(c.domain);
    if (!userControlled) return true;
    return !c.devices.some((d) => d.in_group && KERNEL_DRIVERS.includes(d.driver));
  },
  explain(c) {
    const i = c.devices.findIndex((d) => d.in_group && KERNEL_DRIVERS.includes(d.driver));
    const why = c.owner !== null ? `${c.owner} owns the group` : `the group is attached to ${c.domain}`;
    const what = c.devices[i].driver === 'tegra' ? 'a Tegra-like kernel driver (kernel private domain)' : 'a kernel DMA-API driver';
    return `device ${i} has ${what} bound while ${why}`;
  },
});
