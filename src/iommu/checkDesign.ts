import { check, checkAsync, type CheckAsyncOptions, type CheckOptions, type CheckResult } from '../core/check';
import type { Design } from './design';
import type { IommuEvent } from './events';
import type { Invariant } from './invariant';
import { buildIommuModel, type IommuModel } from './iommuModel';
import { initialTraceState, replayEvents, type TraceStep } from './replay';
import type { GroupContext } from '../model/context';
import type { GroupStateName } from '../model/vocabulary';
import { iommuRecipe, loadForWorkers, modelFingerprint } from '../parallel/iommuRecipe';
import { concretePath } from '../symmetry/concretePath';

/** The verdict on one invariant for one design at one bound. */
export type InvariantVerdict =
  | { readonly name: string; readonly verdict: 'holds'; readonly states: number }
  | { readonly name: string; readonly verdict: 'unknown'; readonly states: number }
  | {
      readonly name: string;
      readonly verdict: 'violated';
      /** Distinct states stored when the violation was found. */
      readonly states: number;
      /** The shortest counterexample, as replay events. */
      readonly counterexample: readonly IommuEvent[];
      /** The counterexample replayed: outcome and state after each call. */
      readonly trace: readonly TraceStep[];
      /** Why the last state (or step) breaks the invariant. */
      readonly explanation: string;
    }
  | { readonly name: string; readonly verdict: 'n/a'; readonly reason: string };

export interface DesignCheck {
  readonly design: Design;
  readonly devices: number;
  readonly result: CheckResult;
  readonly verdicts: readonly InvariantVerdict[];
  readonly model: IommuModel;
  /**
   * With `symmetry` asked for: what the search was reduced by, or why it was not (then it ran
   * unreduced). `result.symmetry` is set only when it was reduced.
   */
  readonly symmetryNote?: string;
}

/**
 * Why `inv` is broken where a counterexample ends, in one sentence: in `state` / `context`,
 * reached by the call `last` (null: the initial state). Reports, the explorer and merge word
 * every violation with it.
 */
export function violationText(inv: Invariant, design: Design, state: GroupStateName, context: GroupContext, last: TraceStep | null): string {
  switch (inv.kind) {
    case 'never-flag': {
      const g = last?.fired?.guardName;
      return `WARN_ON fired in ${last?.event.type}${g ? ` (${g})` : ''}`;
    }
    case 'recoverable':
      return 'from this state no sequence of unbinding, detaching and releasing lets VFIO take the group again (bind vfio-pci, claim, attach a new domain of its own)';
    case 'always':
      return inv.explain ? inv.explain(context, { design, state }) : `${inv.name} does not hold`;
  }
}

function explain(inv: Invariant, model: IommuModel, trace: readonly TraceStep[]): string {
  const end = trace.length > 0 ? trace[trace.length - 1] : null;
  const at = end ?? initialTraceState(model.design, model.devices);
  return violationText(inv, model.design, at.state, at.context, end);
}

/**
 * Checks `design` at `devices` devices against `invariants` (all applicable ones are checked in
 * one search) and turns each counterexample into replay events and a trace.
 *
 * Options are `check`'s (budgets, progress) plus:
 * - `symmetry: true` reduces by the devices' and users' interchangeability where the design has
 *   it (verified first; see symmetry/iommuSymmetry): `result.states` then counts orbits, and
 *   each counterexample is mapped back to concrete calls of the same, shortest, length.
 * - `workers: N` (N >= 2) searches on N threads, N - 1 of them worker threads expanding
 *   states; the result is the same as with one. Workers rebuild the model by name, so the
 *   design and invariants must be the objects machines/ and invariants/ export, and
 *   `loadDesigns` and (when invariants are given) `loadInvariants` must have run in the
 *   process so that this can be checked (`checkDesignAsync` runs them first): an error says so
 *   otherwise.
 * `result.states`, `transitions`, `depth`, `elapsedMs`, `peakBytes` and `complete` are what a
 * benchmark reads.
 */
export function checkDesign(design: Design, devices: number, invariants: readonly Invariant[], options: CheckOptions = {}): DesignCheck {
  const { model, reduce } = designModel(design, devices, invariants, options);
  return designCheck(model, invariants, check(model, { ...options, symmetry: reduce }), reduce, options);
}

/**
 * `checkDesign` searching with `checkAsync`: the event loop turns while it runs, and
 * `options.signal` interrupts it (the result is then incomplete, as after a budget stop).
 */
export async function checkDesignAsync(design: Design, devices: number, invariants: readonly Invariant[], options: CheckAsyncOptions = {}): Promise<DesignCheck> {
  // iommuRecipe tells a registered design or invariant from a changed copy by the registries.
  await loadForWorkers(options.workers);
  const { model, reduce } = designModel(design, devices, invariants, options);
  return designCheck(model, invariants, await checkAsync(model, { ...options, symmetry: reduce }), reduce, options);
}

/** The model `checkDesign` searches, and whether it is reduced by symmetry. */
function designModel(design: Design, devices: number, invariants: readonly Invariant[], options: CheckOptions): { model: IommuModel; reduce: boolean } {
  let model = buildIommuModel(design, devices, invariants, { symmetry: options.symmetry === true });
  const reduce = options.symmetry === true && model.symmetry !== undefined;
  if ((options.workers ?? 1) > 1) model = { ...model, recipe: iommuRecipe(design, devices, invariants, reduce ? model.symmetryGenerators! : null, modelFingerprint(model)) };
  return { model, reduce };
}

function designCheck(model: IommuModel, invariants: readonly Invariant[], result: CheckResult, reduce: boolean, options: CheckOptions): DesignCheck {
  const verdicts = designVerdicts(model, invariants, result, reduce);
  return { design: model.design, devices: model.devices, result, verdicts, model, ...(options.symmetry ? { symmetryNote: model.symmetryNote } : {}) };
}

/**
 * The verdict on each of `invariants` from a search of `model` (built for those invariants):
 * n/a where the design rules an invariant out, and each counterexample mapped back to concrete
 * calls (when `reduced`: the search stored orbit representatives of `model.symmetry`), replayed
 * and explained. Paths in `result` must start at `model`'s initial state.
 */
export function designVerdicts(model: IommuModel, invariants: readonly Invariant[], result: CheckResult, reduced: boolean): InvariantVerdict[] {
  const { design, devices } = model;
  const byName = new Map(result.properties.map((p) => [p.name, p] as const));
  return invariants.map((inv): InvariantVerdict => {
    const na = model.notApplicable.find((n) => n.name === inv.name);
    if (na) return { name: inv.name, verdict: 'n/a', reason: na.reason };
    const p = byName.get(inv.name)!;
    if (p.verdict === 'violated' && p.path) {
      const path = reduced ? concretePath(model, model.symmetry!, p.path) : p.path;
      const counterexample = path.actions.map((a) => model.actions[a].event);
      const trace = replayEvents(design, devices, counterexample);
      return { name: inv.name, verdict: 'violated', states: p.states, counterexample, trace, explanation: explain(inv, model, trace) };
    }
    if (p.verdict === 'holds') return { name: inv.name, verdict: 'holds', states: p.states };
    return { name: inv.name, verdict: 'unknown', states: p.states };
  });
}
