import { formatBytes } from '../core/memoryBudget';
import { InputError } from '../errors';
import type { Design } from '../iommu/design';
import type { Invariant } from '../iommu/invariant';
import { buildIommuModel } from '../iommu/iommuModel';
import { estimateSize, minBytesPerState, type SizeEstimate } from '../iommu/sizeEstimate';
import { DEFAULT_MAX_MEMORY } from './common';
import { plural } from '../report/plural';

/** One search a command is about to run, and its budgets (as budgetFlags / searchFlags give them). */
export interface PlannedSearch {
  readonly design: Design;
  readonly devices: number;
  readonly invariants: readonly Invariant[];
  readonly symmetry: boolean;
  readonly maxStates?: number;
  readonly maxMemory: number;
}

/** A search's estimate, and whether it is too large for its memory budget. */
interface Sized {
  readonly search: PlannedSearch;
  readonly estimate: SizeEstimate;
  readonly tooLarge: boolean;
}

/**
 * `s`'s size estimate (src/iommu/sizeEstimate), and whether it needs more than its memory
 * budget: the estimated states, or `maxStates` if fewer, times the fewest bytes a state takes.
 * A search whose `maxStates` alone fits the budget is not estimated: its user asked for part of
 * it. Null when nothing was estimated (that, or 3 devices or fewer).
 */
function sizeOf(s: PlannedSearch): Sized | null {
  if (s.maxStates !== undefined && s.maxStates * minBytesPerState(buildIommuModel(s.design, s.devices, s.invariants).words) <= s.maxMemory) return null;
  const estimate = estimateSize(s.design, s.devices, s.invariants, { symmetry: s.symmetry, enoughBelow: s.maxMemory });
  if (!estimate) return null;
  const states = Math.min(estimate.states, s.maxStates ?? Number.POSITIVE_INFINITY);
  return { search: s, estimate, tooLarge: states * estimate.bytesPerState > s.maxMemory };
}

/**
 * A count as said aloud: 1,234 / about 17 million / about 1.3 billion / about 597 billion /
 * about 55 trillion; past a thousand trillion as a power of ten (about 2.4e17).
 */
export function approx(n: number): string {
  if (n >= 1e15) return `about ${n.toExponential(1).replace('.0e', 'e').replace('e+', 'e')}`;
  const [unit, name] = n >= 1e12 ? [1e12, 'trillion'] : n >= 1e9 ? [1e9, 'billion'] : n >= 1e6 ? [1e6, 'million'] : [1, ''];
  if (unit === 1) return Math.round(n).toLocaleString('en-US');
  const v = n / unit;
  return `about ${v >= 10 ? Math.round(v).toLocaleString('en-US') : v.toFixed(1).replace(/\.0$/, '')} ${name}`;
}

/** Where the searches' memory budget came from, and what a refusal suggests first (see refuseTooLarge). */
export interface RefusalContext {
  /** What to do first, e.g. how to leave a design out. */
  readonly remedy?: string;
  /** The config file that names the searches (its bounds are changed there, not with --devices). */
  readonly config?: string;
  /** The memory budget is the config's `maxMemory` (not --max-memory or the default). */
  readonly memoryFromConfig?: boolean;
  /** The command takes none of the budget and symmetry options: it suggests only fewer --devices. */
  readonly devicesOnly?: boolean;
  /**
   * Whether --stop-when-decided is on, for a command that takes it (undefined: it does not).
   * When it is off, the states budget's remedy mentions it.
   */
  readonly stopWhenDecided?: boolean;
}

function budgetName(maxMemory: number, c: RefusalContext): string {
  if (c.memoryFromConfig) return `maxMemory ${formatBytes(maxMemory)} (${c.config})`;
  return maxMemory === DEFAULT_MAX_MEMORY ? `the memory budget (${formatBytes(maxMemory)}, half of this machine's memory)` : `--max-memory ${formatBytes(maxMemory)}`;
}

/** What a refusal suggests instead (symmetry only where it is not already asked for) for `searches`, which share one symmetry setting. */
function remedies(searches: readonly PlannedSearch[], c: RefusalContext): string {
  const symmetry = searches[0].symmetry;
  const offerStop = c.stopWhenDecided === false;
  if (c.devicesOnly) return 'fewer --devices';
  return [
    ...(c.remedy ? [c.remedy] : []),
    ...(symmetry ? [] : ['--symmetry']),
    c.config ? `fewer devices in ${c.config}` : 'fewer --devices',
    offerStop ? '--max-states N to search part of it (with --stop-when-decided, enough to decide its violations)' : '--max-states N to search part of it',
    'or a larger --max-memory',
  ].join(', ');
}

function what(t: Sized): string {
  const e = t.estimate;
  const kind = e.symmetry ? 'orbits' : 'states';
  const n = e.sampled.length;
  // The growths the estimate follows, in order: `x8.59 then x8.90 per device`.
  const growths = e.sampled.slice(1).map((c, i) => `x${(c / e.sampled[i]).toFixed(2)}`).join(' then ');
  return `${approx(e.states)} ${kind} (${e.sampled[n - 1].toLocaleString('en-US')} at ${e.from[n - 1]} devices, ${growths} per device), at least ${formatBytes(e.states * e.bytesPerState)}`;
}

/**
 * Throws an InputError (one line, exit 2) naming every search of `searches` that is estimated
 * not to fit its memory budget (`sizeOf`), and what to do instead: `remedy` first (e.g. how
 * to leave a design out), then the options that shrink a search; `context` also says where the
 * budget and the bounds came from. `command` starts the line. The searches share one memory
 * budget and symmetry setting. When all fit, returns each one's estimate (null where none was
 * made), for the progress line.
 */
export function refuseTooLarge(command: string, searches: readonly PlannedSearch[], context: RefusalContext = {}): (SizeEstimate | null)[] {
  const sized = searches.map(sizeOf);
  const big = sized.filter((t): t is Sized => t !== null && t.tooLarge);
  if (big.length === 0) return sized.map((t) => t?.estimate ?? null);
  const s = big[0].search;
  const list = big.map((t) => `${t.search.design.name} at ${plural(t.search.devices, 'device')}: ${what(t)}`).join('; ');
  throw new InputError(`${command}: too large for ${budgetName(s.maxMemory, context)} by estimate: ${list}; try ${remedies(searches, context)} (docs/scaling.md)`);
}
