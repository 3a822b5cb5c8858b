import type { Symmetry } from './model';

/**
 * Readies successor row `states[off..]` of state `cur` for the visited set: canonicalizes it
 * in place by `symmetry` (when reducing), then says whether it is `cur` itself, a self-loop,
 * which the search counts as a transition but never looks up. `cur` is exactly one row, already
 * canonical. The one-thread loop and the workers both call this, so they do the same work.
 */
export function canonicalSuccessor(states: Uint32Array, off: number, cur: Uint32Array, symmetry: Symmetry | null): boolean {
  if (symmetry) symmetry.canonicalize(states, off);
  for (let i = 0; i < cur.length; i++) if (states[off + i] !== cur[i]) return false;
  return true;
}
