import { InputError } from '../errors';
import { DECIDED_REASON, type CheckProgress } from '../core/searchLoop';
import { checkDesign, type DesignCheck } from '../iommu/checkDesign';
import type { Design } from '../iommu/design';
import type { Invariant } from '../iommu/invariant';
import { plural } from '../report/plural';

/** How the check a diagram draws from runs: its memory budget (default: none), and its progress. */
export interface DiagramCheckOptions {
  readonly maxMemory?: number;
  /** Called every `progressEvery` states (default 2^14) while the check runs. */
  readonly onProgress?: (p: CheckProgress) => void;
  readonly progressEvery?: number;
}

/**
 * The check a diagram of counterexamples draws from (`--reachable`, `--sequence`), within a
 * memory budget. It stops at the end of the BFS level by which every invariant checked is
 * violated (`stopWhenDecided`): the counterexamples are then those of the whole search. One that
 * holds, or viability, is known only at the end, so with every invariant the whole bound is
 * searched. A check the budget stops has no shortest
 * counterexamples to draw, so it is an InputError saying why and to pass fewer devices. (The CLI
 * refuses bounds estimated too large before it calls this.)
 */
export function checkForDiagram(design: Design, devices: number, invariants: readonly Invariant[], o: DiagramCheckOptions = {}): DesignCheck {
  const dc = checkDesign(design, devices, invariants, {
    stopWhenDecided: true,
    ...(o.maxMemory === undefined ? {} : { maxMemory: o.maxMemory }),
    ...(o.onProgress ? { onProgress: o.onProgress, progressEvery: o.progressEvery ?? 1 << 14 } : {}),
  });
  if (!dc.result.complete && dc.result.stopReason !== DECIDED_REASON) {
    throw new InputError(`the check of ${design.name} at ${plural(devices, 'device')} stopped before it decided (${dc.result.stopReason}): nothing to draw; pass a smaller --devices`);
  }
  return dc;
}
