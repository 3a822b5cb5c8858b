import type { Path } from '../core/check';
import { Successors, type PackedModel, type Symmetry } from '../core/model';

/** A path of the reduced graph that no concrete path of the same length matches: the symmetry is unsound. */
export class UnsoundSymmetryError extends Error {}

function sameRow(a: Uint32Array, ao: number, b: Uint32Array, bo: number, W: number): boolean {
  for (let i = 0; i < W; i++) if (a[ao + i] !== b[bo + i]) return false;
  return true;
}

/**
 * Turns a path found with symmetry reduction (its states are orbit representatives) into a path
 * of the model itself, of the same length, that replays from the same initial state: at each
 * step it takes the first enabled action (in the model's order) whose successor has the
 * recorded step's representative and the same transition flags. Deterministic. Throws
 * UnsoundSymmetryError when no action fits, which a symmetry that keeps the rules of
 * `Symmetry` never causes.
 */
export function concretePath(model: PackedModel, symmetry: Symmetry, path: Path): Path {
  const W = model.words;
  const init = model.initialStates();
  const concrete = init.slice(path.init * W, (path.init + 1) * W);
  const reduced = concrete.slice();
  symmetry.canonicalize(reduced, 0);
  const a = new Successors(W);
  const b = new Successors(W);
  const actions: number[] = [];
  for (const [step, action] of path.actions.entries()) {
    a.reset();
    model.successors(reduced, a);
    let k = 0;
    while (k < a.count && a.actions[k] !== action) k++;
    if (k === a.count) throw new UnsoundSymmetryError(`step ${step}: action ${action} is not enabled in the reduced state`);
    symmetry.canonicalize(a.states, k * W);
    const flags = a.flags[k];
    b.reset();
    model.successors(concrete, b);
    let j = 0;
    for (; j < b.count; j++) {
      if (b.flags[j] !== flags) continue;
      const row = b.states.slice(j * W, (j + 1) * W);
      symmetry.canonicalize(row, 0);
      if (sameRow(row, 0, a.states, k * W, W)) break;
    }
    if (j === b.count) throw new UnsoundSymmetryError(`step ${step}: no concrete action leads to the state the reduced path reached`);
    actions.push(b.actions[j]);
    concrete.set(b.states.subarray(j * W, (j + 1) * W));
    reduced.set(a.states.subarray(k * W, (k + 1) * W));
  }
  return { init: path.init, actions };
}
