import type { ModelRecipe, PackedModel } from '../core/model';
import { iommuModelFromRecipe, type IommuRecipeArgs } from '../parallel/iommuRecipe';
import { shardModel } from './shardModel';

/** What a worker thread needs to rebuild a shard's model (see `shardModel`). */
export interface ShardRecipeArgs {
  /** The args of the design's own recipe (`iommuRecipe`). */
  readonly base: IommuRecipeArgs;
  readonly prefixRows: Uint32Array;
  readonly ownFrontier: Uint32Array;
  readonly reduced: boolean;
}

/** Builds, in a worker, the shard model a recipe from `shardRecipe` describes. */
export async function shardModelFromRecipe(a: ShardRecipeArgs): Promise<PackedModel> {
  return shardModel(await iommuModelFromRecipe(a.base), a.prefixRows, a.ownFrontier, a.reduced);
}

/** The recipe for worker threads to rebuild a shard's model on top of the design's recipe `base`. */
export function shardRecipe(base: ModelRecipe, prefixRows: Uint32Array, ownFrontier: Uint32Array, reduced: boolean): ModelRecipe {
  const args: ShardRecipeArgs = { base: base.args as IommuRecipeArgs, prefixRows, ownFrontier, reduced };
  return { module: __filename, exportName: 'shardModelFromRecipe', args };
}
