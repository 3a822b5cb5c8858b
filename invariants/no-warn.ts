import { defineInvariant } from '../src/iommu/invariant';

/** No WARN_ON fires on any sequence of calls the modelled callers can make. */
export const invariant = defineInvariant({
  name: 'no-warn',
  kind: 'never-flag',
  flag: 'warn',
  rank: 30,
  summary: 'no WARN_ON fires on any sequence the modelled callers can produce',
  formalises:
    'A WARN_ON marks a state the code\'s authors believe unreachable; Eric Auger\'s report (seed 003_*) is one firing in iommu_device_unuse_default_domain.',
});
