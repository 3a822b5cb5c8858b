import { defineInvariant } from '../src/iommu/invariant';

/** Every member of the group is attached to the group's domain. */
export const invariant = defineInvariant({
  name: 'domain-consistency',
  kind: 'always',
  rank: 40,
  summary: "every member of the group is attached to the group's domain",
  formalises:
    '"all devices in an iommu group could only be attached by a same iommu domain" (v4 07/13 kernel-doc, seed 000_*); devices that cannot be isolated share one address space.',
  holds(c) {
    return c.devices.every((d) => !d.in_group || d.domain === c.domain);
  },
  explain(c) {
    const i = c.devices.findIndex((d) => d.in_group && d.domain !== c.domain);
    return `device ${i} is attached to ${String(c.devices[i].domain)} but the group is on ${String(c.domain)}`;
  },
});
