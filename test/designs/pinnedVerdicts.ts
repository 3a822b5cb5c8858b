import type { InvariantVerdict } from '../../src/iommu/checkDesign';

/**
 * The verdicts of the invariants `expected` names, as name → verdict, for comparing with
 * `expected`: a design's test pins the verdicts it derived by hand from the seed code, and an
 * invariant added to invariants/ later (one the test does not name) does not change what it
 * pins. A named invariant that was not checked comes out as 'not checked', so the comparison
 * fails.
 */
export function pinnedVerdicts(vs: readonly InvariantVerdict[], expected: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.keys(expected).map((name) => [name, vs.find((v) => v.name === name)?.verdict ?? 'not checked']));
}
