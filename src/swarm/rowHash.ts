/**
 * A 32-bit hash of the row at `rows[off..off + words)`: the same on every machine and in every
 * release that keeps the row encoding, which is what the partition of the frontier between
 * shards relies on (every shard must compute the same partition). Unsigned.
 */
export function rowHash(rows: Uint32Array, off: number, words: number): number {
  let h = 0x811c9dc5 ^ words;
  for (let i = 0; i < words; i++) {
    let k = Math.imul(rows[off + i], 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  // murmur3's finaliser: every input bit affects every output bit.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
