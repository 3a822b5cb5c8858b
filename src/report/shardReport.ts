import type { ShardCheck } from '../swarm/checkShard';
import { checkJson, checkText } from './checkReport';

/**
 * The JSON of `dmaown shard --format json`: `check`'s run object (docs/json-output.md) for the
 * shard's search, tagged with `"shard"` (what `dmaown merge` reads and compares).
 */
export function shardJson(sc: ShardCheck): Record<string, unknown> {
  return { ...checkJson(sc.dc), shard: sc.shard };
}

/** The human report of `dmaown shard`: which part of the run it is, then `check`'s report. */
export function shardText(sc: ShardCheck): string {
  const s = sc.shard;
  return `dmaown shard ${s.index} of ${s.of}: ${s.roots} of the ${s.frontier} states at depth ${s.depth}, after a prefix of ${s.prefixStates} states (run ${s.digest})\n`
    + 'counts are this shard\'s; only `dmaown merge` of every shard\'s --format json decides the run\n\n'
    + checkText(sc.dc);
}
