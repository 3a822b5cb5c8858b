import type { GroupContext } from '../../src/model/context';
import { GROUP_STATES, type GroupStateName } from '../../src/model/vocabulary';

/**
 * The four group states every design's statechart has, and the classification that puts a
 * context in one of them. Kernel calls are handled at the machine's root (they are accepted in
 * any state, as the kernel accepts them); after each call the eventless transitions built here
 * move the machine to the state its context belongs in.
 */
export function standardClassify(c: GroupContext): GroupStateName {
  if (c.owner !== null) return 'user-owned';
  if (c.domain !== 'default') return 'private-domain';
  if (c.owner_cnt > 0) return 'dma-api';
  return 'unowned';
}

/** Guards `is:unowned`, `is:dma-api`, ... for a classification function. */
export function classifierGuards(classify: (c: GroupContext) => GroupStateName) {
  const guards: Record<string, (a: { context: GroupContext }) => boolean> = {};
  for (const s of GROUP_STATES) guards[`is:${s}`] = ({ context }) => classify(context) === s;
  return guards;
}

const DESCRIPTIONS: Record<GroupStateName, string> = {
  unowned: 'no owner, default domain, owner_cnt == 0',
  'dma-api': 'kernel DMA-API drivers hold owner_cnt; default domain',
  'private-domain': 'no owner; the group is on a domain other than the default one',
  'user-owned': 'a VFIO user owns the group',
};

/** The `states` block: each state's `always` moves to whichever other state the context is in. */
// Typed `any`: XState's config types cannot check guard names built at run time.
export function groupStates(): any {
  const states: Record<string, { description: string; always: { guard: string; target: string }[] }> = {};
  for (const s of GROUP_STATES) {
    states[s] = {
      description: DESCRIPTIONS[s],
      always: GROUP_STATES.filter((t) => t !== s).map((t) => ({ guard: `is:${t}`, target: t })),
    };
  }
  return states;
}
