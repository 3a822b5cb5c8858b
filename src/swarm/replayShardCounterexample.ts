import { InputError } from '../errors';
import type { Design } from '../iommu/design';
import type { IommuEvent } from '../iommu/events';
import { replayEvents, type TraceStep } from '../iommu/replay';

/** How merge names one shard's counterexample of one invariant in its errors: `merge: shard 2's owner-domain counterexample`. */
export function shardCounterexampleName(shard: number, invariant: string): string {
  return `merge: shard ${shard}'s ${invariant} counterexample`;
}

/**
 * A shard's counterexample (replay events) replayed on `design` at `devices`: its trace. One the
 * design cannot run is an InputError naming the shard, the invariant and the step.
 */
export function replayShardCounterexample(design: Design, devices: number, shard: number, invariant: string, events: readonly IommuEvent[]): TraceStep[] {
  try {
    return replayEvents(design, devices, events);
  } catch (e) {
    if (e instanceof InputError) throw new InputError(`${shardCounterexampleName(shard, invariant)}: ${e.message}`);
    throw e;
  }
}
