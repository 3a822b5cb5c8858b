import type { Design } from '../iommu/design';
import { freshGroupSteps } from '../iommu/freshGroupSteps';
import type { TieRank } from './mergeShards';
import { replayShardCounterexample } from './replayShardCounterexample';

/**
 * The TieRank `dmaown merge` uses: among equally short counterexamples it prints one the kernel
 * can follow as printed. Rank 1 where the counterexample, replayed on the run's design, takes
 * the model's one-group shortcut (`freshGroupSteps`, docs/model.md "The group's lifetime"),
 * else 0. One the design cannot replay is an InputError naming the shard, the invariant and
 * the step; a design not among `designs` ranks 0 (no preference). Pure.
 */
export function shortcutRank(designs: readonly Design[]): TieRank {
  return (run, invariant, shard, counterexample) => {
    const design = designs.find((d) => d.name === run.design);
    if (!design) return 0;
    const trace = replayShardCounterexample(design, run.devices, shard, invariant, counterexample);
    return freshGroupSteps(design, run.devices, trace).length > 0 ? 1 : 0;
  };
}
