/**
 * What a search loop works with and hands back: the resolved configuration, the progress it
 * reports, and how far it got. The loop on the calling thread (core/check) and the one with
 * worker threads (parallel/parallelSearch) share it.
 */

import type { BudgetExceeded } from './memoryBudget';
import type { Symmetry } from './model';
import type { PropertySet } from './searchState';

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
  readonly onProgress: ((p: CheckProgress) => void) | null;
  readonly progressEvery: number;
  readonly symmetry: Symmetry | null;
  readonly workers: number;
}

/** How far an expansion loop got: what `finishSearch` needs besides the search state. */
export interface LoopOutcome {
  /** States expanded (ids below this were expanded; the rest only stored). */
  readonly expanded: number;
  /** States visited (properties evaluated); at least `expanded`. */
  readonly visited: number;
  readonly depth: number;
  readonly stopReason?: string;
}

export function maxStatesReason(n: number): string {
  return `--max-states ${n} reached`;
}

export function memoryReason(e: BudgetExceeded): string {
  return `--max-memory: ${e.message}`;
}

