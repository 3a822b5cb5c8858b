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
  /** The two bounds searched completely whose counts the estimate extrapolates. */
  readonly from: readonly [number, number];
  /** Their distinct states. */
  readonly sampled: readonly [number, number];
  /** Growth per device: sampled[1] / sampled[0]. */
  readonly growth: number;
  /** Bytes each stored state takes at least at `devices` (`minBytesPerState`). */
  readonly bytesPerState: number;
  /** states * bytesPerState. */
  readonly bytes: number;
}

/** Every search run to sample a design's growth stops here (2 and 3 devices are always run). */
export const SAMPLE_STATES = 1_000_000;
/** A bound from 4 devices up is searched only when the last growth predicts at most this many states. */
export const FURTHER_SAMPLE_STATES = 200_000;

/** How much faster than the last growth `enoughBelow` allows the growth to become. */
const PESSIMISM = 1.5;

export interface EstimateOptions {
  /** Reduce by symmetry where the design allows it (as `check --symmetry`). */
  readonly symmetry?: boolean;
  /**
   * Stop searching further bounds once the estimate, with each device more growing 1.5 times
   * as fast as the last, stays at or below this many bytes: the caller only wants to know
   * whether the bound is far above it. The estimate is then from the bounds searched so far.
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
 * SAMPLE_STATES, and a bound it stops is not used.
 * The estimate is the count at the largest bound searched, times its growth per device once for
 * each device more. One device is never used: its growth to two is far above the later ones
 * (12x against 8.6x and 8.9x for v7; 97x against 25x and 22x for lu-owner-param).
 *
 * Returns null when there is nothing to extrapolate: `devices` is at most 3, or 3 devices
 * already has more than SAMPLE_STATES states. The estimate follows the growth of the last two
 * bounds searched, so it is low for a design whose growth per device rises (v7 at 8 devices from
 * 3 and 4: 1.28 billion, against about 1.8 billion extrapolated from SPIN's count at 6 devices)
 * and high for one whose growth falls (v8 at 8 from 3 and 4: 303K against 267K; lu-owner-param
 * at 4 from 2 and 3: 17.3 million against 15.3 million). Deterministic: the same arguments give
 * the same estimate.
 */
export function estimateSize(design: Design, devices: number, invariants: readonly Invariant[], options: EstimateOptions = {}): SizeEstimate | null {
  if (devices <= 3) return null;
  const counts: number[] = [];
  let symmetric = false;
  const bytesPerState = minBytesPerState(buildIommuModel(design, devices, invariants).words);
  for (let k = 2; k < devices; k++) {
    if (counts.length >= 2) {
      const [a, b] = counts.slice(-2);
      if (b * (b / a) > FURTHER_SAMPLE_STATES) break;
      const pessimistic = b * (PESSIMISM * (b / a)) ** (devices - k + 1) * bytesPerState;
      if (options.enoughBelow !== undefined && pessimistic <= options.enoughBelow) break;
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
  const last = 2 + counts.length - 1;
  const [a, b] = counts.slice(-2);
  const growth = b / a;
  const states = b * growth ** (devices - last);
  return {
    design: design.name,
    devices,
    symmetry: symmetric,
    states,
    from: [last - 1, last],
    sampled: [a, b],
    growth,
    bytesPerState,
    bytes: states * bytesPerState,
  };
}
