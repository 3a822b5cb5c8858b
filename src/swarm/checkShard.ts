import { check, checkAsync, type CheckAsyncOptions, type CheckOptions, type CheckResult, type PropertyResult } from '../core/check';
import type { PackedModel, Property, Symmetry } from '../core/model';
import { InputError } from '../errors';
import { designVerdicts, type DesignCheck } from '../iommu/checkDesign';
import type { Design } from '../iommu/design';
import type { Invariant } from '../iommu/invariant';
import { buildIommuModel, type IommuModel } from '../iommu/iommuModel';
import { iommuRecipe, loadForWorkers, modelFingerprint } from '../parallel/iommuRecipe';
import { frontierShare } from './frontierShare';
import { prefixDigest } from './prefixDigest';
import { MAX_PREFIX_STATES, prefixSearch, type Prefix } from './prefixSearch';
import { prefixStuck } from './prefixStuck';
import { shardModel } from './shardModel';
import { shardRecipe } from './shardRecipe';

/** Most shards a run may be split into. */
export const MAX_SHARDS = 4096;

/** Without `depth`, the frontier is the first BFS level with at least this many states per shard. */
export const FRONTIER_PER_SHARD = 16;

/** Which shard to check: shard `index` of `shards`, split at BFS depth `depth` (default: see FRONTIER_PER_SHARD). */
export interface ShardOptions extends CheckOptions {
  readonly shards: number;
  readonly index: number;
  readonly depth?: number;
}

/** What identifies a shard and its run; `merge` compares every field but `index` and `roots`. */
export interface ShardTag {
  readonly index: number;
  /** K: how many shards the run is split into. */
  readonly of: number;
  /** d: the BFS depth of the frontier. */
  readonly depth: number;
  /** Whether `--symmetry` was asked for. */
  readonly symmetry: boolean;
  /** What the search was reduced by (null: not reduced). */
  readonly reducedBy: string | null;
  /** States at depth below d (searched by every shard). */
  readonly prefixStates: number;
  /** States at depth d. */
  readonly frontier: number;
  /** Frontier states this shard searches on from. */
  readonly roots: number;
  /** `prefixDigest` of the search to depth d. */
  readonly digest: string;
}

/** A shard's check: its verdicts (prefix included), in `check`'s shape, and its tag. */
export interface ShardCheck {
  readonly dc: DesignCheck;
  readonly shard: ShardTag;
}

type Recoverable = Extract<Property, { kind: 'recoverable' }>;

/**
 * Checks shard `index` of `shards` of `design` at `devices` devices (docs/scaling.md, swarm
 * mode). The frontier is every state at BFS depth d; frontier state s belongs to shard
 * `hash(row of s) mod shards`. The shard searches, breadth first from the initial state, the
 * prefix (depth < d) and everything reachable from its own frontier states (see `shardModel`),
 * so each counterexample it reports is a real path from the initial state, and over all shards
 * the shortest ones are as short as `check`'s. Whether a prefix state is recoverable is decided
 * on the whole model (`prefixStuck`), the same in every shard.
 *
 * Options are `checkDesign`'s (budgets per shard, `symmetry`, `workers`). Bad `shards`,
 * `index` or `depth` are InputErrors.
 */
export function checkShard(design: Design, devices: number, invariants: readonly Invariant[], o: ShardOptions): ShardCheck {
  const setup = shardSetup(design, devices, invariants, o);
  return shardCheck(setup, check(setup.sm, setup.searchOptions));
}

/**
 * `checkShard` searching with `checkAsync`: the event loop turns while it runs, and
 * `o.signal` interrupts it (the shard's result is then incomplete, as after a budget stop).
 * With `workers`, it loads the registries the worker threads need first, as `checkDesignAsync`.
 */
export async function checkShardAsync(design: Design, devices: number, invariants: readonly Invariant[], o: ShardOptions & CheckAsyncOptions): Promise<ShardCheck> {
  await loadForWorkers(o.workers);
  const setup = shardSetup(design, devices, invariants, o);
  return shardCheck(setup, await checkAsync(setup.sm, setup.searchOptions));
}

/** What a shard's search needs, and what turns its result into a ShardCheck. */
interface ShardSetup {
  readonly design: Design;
  readonly devices: number;
  readonly invariants: readonly Invariant[];
  readonly o: ShardOptions;
  readonly model: IommuModel;
  readonly reduce: boolean;
  /** The symmetry searched by (when reducing), else null. */
  readonly sym: Symmetry | null;
  readonly prefix: Prefix;
  readonly own: Uint32Array;
  /** The model the shard searches, and the options it searches with. */
  readonly sm: PackedModel;
  readonly searchOptions: CheckOptions;
}

function shardSetup(design: Design, devices: number, invariants: readonly Invariant[], o: ShardOptions): ShardSetup {
  const { shards, index, depth, ...options } = o;
  if (!Number.isInteger(shards) || shards < 1 || shards > MAX_SHARDS) throw new InputError(`--shards must be a whole number from 1 to ${MAX_SHARDS}, got ${shards}`);
  if (!Number.isInteger(index) || index < 0 || index >= shards) throw new InputError(`--index ${index} is out of range: with --shards ${shards} it must be 0 to ${shards - 1}`);
  const model = buildIommuModel(design, devices, invariants, { symmetry: options.symmetry === true });
  const reduce = options.symmetry === true && model.symmetry !== undefined;
  const sym = reduce ? model.symmetry! : null;
  const W = model.words;
  // The prefix search counts against the shard's memory budget, and what it keeps against its search.
  const prefix = prefixSearch(model, sym, depth !== undefined ? { depth } : { minFrontier: FRONTIER_PER_SHARD * shards }, MAX_PREFIX_STATES, options.maxMemory);
  const prefixRows = prefix.rows.slice(0, prefix.prefixCount * W);
  const own = frontierShare(prefix, shards, index);
  let sm = shardModel(model, prefixRows, own, reduce, prefix.bytes);
  if ((options.workers ?? 1) > 1) {
    const base = iommuRecipe(design, devices, invariants, reduce ? model.symmetryGenerators! : null, modelFingerprint(model));
    sm = { ...sm, recipe: shardRecipe(base, prefixRows, own, reduce) };
  }
  return { design, devices, invariants, o, model, reduce, sym, prefix, own, sm, searchOptions: { ...options, symmetry: reduce } };
}

function shardCheck(setup: ShardSetup, searched: CheckResult): ShardCheck {
  const { design, devices, invariants, o, model, reduce, sym, prefix, own } = setup;
  const W = model.words;
  const properties = searched.properties.map((p): PropertyResult => {
    if (p.kind !== 'recoverable') return p;
    const stuck = prefixStuck(model, sym, prefix, model.properties.find((q) => q.name === p.name) as Recoverable);
    return stuck < 0 ? p : { name: p.name, kind: p.kind, verdict: 'violated', states: searched.states, path: prefix.pathTo(stuck) };
  });
  const result = { ...searched, properties };
  const dc: DesignCheck = {
    design, devices, result, model,
    verdicts: designVerdicts(model, invariants, result, reduce),
    ...(o.symmetry ? { symmetryNote: model.symmetryNote } : {}),
  };
  const shard: ShardTag = {
    index: o.index, of: o.shards, depth: prefix.depth, symmetry: o.symmetry === true, reducedBy: reduce ? model.symmetry!.description : null,
    prefixStates: prefix.prefixCount, frontier: prefix.count - prefix.prefixCount, roots: own.length / W, digest: prefixDigest(prefix),
  };
  return { dc, shard };
}
