/**
 * What a search loop works with and hands back: the resolved configuration, the progress it
 * reports, and how far it got. The loop on the calling thread (core/check) and the one with
 * worker threads (parallel/parallelSearch) share it.
 */

import { formatDuration } from './duration';
import type { BudgetExceeded } from './memoryBudget';
import type { Symmetry } from './model';
import type { PropertySet, SearchState } from './searchState';

/** Progress of a running search, as `onProgress` receives it. */
export interface CheckProgress {
  readonly states: number;
  readonly transitions: number;
  readonly depth: number;
  /** States stored but not expanded yet. */
  readonly queue: number;
  readonly elapsedMs: number;
}

/** The complete configuration the search runs with, resolved once from `CheckOptions`. */
export interface CheckConfig {
  readonly props: PropertySet;
  readonly maxStates: number;
  readonly maxMemory: number;
  readonly maxTimeMs: number;
  readonly onProgress: ((p: CheckProgress) => void) | null;
  readonly progressEvery: number;
  readonly symmetry: Symmetry | null;
  readonly workers: number;
  readonly stopWhenDecided: boolean;
}

/** How far an expansion loop got: what `finishSearch` needs besides the search state. */
export interface LoopOutcome {
  /** States expanded (ids below this were expanded; the rest only stored). */
  readonly expanded: number;
  /** States visited (properties evaluated); at least `expanded`. */
  readonly visited: number;
  readonly depth: number;
  readonly stopReason?: string;
  /** Stopped by an interrupt (not a budget): its reason stands even if everything is decided. */
  readonly interrupted?: boolean;
}

/**
 * The depth a search reports: that of its deepest stored state. A loop expanding level `depth`
 * has its states before `layerEnd` at most `depth` calls deep and those from `layerEnd` to
 * `count` one call deeper (none once the search is complete).
 */
export function storedDepth(depth: number, layerEnd: number, count: number): number {
  return count > layerEnd ? depth + 1 : depth;
}

/** The stop reason of a search that `stopWhenDecided` ended once every property was decided. */
export const DECIDED_REASON = 'every property checked was decided';

/**
 * Whether a search stopped before it decided everything it checks (a budget, an interrupt): not
 * complete, and not ended by `stopWhenDecided`, whose verdicts are all final.
 */
export function stoppedUndecided(r: { readonly complete: boolean; readonly stopReason?: string }): boolean {
  return !r.complete && r.stopReason !== DECIDED_REASON;
}

/**
 * `stopWhenDecided`'s test where a BFS level begins, before its first state is expanded: every
 * state of the level is stored, and those from `visited` on are not visited yet (the level, less
 * what a loop visited ahead). Visits them, so that every stored state's properties are known
 * (the caller's `visited` becomes `search.count`), and says whether every property is then
 * decided. Asked there, the answer depends only on the levels stored, not on the loop or on how
 * far it visited ahead: so a search stops at the same place on any number of threads.
 */
export function levelDecides(search: SearchState, visited: number): boolean {
  search.visitStored(visited, search.count);
  return search.decided();
}

/**
 * Where a search loop is in the BFS levels: the level being expanded (`depth`, its states ending
 * before `layerEnd`) and how far states are visited (every state before `visited`). Both loops
 * keep one, ask `before(next)` before expanding each state, in id order, and end with `outcome`.
 */
export class LoopLevels {
  depth = 0;
  layerEnd: number;
  visited = 0;

  constructor(private readonly search: SearchState, private readonly cfg: CheckConfig) {
    this.layerEnd = search.count;
  }

  /**
   * Before state `next` is expanded (every state before it expanded): where a level begins, asks
   * `stopWhenDecided` (levelDecides) and moves to the level; then checks the states budget.
   * Returns the outcome that ends the search here, or undefined to expand `next`.
   */
  before(next: number): LoopOutcome | undefined {
    if (next === this.layerEnd) {
      if (this.cfg.stopWhenDecided) {
        const decided = levelDecides(this.search, this.visited);
        this.visited = this.search.count;
        if (decided) return this.outcome(next, DECIDED_REASON);
      }
      this.depth++;
      this.layerEnd = this.search.count;
    }
    if (this.search.count > this.cfg.maxStates) return this.outcome(next, maxStatesReason(this.cfg.maxStates));
    return undefined;
  }

  /** The loop's outcome with the states before `expanded` expanded, stopped for `stopReason` if given. */
  outcome(expanded: number, stopReason?: string): LoopOutcome {
    const depth = storedDepth(this.depth, this.layerEnd, this.search.count);
    return stopReason === undefined ? { expanded, visited: this.visited, depth } : { expanded, visited: this.visited, depth, stopReason };
  }
}

export function maxStatesReason(n: number): string {
  return `--max-states ${n} reached`;
}

/** The stop reason of a search stopped by its time budget of `ms` milliseconds. */
export function maxTimeReason(ms: number): string {
  return `--max-time ${formatDuration(ms)} reached`;
}

/** The stop reason of a search stopped by its memory budget, or by a store that cannot grow (BudgetExceeded.limitReason). */
export function memoryReason(e: BudgetExceeded): string {
  return e.limitReason ?? `--max-memory: ${e.message}`;
}


/**
 * A search loop that runs in steps. `step(deadline)` goes on from where the last step ended
 * and returns the outcome once the search ends (or a budget stops it), or undefined when
 * `performance.now()` passed `deadline` between two batches of states, leaving it ready for
 * the next step. `stop(reason)` ends a loop that is between steps, as a budget would there,
 * and frees what it holds (worker threads). Steps never change what the search does: the same
 * search cut into any steps gives the same result.
 */
export interface SearchRun {
  step(deadline: number): LoopOutcome | undefined;
  stop(reason: string): LoopOutcome;
}

/** The stop reason of a search interrupted by an aborted signal with `reason` (e.g. 'SIGINT'). */
export function interruptedReason(reason: unknown): string {
  return `interrupted by ${typeof reason === 'string' ? reason : reason instanceof Error ? reason.message : 'an abort'}`;
}
