import { defineInvariant } from '../src/iommu/invariant';

/**
 * owner_cnt always equals what its holders hold and never underflows. Who holds what is the
 * design's to say (`expectedOwnerCnt`); for v7: one per bound DMA-API driver whose use() was
 * counted, plus one for the claim while owned.
 */
export const invariant = defineInvariant({
  name: 'refcount-balance',
  kind: 'always',
  rank: 20,
  summary: 'owner_cnt equals what its holders hold and never underflows',
  formalises:
    '"It must be called after iommu_device_use_default_domain()." (kernel-doc of iommu_device_unuse_default_domain, seed 003_*): every decrement pairs with a counted increment.',
  notApplicable: (design) => (design.expectedOwnerCnt ? undefined : 'the design keeps no owner_cnt'),
  holds(c, { design }) {
    return c.owner_cnt >= 0 && c.owner_cnt === design.expectedOwnerCnt!(c);
  },
  explain(c, { design }) {
    return `owner_cnt is ${c.owner_cnt} but its holders hold ${design.expectedOwnerCnt!(c)}`;
  },
});
