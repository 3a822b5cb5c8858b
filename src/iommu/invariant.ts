import type { DeviceContext, GroupContext } from '../model/context';
import type { GroupStateName } from '../model/vocabulary';
import type { CallerAction } from './callers';
import type { Design } from './design';
import type { IommuEvent } from './events';

interface Common {
  /** Name used with `--invariant NAME`. */
  readonly name: string;
  /** One line: what must be true. */
  readonly summary: string;
  /** The seed or upstream sentence this invariant formalises, quoted, with where it comes from. */
  readonly formalises: string;
  /** Sorts the list of invariants (lower first); ties by name. */
  readonly rank?: number;
  /** A reason when the invariant cannot apply to `design` (it is then reported n/a), else undefined. */
  notApplicable?(design: Design): string | undefined;
}

/** What an invariant sees of a state besides its context. */
export interface StateInfo {
  readonly design: Design;
  /** The machine's finite state. */
  readonly state: GroupStateName;
}

/** Holds in every reachable state. `holds` must be pure. */
export interface StateInvariant extends Common {
  readonly kind: 'always';
  holds(c: GroupContext, info: StateInfo): boolean;
  /** Why a state breaks it, in one sentence (for reports). */
  explain?(c: GroupContext, info: StateInfo): string;
  /**
   * Optional, for speed only: the same predicate as `holds`, split into a part on the group and
   * a part on each device on its own, so that
   * `holds(c, info) === (group(c, info) && c.devices.every((d) => device(d, info.design)))`.
   * A predicate that looks at every device grows its memo with the states; split, the checker
   * memoizes the device part once per distinct device value. Both parts must be pure.
   * `test/invariant-split.test.ts` checks the equation on every reachable state of every design.
   */
  readonly split?: InvariantSplit;
}

/** See `StateInvariant.split`. */
export interface InvariantSplit {
  group(c: GroupContext, info: StateInfo): boolean;
  device(d: DeviceContext, design: Design): boolean;
}

/** No reachable transition has its outcome flag set (today: `warn`, a WARN_ON fired). */
export interface TransitionInvariant extends Common {
  readonly kind: 'never-flag';
  readonly flag: 'warn';
}

/** Lets a recoverable invariant try a call on a copy of a state. */
export interface Probe {
  readonly context: GroupContext;
  /**
   * Runs `event` (or the events in order) on a copy of this state, which is not changed. `ret`
   * is the first non-zero return value (0 when every call returned 0); `warn` whether any
   * WARN_ON fired.
   */
  tryEvent(event: IommuEvent | readonly IommuEvent[]): { ret: number; warn: boolean };
}

/**
 * From every reachable state, some sequence of `via` caller actions reaches a state where
 * `goal` holds. A violation's counterexample is the shortest path to a state that cannot.
 */
export interface RecoverableInvariant extends Common {
  readonly kind: 'recoverable';
  via(action: CallerAction): boolean;
  goal(probe: Probe): boolean;
}

export type Invariant = StateInvariant | TransitionInvariant | RecoverableInvariant;

/** Identity function that type-checks an invariant file's export. */
export function defineInvariant<I extends Invariant>(inv: I): I {
  return inv;
}

/**
 * Why `inv` cannot apply to `design` (it is then n/a, with this reason), or undefined where it
 * applies: the design's own word first, then the invariant's.
 */
export function notApplicableReason(design: Design, inv: Invariant): string | undefined {
  return design.notApplicable?.[inv.name] ?? inv.notApplicable?.(design);
}
