import type { Prefix } from './prefixSearch';
import { rowHash } from './rowHash';

/**
 * A short fingerprint of a prefix search (its depth, and every state's row in order): shards
 * of one run share it, so `merge` can tell shards of different runs (or of a model that
 * changed between them) apart even when their flags agree. Eight hex digits.
 */
export function prefixDigest(prefix: Prefix): string {
  const W = prefix.words;
  let h = rowHash(Uint32Array.of(prefix.depth, prefix.prefixCount, prefix.count, W), 0, 4);
  const pair = new Uint32Array(2);
  for (let id = 0; id < prefix.count; id++) {
    pair[0] = h;
    pair[1] = rowHash(prefix.rows, id * W, W);
    h = rowHash(pair, 0, 2);
  }
  return h.toString(16).padStart(8, '0');
}
