import { InputError } from '../errors';
import { maxStatesReason, stoppedUndecided, type CheckProgress } from '../core/searchLoop';
import { checkDesign, type DesignCheck } from '../iommu/checkDesign';
import type { Design } from '../iommu/design';
import type { Invariant } from '../iommu/invariant';
import { plural } from '../report/plural';

/** How the check a diagram draws from runs: its memory budget (default: none), and its progress. */
export interface DiagramCheckOptions {
  readonly maxMemory?: number;
  /**
   * Look for the counterexamples in this many states at most (states stored, as `--max-states`
   * counts them), for a bound too large to search whole: a check that has not decided by then is
   * an InputError saying so. Default: no limit.
   */
  readonly firstStates?: number;
  /** Called every `progressEvery` states (default 2^14) while the check runs. */
  readonly onProgress?: (p: CheckProgress) => void;
  readonly progressEvery?: number;
}

/**
 * The check a diagram of counterexamples draws from (`--reachable`, `--sequence`), within a
 * memory budget. It stops once the BFS level by whose states every invariant checked is
 * violated is stored and evaluated (`stopWhenDecided`; for a recoverable invariant, the level
 * after its first stuck state): the counterexamples are then those of the whole search. One
 * that holds is known only at the end, so with every invariant the whole bound is searched. A
 * check stopped before that (the budget, `firstStates`) has no shortest counterexamples to
 * draw, so it is an InputError saying why and to pass fewer devices. (The CLI refuses bounds
 * estimated too large before it calls this, unless it asks for one invariant: then it passes
 * `firstStates`.)
 */
export function checkForDiagram(design: Design, devices: number, invariants: readonly Invariant[], o: DiagramCheckOptions = {}): DesignCheck {
  const dc = checkDesign(design, devices, invariants, {
    stopWhenDecided: true,
    ...(o.maxMemory === undefined ? {} : { maxMemory: o.maxMemory }),
    ...(o.firstStates === undefined ? {} : { maxStates: o.firstStates }),
    ...(o.onProgress ? { onProgress: o.onProgress, progressEvery: o.progressEvery ?? 1 << 14 } : {}),
  });
  const r = dc.result;
  if (stoppedUndecided(r)) {
    const bound = `${design.name} at ${plural(devices, 'device')}`;
    if (o.firstStates !== undefined && r.stopReason === maxStatesReason(o.firstStates)) {
      const names = invariants.map((i) => i.name).join(', ');
      throw new InputError(`no ${names} counterexample in the first ${o.firstStates.toLocaleString('en-US')} states of ${bound} (${plural(r.depth, 'call')} deep), and the whole bound is estimated too large to search: pass a smaller --devices`);
    }
    throw new InputError(`the check of ${bound} stopped before it decided (${r.stopReason}): nothing to draw; pass a smaller --devices`);
  }
  return dc;
}
