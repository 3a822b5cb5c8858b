/**
 * A sorting network for `n` inputs: compare-exchanges `[i, j]` (i < j, put the smaller value at
 * i) which, applied in order, sort any `n` values. Batcher's odd-even merge sort, built for the
 * next power of two with the comparators that touch inputs past `n` left out (those inputs
 * count as +infinity, which such comparators never move). About n log^2 n / 4 comparators:
 * 9 for 5 inputs, 28 for 9, 31 for 10. Pure and deterministic.
 */
export function sortingNetwork(n: number): [number, number][] {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`a sorting network needs a whole number of inputs, got ${n}`);
  let size = 1;
  while (size < n) size *= 2;
  const out: [number, number][] = [];
  // p: the length of the sorted runs being merged is p, giving runs of 2p.
  for (let p = 1; p < size; p *= 2) {
    // k: the distance compared within the merge, p, p/2, ..., 1.
    for (let k = p; k >= 1; k = Math.floor(k / 2)) {
      for (let j = k % p; j + k < size; j += 2 * k) {
        for (let i = 0; i < k && i + j + k < size; i++) {
          const a = i + j;
          const b = a + k;
          // Only within one block of 2p (one merge).
          if (Math.floor(a / (2 * p)) !== Math.floor(b / (2 * p))) continue;
          if (b < n) out.push([a, b]);
        }
      }
    }
  }
  return out;
}
