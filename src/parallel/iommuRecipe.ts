import type { ModelRecipe } from '../core/model';
import type { Design } from '../iommu/design';
import { designsLoaded, loadDesigns, registeredDesign } from '../iommu/designRegistry';
import type { Invariant } from '../iommu/invariant';
import { invariantsLoaded, loadInvariants, registeredInvariant } from '../iommu/invariantRegistry';
import { buildIommuModel, type IommuModel } from '../iommu/iommuModel';

/** What a worker needs to rebuild an IOMMU model: names, resolved through the registries. */
export interface IommuRecipeArgs {
  readonly design: string;
  readonly devices: number;
  readonly invariants: readonly string[];
  /** The symmetry generators the merging thread verified, or null for no reduction. */
  readonly symmetry: { readonly devices: boolean; readonly users: boolean } | null;
  /** `modelFingerprint` of the model the merging thread built: the worker's must match. */
  readonly fingerprint: string;
}

/**
 * What identifies a model's encoding and callers: layout, actions, initial state, properties
 * and the machine's configuration. Two threads whose models agree on it check the same thing,
 * unless code differs under the same names: a guard or effect (which a design file cannot
 * do), or a design or invariant object built in the caller's code that keeps a registered
 * name but changes a function (a caller's precondition, `driverCoreWaits`, a predicate).
 * `iommuRecipe` refuses those.
 */
export function modelFingerprint(model: IommuModel): string {
  return JSON.stringify([
    model.design.name, model.devices, model.words, model.layout.slots.map((s) => [s.path, s.word, s.shift, s.bits]),
    model.actions.map((a) => [a.event, a.cleanup]), Array.from(model.initialStates()),
    model.properties.map((p) => p.name), model.compiled.stateNames, JSON.stringify(model.design.machine.config),
  ]);
}

/** Builds, in a worker, the model a recipe from `iommuRecipe` describes. */
export async function iommuModelFromRecipe(a: IommuRecipeArgs): Promise<IommuModel> {
  const design = (await loadDesigns()).find((d) => d.name === a.design);
  if (!design) throw new Error(`no design named '${a.design}' in machines/: workers can only check registered designs`);
  const all = await loadInvariants();
  const invariants = a.invariants.map((n) => {
    const inv = all.find((i) => i.name === n);
    if (!inv) throw new Error(`no invariant named '${n}' in invariants/: workers can only check registered invariants`);
    return inv;
  });
  const model = buildIommuModel(design, a.devices, invariants, { symmetry: a.symmetry !== null, symmetryVerified: a.symmetry ?? undefined });
  if (modelFingerprint(model) !== a.fingerprint) {
    throw new Error(`design '${a.design}' as passed to the checker differs from machines/'s: workers can only check registered designs`);
  }
  return model;
}

/**
 * Loads the registries `iommuRecipe` tells registered designs and invariants by, for a search
 * on `workers` threads (nothing to load on one). The async entry points call it first.
 */
export async function loadForWorkers(workers: number | undefined): Promise<void> {
  if ((workers ?? 1) > 1) await Promise.all([loadDesigns(), loadInvariants()]);
}

/**
 * The recipe for worker threads to rebuild `design` at `devices` with these invariants. Throws
 * unless `design` and every invariant are the objects `machines/` and `invariants/` export
 * under their names (`registeredDesign`, `registeredInvariant`): the workers would otherwise
 * check the registered ones, or none, and the fingerprint does not see a changed function. So
 * the registries must be loaded first (`loadDesigns`, and `loadInvariants` unless there are no
 * invariants; `checkDesignAsync` and the CLI load both).
 */
export function iommuRecipe(design: Design, devices: number, invariants: readonly Invariant[], symmetry: IommuRecipeArgs['symmetry'], fingerprint: string): ModelRecipe {
  // The invariants' registry only matters when there are invariants to tell apart.
  if (!designsLoaded() || (invariants.length > 0 && !invariantsLoaded())) {
    throw new Error('worker threads rebuild the design and invariants by name from machines/ and invariants/: load those first (loadDesigns() and loadInvariants(); checkDesignAsync does), so that a changed copy under a registered name can be told from the registered one');
  }
  mustBeRegistered('design', 'machines/', design, registeredDesign(design.name));
  for (const inv of invariants) mustBeRegistered('invariant', 'invariants/', inv, registeredInvariant(inv.name));
  const args: IommuRecipeArgs = { design: design.name, devices, invariants: invariants.map((i) => i.name), symmetry, fingerprint };
  return { module: __filename, exportName: 'iommuModelFromRecipe', args };
}

/** Throws unless `given` is `registered`, the object `folder` exports under its name. */
function mustBeRegistered(kind: 'design' | 'invariant', folder: string, given: { readonly name: string }, registered: object | undefined): void {
  if (registered === undefined) throw new Error(`no ${kind} named '${given.name}' in ${folder}: workers can only check registered ${kind}s`);
  if (registered !== given) {
    throw new Error(`${kind} '${given.name}' is not ${folder}'s object of that name: worker threads rebuild the registered ${kind} by name, so they would check that one; give a changed ${kind} a name of its own, or check it on one thread`);
  }
}
