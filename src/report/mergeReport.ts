import { DECIDED_REASON } from '../core/searchLoop';
import type { DesignCheck } from '../iommu/checkDesign';
import type { MergedCheck } from '../swarm/mergeShards';
import { counterexampleText, symmetryJson } from './checkReport';
import { plural } from './plural';
import { textTable } from './textTable';

const num = (n: number) => n.toLocaleString('en-US');

/**
 * The JSON of `dmaown merge --format json`: `check`'s run object (docs/json-output.md) whose
 * `states` and `transitions` are sums over the shards, each violation naming the `shard` whose
 * counterexample it is, plus `swarm`: the run's shard tag and what each shard did. `dc` is
 * `mergedDesignCheck(m, ...)`.
 */
export function mergeJson(m: MergedCheck, dc: DesignCheck): Record<string, unknown> {
  return {
    design: m.design,
    devices: m.devices,
    complete: m.complete,
    ...(m.stopReason === undefined ? {} : { stopReason: m.stopReason }),
    states: m.states,
    transitions: m.transitions,
    depth: m.depth,
    elapsedMs: m.elapsedMs,
    // As in check's run object (`dc` is the merged run as mergedDesignCheck gives it).
    ...symmetryJson(dc),
    invariants: m.invariants,
    swarm: { ...m.run, statesAreSums: true, shards: m.shards },
  };
}

/** The human report of `dmaown merge`: the run, each shard, the merged verdicts and each counterexample. */
export function mergeText(m: MergedCheck, dc: DesignCheck): string {
  const r = m.run;
  const out: string[] = [];
  out.push(`dmaown merge: design ${m.design} (${dc.design.source})`);
  out.push(`bound: ${plural(m.devices, 'device')}; ${plural(r.of, 'shard')} of the ${num(r.frontier)} states at depth ${r.depth}, after a prefix of ${num(r.prefixStates)} states${r.symmetry ? `; symmetry: ${r.reducedBy ?? 'none applies'}` : ''} (run ${r.digest})`);
  out.push('');
  const rows = [['shard', 'roots', 'states', 'transitions', 'depth', 'time', '']];
  for (const s of m.shards) rows.push([String(s.index), num(s.roots), num(s.states), num(s.transitions), String(s.depth), `${(s.elapsedMs / 1000).toFixed(2)} s`, s.complete ? '' : s.stopReason === DECIDED_REASON ? 'stopped once decided (--stop-when-decided)' : `INCOMPLETE: ${s.stopReason}`]);
  rows.push(['sum', num(r.frontier), num(m.states), num(m.transitions), String(m.depth), `${(m.elapsedMs / 1000).toFixed(2)} s`, 'upper bound on the distinct states: shards overlap']);
  // The counts (roots, states, transitions) right-aligned.
  for (const line of textTable(rows, '', (i) => i >= 1 && i <= 3)) out.push(line);
  if (m.stopReason === DECIDED_REASON) out.push('', `${plural(m.shards.filter((s) => !s.complete).length, 'shard')} stopped once every invariant checked was decided (--stop-when-decided): the verdicts below are final`);
  else if (!m.complete) out.push('', 'INCOMPLETE: a shard stopped early; an invariant no shard found violated is unknown');
  out.push('');
  const vrows = [['invariant', 'verdict', '']];
  for (const v of m.invariants) {
    const note = v.verdict === 'violated' ? `shortest counterexample: ${plural(v.counterexample!.length, 'call')} (shard ${v.shard})`
      : v.verdict === 'n/a' ? v.reason ?? ''
        : v.verdict === 'unknown' ? 'a shard stopped early; nothing found so far' : `in every shard`;
    vrows.push([v.name, v.verdict, note]);
  }
  for (const line of textTable(vrows)) out.push(line);
  for (const line of counterexampleText(dc)) out.push(line);
  return out.join('\n') + '\n';
}
