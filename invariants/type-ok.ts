import { defineInvariant } from '../src/iommu/invariant';

/**
 * TypeOK: the state is well formed. The machine's finite state is the one its context belongs
 * in, a device outside the group is attached to nothing, and the ghost variables agree with the
 * driver bound. (Field ranges are enforced by the schema on every write.)
 */
export const invariant = defineInvariant({
  name: 'type-ok',
  kind: 'always',
  rank: 0,
  summary: 'the state is well formed: finite state matches the context, devices outside the group have no domain',
  formalises: 'TLA+ convention: a TypeOK well-formedness invariant is checked first.',
  holds(c, { design, state }) {
    if (design.classify(c) !== state) return false;
    for (const d of c.devices) {
      if (!d.in_group && d.domain !== null) return false;
      if (d.counted && (d.driver !== 'kernel' || !d.in_group)) return false;
      if (d.priv && d.driver !== 'kernel') return false;
    }
    return true;
  },
  explain(c, { design, state }) {
    if (design.classify(c) !== state) return `the machine is in '${state}' but the context belongs in '${design.classify(c)}'`;
    const i = c.devices.findIndex((d) => (!d.in_group && d.domain !== null) || (d.counted && (d.driver !== 'kernel' || !d.in_group)) || (d.priv && d.driver !== 'kernel'));
    return `device ${i} is malformed: ${JSON.stringify(c.devices[i])}`;
  },
});
