/**
 * The checker's view of a model (after Stateright's `Model` trait): initial states, the actions
 * enabled in a state and the state each leads to, and named properties. States are rows of
 * `words` uint32 words, so that the checker can store tens of millions of them compactly.
 *
 * Rules a model must keep: `successors` is deterministic (same state, same successors in the
 * same order) and pure (it neither reads nor writes anything but its arguments); action numbers
 * are stable for the model's lifetime.
 */
export interface PackedModel {
  readonly words: number;
  /** Number of distinct actions; an action is a number in [0, actionCount). */
  readonly actionCount: number;
  /** The initial states, concatenated rows. */
  initialStates(): Uint32Array;
  /**
   * Writes the successors of `state` (one row) into `out`, in a fixed order: for each enabled
   * action, its number, the next row and the transition's flags (bit i = flag i, see
   * `transitionFlags`).
   */
  successors(state: Uint32Array, out: Successors): void;
  /**
   * Bytes the model's own memo structures hold now (for example decision trees that grow as
   * states are seen), as an estimate: the checker charges them to the search's memory budget.
   * Omit it when the model keeps nothing that grows.
   */
  memoBytes?(): number;
  /** Names of the transition flags, bit by bit (for example `['warn']`). */
  readonly transitionFlags: readonly string[];
  readonly properties: readonly Property[];
  /** A symmetry the checker may reduce by when asked (`CheckOptions.symmetry`). */
  readonly symmetry?: Symmetry;
  /**
   * How a worker thread builds the same model (`CheckOptions.workers`). Without a recipe the
   * model is checked on the calling thread only.
   */
  readonly recipe?: ModelRecipe;
}

/**
 * A symmetry of a model: a group of permutations of states under which the model looks the same,
 * given by a function that maps every state to one representative of its orbit. The checker
 * then stores one state per orbit.
 *
 * Rules the model must keep for the reduction to be sound: the set of initial states is closed
 * under the group; for every permutation g, a transition s -> t by some action has a matching
 * transition g(s) -> g(t) by some action, with the same flags; every property gives the same
 * answer on s and g(s) (and a recoverable property's `via` actions map to `via` actions).
 */
export interface Symmetry {
  /** What is permuted, for reports (for example `devices, users`). */
  readonly description: string;
  /** Bytes its tables hold, charged to the search's memory budget (omit when negligible). */
  readonly bytes?: number;
  /**
   * Replaces the row at `rows[off..]` by its orbit's representative, in place. Every member of
   * an orbit must give the same representative, and a representative must map to itself.
   */
  canonicalize(rows: Uint32Array, off: number): void;
}

/**
 * How to build a model in another thread: `require(module)[exportName](args)` returns the model
 * or a promise of it. `args` must survive structured cloning.
 */
export interface ModelRecipe {
  readonly module: string;
  readonly exportName: string;
  readonly args: unknown;
}

/** A property checked over every reachable state or transition. */
export type Property =
  /** Holds in every reachable state (Stateright's `always`). */
  | { readonly kind: 'always'; readonly name: string; holds(state: Uint32Array): boolean }
  /** Holds in some reachable state (Stateright's `sometimes`): the shortest path there is an example. */
  | { readonly kind: 'sometimes'; readonly name: string; holds(state: Uint32Array): boolean }
  /** No reachable transition carries flag bit `flag`. */
  | { readonly kind: 'never-flag'; readonly name: string; readonly flag: number }
  /**
   * From every reachable state, some path that takes only `via` actions reaches a state where
   * `goal` holds. Violated by the first (shallowest) state from which no such path exists.
   */
  | { readonly kind: 'recoverable'; readonly name: string; via(action: number): boolean; goal(state: Uint32Array): boolean };

/** Reusable output buffer for `PackedModel.successors`; grows on demand. */
export class Successors {
  count = 0;
  states: Uint32Array;
  actions: Int32Array;
  flags: Uint32Array;
  constructor(readonly words: number, capacity = 64) {
    this.states = new Uint32Array(capacity * words);
    this.actions = new Int32Array(capacity);
    this.flags = new Uint32Array(capacity);
  }
  reset(): void { this.count = 0; }
  /** Reserves the next slot and returns the row offset to write the next state at. */
  push(action: number, flags: number): number {
    if (this.count === this.actions.length) this.grow();
    const i = this.count++;
    this.actions[i] = action;
    this.flags[i] = flags;
    return i * this.words;
  }
  private grow(): void {
    const cap = this.actions.length * 2;
    const s = new Uint32Array(cap * this.words); s.set(this.states); this.states = s;
    const a = new Int32Array(cap); a.set(this.actions); this.actions = a;
    const f = new Uint32Array(cap); f.set(this.flags); this.flags = f;
  }
}
