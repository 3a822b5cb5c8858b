import { check } from '../core/check';
import type { Design } from './design';
import type { Invariant } from './invariant';
import { buildIommuModel } from './iommuModel';

/**
 * How big a design's state space is at a bound, estimated before searching it, so that the CLI
 * can refuse bounds that cannot fit its memory budget instead of running until the budget stops
 * them. An estimate, not a bound: see `estimateSize`.
 */
export interface SizeEstimate {
  readonly design: string;
  readonly devices: number;
  readonly symmetry: boolean;
  /** Distinct states (orbits with symmetry) estimated at `devices`. */
  readonly states: number;
  /**
   * The bounds searched completely whose counts the estimate extrapolates, consecutive: the
   * last three searched, or two when only 2 and 3 devices were.
   */
  readonly from: readonly number[];
  /** Their distinct states. */
  readonly sampled: readonly number[];
  /** The last growth per device: the last count over the one before. */
  readonly growth: number;
  /**
   * How the growth per device changes from one device to the next in the extrapolation: the
   * square root of the last growth over the one before (three bounds), held within
   * [MIN_TREND, MAX_TREND]; 1 (constant growth) from two bounds.
   */
  readonly trend: number;
  /** Bytes each stored state takes at least at `devices` (`minBytesPerState`). */
  readonly bytesPerState: number;
  /** states * bytesPerState. */
  readonly bytes: number;
}

/** Every search run to sample a design's growth stops here (2 and 3 devices are always run). */
export const SAMPLE_STATES = 1_000_000;
/** A bound from 4 devices up is searched only when the last growth predicts at most this many states. */
export const FURTHER_SAMPLE_STATES = 350_000;

/** How much faster than the last growth `enoughBelow` allows the growth to become. */
const PESSIMISM = 1.5;
/**
 * With `enoughBelow` met, the next bound is searched anyway when its predicted states are at
 * most this share of the bound estimated: it then costs little beside that search.
 */
export const CHEAP_SHARE = 1 / 20;
/**
 * The range `SizeEstimate.trend` is held in, so that one odd step between small bounds (a
 * growth that jumps from x1.1 to x9, say) cannot make the estimate run away. The 11 designs'
 * trends lie between 0.84 and 1.04 (bench/estimateStudy.ts).
 */
export const MIN_TREND = 0.8;
export const MAX_TREND = 1.25;

export interface EstimateOptions {
  /** Reduce by symmetry where the design allows it (as `check --symmetry`). */
  readonly symmetry?: boolean;
  /**
   * Stop searching further bounds once the estimate, with each device more growing 1.5 times
   * as fast as the last, stays at or below this many bytes: the caller only wants to know
   * whether the bound is far above it. The estimate is then from the bounds searched so far.
   * A next bound predicted at most CHEAP_SHARE of the estimate is searched all the same.
   */
  readonly enoughBelow?: number;
}

/**
 * The fewest bytes a search stores per state, for rows of `words` 32-bit words: the row, its
 * index slot at the visited set's highest load (0.75), its BFS parent (4) and the action from it
 * (at least 1). Index doubling, pages and recoverable-property bits only add to it.
 */
export function minBytesPerState(words: number): number {
  return 4 * words + 4 / 0.75 + 4 + 1;
}

/**
 * Estimates the distinct states of `design` at `devices` devices, reduced by symmetry when
 * `symmetry` is true and the design allows it with `invariants` (they decide whether it does).
 * It searches smaller bounds completely, checking no property: 2 devices, 3, and each next one
 * while the last growth predicts at most FURTHER_SAMPLE_STATES states; each search stops at
 * SAMPLE_STATES, and a bound it stops is not used. One device is never used: its growth to two
 * is far above the later ones (15x against 8.2x and 8.4x for v7; 116x against 24x for
 * lu-owner-param).
 *
 * From the count at the largest bound searched, each device more multiplies by the growth per
 * device, which itself changes each device by `trend`: the square root of how it changed over
 * the last three bounds searched (constant growth when only two were). Without symmetry the
 * designs' growth rises or falls slowly (v7: x8.22, x8.36, x8.79, x9.25 from 2 to 6 devices);
 * by symmetry it falls fast (v7: x3.46, x2.85, ... x1.86 from 9 to 10), and constant growth
 * overestimates badly. The square root is empirical: over the 11 designs at up to 10 devices
 * with symmetry and 8 without (every count under 4 million), extrapolating one to six devices
 * from any three consecutive counts came within 0.62x to 1.32x of the real count, where
 * constant growth ranged from 0.93x to 6.6x and the full change (no square root) from 0.10x to
 * 1.00x (`node dist/bench/estimateStudy.js`; bench/results.md). It stays an estimate:
 * v7 at 8 devices from 2 to 4 gives 1.6 billion, against about 2.3 billion extrapolated the
 * same way from the count at 6.
 *
 * Returns null when there is nothing to extrapolate: `devices` is at most 3, or 3 devices
 * already has more than SAMPLE_STATES states. Deterministic: the same arguments give the same
 * estimate.
 */
export function estimateSize(design: Design, devices: number, invariants: readonly Invariant[], options: EstimateOptions = {}): SizeEstimate | null {
  if (devices <= 3) return null;
  const counts: number[] = [];
  let symmetric = false;
  const bytesPerState = minBytesPerState(buildIommuModel(design, devices, invariants).words);
  for (let k = 2; k < devices; k++) {
    if (counts.length >= 2) {
      const [a, b] = counts.slice(-2);
      const next = b * (b / a);
      if (next > FURTHER_SAMPLE_STATES) break;
      if (options.enoughBelow !== undefined) {
        const pessimistic = b * (PESSIMISM * (b / a)) ** (devices - k + 1) * bytesPerState;
        // It fits even so; the next bound is still searched when it is cheap beside the search
        // being estimated, for a closer total (the progress line's).
        if (pessimistic <= options.enoughBelow && next > CHEAP_SHARE * b * (b / a) ** (devices - k + 1)) break;
      }
    }
    // The run's invariants: they decide whether the design's symmetry may be used.
    const model = buildIommuModel(design, k, invariants, { symmetry: options.symmetry === true });
    const reduce = options.symmetry === true && model.symmetry !== undefined;
    const r = check(model, { symmetry: reduce, maxStates: SAMPLE_STATES, properties: [] });
    if (!r.complete) break;
    counts.push(r.states);
    symmetric = reduce;
  }
  if (counts.length < 2) return null;
  const used = counts.slice(-3);
  const last = 2 + counts.length - 1;
  const { states, growth, trend } = extrapolate(used, devices - last);
  return {
    design: design.name,
    devices,
    symmetry: symmetric,
    states,
    from: used.map((_, i) => last - used.length + 1 + i),
    sampled: used,
    growth,
    trend,
    bytesPerState,
    bytes: states * bytesPerState,
  };
}

/**
 * The count `ahead` devices past the last of `counts` (two or three counts at consecutive
 * bounds), by `estimateSize`'s rule: the last growth per device, changed each device by the
 * trend (see SizeEstimate.trend), never below 1.
 */
export function extrapolate(counts: readonly number[], ahead: number): { states: number; growth: number; trend: number } {
  const n = counts.length;
  const growth = counts[n - 1] / counts[n - 2];
  const trend = n >= 3 ? Math.min(MAX_TREND, Math.max(MIN_TREND, Math.sqrt(growth / (counts[n - 2] / counts[n - 3])))) : 1;
  let states = counts[n - 1];
  let g = growth;
  for (let i = 0; i < ahead; i++) {
    g = Math.max(1, g * trend);
    states *= g;
  }
  return { states, growth, trend };
}
