import { defineInvariant } from '../src/iommu/invariant';

/** While a user owns the group, neither the group nor any member is on the default domain. */
export const invariant = defineInvariant({
  name: 'owned-isolation',
  kind: 'always',
  rank: 50,
  summary: 'while a user owns the group, it is never attached to the default domain',
  formalises:
    '"Once the group enters \'owned\' mode it can never be assigned back to the default_domain or to a NULL domain." (commit 0286300e6045); dmaown checks the default-domain half, which v7 can keep.',
  holds(c) {
    if (c.owner === null) return true;
    return c.domain !== 'default' && c.devices.every((d) => !d.in_group || d.domain !== 'default');
  },
  explain(c) {
    if (c.domain === 'default') return `${c.owner} owns the group but it is on the default domain`;
    const i = c.devices.findIndex((d) => d.in_group && d.domain === 'default');
    return `${c.owner} owns the group but device ${i} is on the default domain`;
  },
});
