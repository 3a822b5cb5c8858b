import type { Prefix } from './prefixSearch';
import { rowHash } from './rowHash';

/** The shard (0 to `shards` - 1) a frontier state belongs to: its row's hash mod `shards`. */
export function shardOfRow(rows: Uint32Array, off: number, words: number, shards: number): number {
  return rowHash(rows, off, words) % shards;
}

/**
 * The frontier states of `prefix` that shard `index` of `shards` searches on from, in BFS
 * order, as concatenated rows. Every frontier state is in exactly one shard's share.
 */
export function frontierShare(prefix: Prefix, shards: number, index: number): Uint32Array {
  const W = prefix.words;
  const out: number[] = [];
  for (let id = prefix.prefixCount; id < prefix.count; id++) {
    if (shardOfRow(prefix.rows, id * W, W, shards) !== index) continue;
    for (let i = 0; i < W; i++) out.push(prefix.rows[id * W + i]);
  }
  return Uint32Array.from(out);
}
