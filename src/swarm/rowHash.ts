import { hashRow } from '../core/stateStore';

/**
 * A 32-bit hash of the row at `rows[off..off + words)`: the same on every machine and in every
 * release that keeps the row encoding, which is what the partition of the frontier between
 * shards relies on (every shard must compute the same partition). Unsigned.
 */
export function rowHash(rows: Uint32Array, off: number, words: number): number {
  // MurmurHash3's mixing with a seed of its own: a change to the store's seed does not move
  // states between shards.
  return hashRow(rows, off, words, 0x811c9dc5 ^ words);
}
