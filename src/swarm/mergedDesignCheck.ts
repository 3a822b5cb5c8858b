import { invariantStatuses, RECOVERY_LIMIT, RecoveryLimitExceeded, type InvariantStatus } from '../explore/stateInvariants';
import { callersOf } from '../iommu/callers';
import type { DesignCheck, InvariantVerdict } from '../iommu/checkDesign';
import type { Design } from '../iommu/design';
import { cut } from '../errors';
import { InputError } from '../iommu/events';
import { plural } from '../report/plural';
import { notApplicableReason, type Invariant } from '../iommu/invariant';
import { buildIommuModel } from '../iommu/iommuModel';
import { initialTraceState } from '../iommu/replay';
import { violationTraceJson } from '../report/checkReport';
import type { MergedCheck, MergedVerdict } from './mergeShards';
import { replayShardCounterexample, shardCounterexampleName } from './replayShardCounterexample';

/**
 * A merged run in `checkDesign`'s shape, for the reports that take one (text traces, JUnit,
 * markdown): each counterexample (replay events, as mergeShards read them) is replayed on
 * `design` (one the design cannot run is an InputError naming the invariant and step), and its
 * end is checked to break the invariant, whose explanation is worded from the replay, not taken
 * from the file (a
 * counterexample that breaks nothing is an InputError too, and so is one whose last state is
 * not confirmed stuck because more than `recoveryLimit` states are reachable from it by clean-up
 * alone). Whether each invariant applies is `design`'s to say, as in `check`: a verdict that
 * contradicts it is an InputError, and an n/a verdict's reason is the design's; so is what the
 * shards were reduced by (`reducedBy` must be what check --symmetry reduces the design by at
 * that bound, and the symmetry note printed is the design's). `result.states`
 * and `transitions` are the shards' sums, an upper bound on the distinct counts. `design` and
 * `invariants` must be the ones the merged run names.
 */
export function mergedDesignCheck(m: MergedCheck, design: Design, invariants: readonly Invariant[], recoveryLimit = RECOVERY_LIMIT): DesignCheck {
  // What the shards were reduced by is the design's to say too: check --symmetry's reduction.
  const model = buildIommuModel(design, m.devices, invariants, { symmetry: m.run.symmetry });
  const reducedBy = m.run.symmetry && model.symmetry ? model.symmetry.description : null;
  if (reducedBy !== m.run.reducedBy) {
    const by = (r: string | null) => (r === null ? 'nothing' : `'${cut(r, 80)}'`);
    throw new InputError(`merge: the shards say they were reduced by ${by(m.run.reducedBy)}, but --symmetry reduces ${design.name} at ${plural(m.devices, 'device')} by ${by(reducedBy)}`);
  }
  const verdicts = m.invariants.map((v): InvariantVerdict => {
    const inv = invariants.find((i) => i.name === v.name)!;
    const na = notApplicableReason(design, inv);
    if (na !== undefined && v.verdict !== 'n/a') throw new InputError(`merge: ${v.name}: the shards say ${v.verdict}, but it is n/a for ${design.name} (${na})`);
    if (na === undefined && v.verdict === 'n/a') throw new InputError(`merge: ${v.name}: the shards say n/a, but it applies to ${design.name}`);
    switch (v.verdict) {
      case 'n/a': return { name: v.name, verdict: 'n/a', reason: na! };
      case 'violated': {
        const where = shardCounterexampleName(v.shard!, v.name);
        const counterexample = v.counterexample!;
        const trace = replayShardCounterexample(design, m.devices, v.shard!, v.name, counterexample);
        // The shard file says it is a violation; the replay must show it.
        const last = trace.length > 0 ? trace[trace.length - 1] : null;
        const start = last ?? initialTraceState(design, m.devices);
        let status: InvariantStatus;
        try {
          [status] = invariantStatuses(design, callersOf(design, m.devices), [inv], start.state, start.context, last, recoveryLimit);
        } catch (e) {
          if (e instanceof RecoveryLimitExceeded) throw new InputError(`${where}: its last state could not be confirmed to break ${v.name}: more than ${e.limit.toLocaleString('en-US')} states are reachable from it by clean-up alone`);
          throw e;
        }
        if (status.status !== 'broken') throw new InputError(`${where}: replayed, it does not break ${v.name} where it ends: not a violation`);
        return { name: v.name, verdict: 'violated', states: v.states!, counterexample, trace, explanation: status.detail! };
      }
      default: return { name: v.name, verdict: v.verdict, states: v.states! };
    }
  });
  return {
    design,
    devices: m.devices,
    model,
    verdicts,
    result: {
      states: m.states,
      transitions: m.transitions,
      depth: m.depth,
      elapsedMs: m.elapsedMs,
      complete: m.complete,
      ...(m.stopReason === undefined ? {} : { stopReason: m.stopReason }),
      storeBytes: 0,
      peakBytes: 0,
      properties: [],
      ...(m.run.reducedBy ? { symmetry: m.run.reducedBy } : {}),
    },
    // As check --symmetry says it: what the search was reduced by, or why a generator was left out.
    ...(m.run.symmetry ? { symmetryNote: model.symmetryNote } : {}),
  };
}

/**
 * The merged verdicts as `mergedDesignCheck` established them (`dc` is its result for `m`), in
 * the JSON form of a verdict object (docs/json-output.md), each violation naming its `shard`:
 * an n/a reason is the design's, a violation's counterexample is the parsed one and its trace
 * and explanation come from the replay, so nothing but the verdicts' shape is the file's. What
 * the reports of `dmaown merge` print.
 */
export function checkedVerdicts(m: MergedCheck, dc: DesignCheck): MergedVerdict[] {
  return dc.verdicts.map((v, i): MergedVerdict => {
    switch (v.verdict) {
      case 'n/a': return { name: v.name, verdict: 'n/a', reason: v.reason };
      case 'violated': return { name: v.name, verdict: 'violated', states: v.states, explanation: v.explanation, counterexample: v.counterexample, ...violationTraceJson(dc, v.trace), shard: m.invariants[i].shard };
      default: return { name: v.name, verdict: v.verdict, states: v.states };
    }
  });
}
