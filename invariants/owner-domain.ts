import { defineInvariant } from '../src/iommu/invariant';
import type { GroupContext } from '../src/model/context';
import { USER_DOMAIN, type Domain } from '../src/model/vocabulary';

/** The domains a group owned by `c.owner` may be on: none, the blocking domain, the owner's own. */
function allowed(c: GroupContext, d: Domain): boolean {
  return d === null || d === 'blocking' || (c.owner !== null && d === USER_DOMAIN[c.owner]);
}

/**
 * While a user owns the group, the group and each member are on no domain, the blocking domain
 * or that user's own domain: never the default domain, a kernel private domain, or the other
 * user's domain. Generalises `owned-isolation` (the default domain only) to every domain but the
 * owner's.
 */
export const invariant = defineInvariant({
  name: 'owner-domain',
  kind: 'always',
  rank: 55,
  summary: "while a user owns the group, it and its members are on no domain, the blocking domain or that user's own domain",
  formalises:
    '"Once the group enters \'owned\' mode it can never be assigned back to the default_domain or to a NULL domain." (commit 0286300e6045), generalised to every domain but the owner\'s; and "These devices must either be entirely under kernel control or userspace control, never a mixture." (commit 1ea2a07a532b): the isolation VFIO needs, from the kernel and from the other user.',
  holds(c) {
    if (c.owner === null) return true;
    return allowed(c, c.domain) && c.devices.every((d) => !d.in_group || allowed(c, d.domain));
  },
  explain(c) {
    if (!allowed(c, c.domain)) return `${c.owner} owns the group but it is on ${String(c.domain)}`;
    const i = c.devices.findIndex((d) => d.in_group && !allowed(c, d.domain));
    return `${c.owner} owns the group but device ${i} is on ${String(c.devices[i].domain)}`;
  },
});
