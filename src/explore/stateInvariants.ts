import type { CallerAction } from '../iommu/callers';
import type { Design } from '../iommu/design';
import { violationText } from '../iommu/checkDesign';
import { notApplicableReason, type Invariant, type Probe } from '../iommu/invariant';
import { stepContext } from '../iommu/iommuModel';
import type { TraceStep } from '../iommu/replay';
import { cloneContext, type GroupContext } from '../model/context';
import type { GroupStateName } from '../model/vocabulary';

/** How one invariant fares in one state, as the page shows it. */
export interface InvariantStatus {
  readonly name: string;
  readonly status: 'ok' | 'broken' | 'n/a';
  /** Why it is broken, or why it does not apply. */
  readonly detail?: string;
}

/** Stop a `recoverable` search after this many states (never reached at the explorer's bounds). */
export const RECOVERY_LIMIT = 200_000;

/** A `recoverable` search from one state passed its limit: whether the state is stuck is not known. */
export class RecoveryLimitExceeded extends Error {
  constructor(readonly invariant: string, readonly limit: number) {
    super(`${invariant}: more than ${limit} states reachable by clean-up alone`);
  }
}

/** A Probe over a plain context: tries a call on a copy. */
export function plainProbe(design: Design, state: GroupStateName, c: GroupContext): Probe {
  return {
    context: c,
    tryEvent(event) {
      const copy = cloneContext(c);
      let s = state;
      let ret = 0;
      let warn = false;
      for (const e of Array.isArray(event) ? event : [event]) {
        s = stepContext(design, s, copy, e);
        if (ret === 0) ret = copy.ret;
        warn ||= copy.warn;
      }
      return { ret, warn };
    },
  };
}

const keyOf = (state: string, c: GroupContext) => JSON.stringify([state, { ...c, ret: 0, warn: false }]);

/**
 * Whether some sequence of `via` actions from this state reaches one where `goal` holds: a
 * breadth-first search over the (small) part of the state space those actions reach; past
 * `limit` states, a RecoveryLimitExceeded.
 */
function recoverable(design: Design, actions: readonly CallerAction[], inv: Extract<Invariant, { kind: 'recoverable' }>, state: GroupStateName, context: GroupContext, limit: number): boolean {
  const via = actions.filter((a) => inv.via(a));
  const seen = new Set<string>([keyOf(state, context)]);
  const queue: { state: GroupStateName; context: GroupContext }[] = [{ state, context }];
  for (let i = 0; i < queue.length; i++) {
    const cur = queue[i];
    if (inv.goal(plainProbe(design, cur.state, cur.context))) return true;
    for (const a of via) {
      if (!a.enabled(cur.context)) continue;
      const next = cloneContext(cur.context);
      const s = stepContext(design, cur.state, next, a.event);
      const k = keyOf(s, next);
      if (seen.has(k)) continue;
      if (seen.size >= limit) throw new RecoveryLimitExceeded(inv.name, limit);
      seen.add(k);
      queue.push({ state: s, context: next });
    }
  }
  return false;
}

/**
 * Which of `invariants` the state reached by `last` (or the initial state, when `last` is null)
 * breaks. State invariants are evaluated on the state; `never-flag` ones on the call that led
 * here (a WARN_ON in it); `recoverable` ones by searching the clean-up actions from here, so the
 * last state of a `viability` counterexample shows as broken, as in `dmaown check` (a search
 * past `recoveryLimit` states throws RecoveryLimitExceeded).
 */
export function invariantStatuses(
  design: Design,
  actions: readonly CallerAction[],
  invariants: readonly Invariant[],
  state: GroupStateName,
  context: GroupContext,
  last: TraceStep | null,
  recoveryLimit = RECOVERY_LIMIT,
): InvariantStatus[] {
  return invariants.map((inv): InvariantStatus => {
    const na = notApplicableReason(design, inv);
    if (na) return { name: inv.name, status: 'n/a', detail: na };
    switch (inv.kind) {
      case 'always':
        if (inv.holds(context, { design, state })) return { name: inv.name, status: 'ok' };
        break;
      case 'never-flag':
        if (!last?.warn) return { name: inv.name, status: 'ok' };
        break;
      case 'recoverable':
        if (recoverable(design, actions, inv, state, context, recoveryLimit)) return { name: inv.name, status: 'ok' };
        break;
    }
    // Worded as `dmaown check` words a counterexample's last state.
    return { name: inv.name, status: 'broken', detail: violationText(inv, design, state, context, last) };
  });
}
