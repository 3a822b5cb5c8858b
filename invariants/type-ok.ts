import { driversOf, type Design } from '../src/iommu/design';
import { defineInvariant } from '../src/iommu/invariant';
import type { GroupContext } from '../src/model/context';
import { KERNEL_DRIVERS } from '../src/model/vocabulary';

/** Whether device `d` is malformed in `design`. */
function malformed(d: GroupContext['devices'][number], design: Design): boolean {
  if (!d.in_group && d.domain !== null) return true;
  if (d.counted && (d.driver !== 'kernel' || !d.in_group)) return true;
  if (d.priv && !KERNEL_DRIVERS.includes(d.driver)) return true;
  return d.driver !== 'none' && !driversOf(design).includes(d.driver);
}

/**
 * TypeOK: the state is well formed. The machine's finite state is the one its context belongs
 * in, a device outside the group is attached to nothing, and the ghost variables agree with the
 * driver bound: only a kernel DMA-API driver's use is counted (a Tegra-like driver suppresses
 * it), only a kernel driver (DMA-API or Tegra-like) has a private domain attached, and a design
 * never holds a driver it does not declare. (Field ranges are enforced by the schema on every write.)
 */
export const invariant = defineInvariant({
  name: 'type-ok',
  kind: 'always',
  rank: 0,
  summary: 'the state is well formed: finite state matches the context, devices outside the group have no domain',
  formalises: 'TLA+ convention: a TypeOK well-formedness invariant is checked first.',
  holds(c, { design, state }) {
    if (design.classify(c) !== state) return false;
    return !c.devices.some((d) => malformed(d, design));
  },
  split: {
    group: (c, { design, state }) => design.classify(c) === state,
    device: (d, design) => !malformed(d, design),
  },
  explain(c, { design, state }) {
    if (design.classify(c) !== state) return `the machine is in '${state}' but the context belongs in '${design.classify(c)}'`;
    const i = c.devices.findIndex((d) => malformed(d, design));
    return `device ${i} is malformed: ${JSON.stringify(c.devices[i])}`;
  },
});
