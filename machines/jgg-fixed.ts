/**
 * jgg-fixed: Jason Gunthorpe's sketch as he corrected it on 24 Dec 2021 (seed 000_*): "It is
 * just a mistake, I made this very fast. It should work as your patch had it with a ++."
 * `iommu_device_use_dma_api()` now checks the domain and the owner only when `owner_cnt != 0`
 * and increments the count; every other call is jgg-draft's (machines/jgg-draft.ts).
 *
 * See docs/designs/jgg-fixed.md for what is modelled and left out.
 */
import { setup } from 'xstate';
import type { GroupContext } from '../src/model/context';
import type { IommuEvent } from '../src/iommu/events';
import type { Design } from '../src/iommu/design';
import { groupStates, standardClassify } from './shared/groupStates';
import { standardInitialContext, standardSchema } from './shared/standard';
import { JGG_EVENTS, jggActions, jggExpectedOwnerCnt, jggGuards, jggOn } from './jgg-draft';

type C = GroupContext;
type E = IommuEvent;
type Args = { context: C; event: E };

export const machine = setup({
  types: {} as { context: C; events: E; input: { devices: number } },
  guards: {
    ...jggGuards,
    // iommu_device_use_dma_api() (24 Dec): `if (group->owner_cnt != 0) { if (group->domain != group->default_domain || group->owner != NULL) return -EBUSY; }`
    'use:owner_cnt != 0 && (domain != default_domain || owner != NULL)': ({ context }: Args) =>
      context.owner_cnt !== 0 && (context.domain !== 'default' || context.owner !== null),
  },
  actions: jggActions,
}).createMachine({
  id: 'jgg-fixed',
  context: ({ input }) => standardInitialContext(input.devices),
  initial: 'unowned',
  on: {
    ...jggOn,
    // Driver core: dma_configure -> iommu_device_use_dma_api(), corrected: `group->owner_cnt++;`
    bind_driver: [
      { guard: 'bind:suppress_auto_claim_dma_owner', actions: ['ret0', 'bindVfio'] },
      { guard: 'use:!group', actions: ['ret0', 'bindKernelUncounted'] },
      { guard: 'use:owner_cnt != 0 && (domain != default_domain || owner != NULL)', actions: ['retEBUSY'] },
      { actions: ['ret0', 'owner_cnt++', 'bindKernelCounted'] },
    ],
  } as any,
  states: groupStates(),
});

export const design: Design = {
  name: 'jgg-fixed',
  title: "Jason's sketch as corrected on 24 Dec: use_dma_api with owner_cnt++, set_dma_owner, replace_group_domain",
  source: 'seed 000_*: Jason Gunthorpe, 24 Dec 2021, "It should work as your patch had it with a ++"',
  machine,
  schema: (devices) => standardSchema(devices),
  initialContext: (devices) => standardInitialContext(devices),
  classify: standardClassify,
  expectedOwnerCnt: jggExpectedOwnerCnt,
  events: JGG_EVENTS,
};
