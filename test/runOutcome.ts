/** For tests that compare two searches: everything a run decides, without its timings. */
import type { DesignCheck } from '../src/iommu/checkDesign';

export function runOutcome(dc: DesignCheck) {
  const r = dc.result;
  return {
    states: r.states,
    transitions: r.transitions,
    depth: r.depth,
    complete: r.complete,
    stopReason: r.stopReason,
    expanded: r.expanded,
    verdicts: dc.verdicts.map((v) => (v.verdict === 'violated' ? { name: v.name, states: v.states, counterexample: v.counterexample } : v)),
  };
}
