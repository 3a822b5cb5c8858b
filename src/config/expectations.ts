import { stoppedUndecided } from '../core/searchLoop';
import type { DesignCheck, InvariantVerdict } from '../iommu/checkDesign';

/** What a project expects of an invariant: that it holds (the default) or that it is violated. */
export type Expected = 'holds' | 'violated';

/** One design checked at one bound, with what the project expects of each invariant. */
export interface CheckRun {
  readonly dc: DesignCheck;
  /** Invariants expected to be violated (a known flaw of the design); every other one must hold. */
  readonly expect: Readonly<Record<string, Expected>>;
  /**
   * Set when the run is the merge of this many shards (`dmaown merge`): its state and
   * transition counts are the shards' sums, an upper bound on the distinct counts.
   */
  readonly shards?: number;
}

/**
 * How a verdict compares with the expectation: `pass` (as expected; n/a passes unless a
 * violation was expected), `fail`, or `incomplete` (a budget or a signal stopped the search first).
 */
export type Outcome = 'pass' | 'fail' | 'incomplete';

export function outcomeOf(v: InvariantVerdict, expected: Expected = 'holds'): Outcome {
  if (v.verdict === 'unknown') return 'incomplete';
  if (v.verdict === 'n/a') return expected === 'holds' ? 'pass' : 'fail';
  return v.verdict === expected ? 'pass' : 'fail';
}

export const expectedOf = (run: CheckRun, name: string): Expected => run.expect[name] ?? 'holds';

/**
 * One line saying how a config run's verdicts compare with what the config expects: the ones not
 * as expected first, then the expected violations that happened (for the text report).
 */
export function expectationLine(run: CheckRun): string {
  const wrong: string[] = [];
  const expectedSeen: string[] = [];
  let undecided = 0;
  for (const v of run.dc.verdicts) {
    const e = expectedOf(run, v.name);
    const o = outcomeOf(v, e);
    if (o === 'fail') wrong.push(`${v.name} ${v.verdict} (expected ${e === 'holds' ? 'to hold' : 'violated'})`);
    else if (o === 'incomplete') undecided++;
    else if (e === 'violated') expectedSeen.push(v.name);
  }
  const parts: string[] = [];
  if (wrong.length) parts.push(`NOT AS EXPECTED: ${wrong.join(', ')}`);
  if (undecided) parts.push(`${undecided} undecided`);
  if (!wrong.length && !undecided) parts.push(stoppedUndecided(run.dc.result) ? 'every verdict as expected, but the search stopped early' : 'every verdict as expected');
  if (expectedSeen.length) parts.push(`violated as expected: ${expectedSeen.join(', ')}`);
  return `config: ${parts.join('; ')}`;
}

/** Exit code of a set of runs: 1 if a verdict is not what was expected, else 3 if one is undecided, else 0. */
export function exitCodeOf(runs: readonly CheckRun[]): 0 | 1 | 3 {
  let incomplete = false;
  for (const r of runs) {
    for (const v of r.dc.verdicts) {
      const o = outcomeOf(v, expectedOf(r, v.name));
      if (o === 'fail') return 1;
      if (o === 'incomplete') incomplete = true;
    }
    if (stoppedUndecided(r.dc.result)) incomplete = true;
  }
  return incomplete ? 3 : 0;
}
