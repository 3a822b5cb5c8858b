/**
 * The generated canonicalizer (src/symmetry/canonicalCode) computes exactly the table-driven
 * canonical form (`DeviceUserSymmetry.canonicalizeByTables`): on the rows a search meets
 * (every successor of reachable states, before canonicalization), on arbitrary bit patterns,
 * and with each generator alone. Its sorting network sorts every input (0-1 principle).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { successorRows } from '../bench/partsStudy';
import { loadDesigns } from '../src/iommu/designRegistry';
import { loadInvariants } from '../src/iommu/invariantRegistry';
import { MAX_DEVICES_SYMMETRY } from '../src/model/vocabulary';
import { buildIommuModel } from '../src/iommu/iommuModel';
import { generateCanonicalizer } from '../src/symmetry/canonicalCode';
import { DeviceUserSymmetry } from '../src/symmetry/deviceUserSymmetry';
import { USER_VALUE_PAIRS } from '../src/symmetry/iommuSymmetry';
import { sortingNetwork } from '../src/symmetry/sortingNetwork';

/** Rows on which the two forms differ (at most 3 shown). */
function differences(sym: DeviceUserSymmetry, rows: Uint32Array, W: number): string[] {
  const a = rows.slice();
  const b = rows.slice();
  const bad: string[] = [];
  for (let off = 0; off < rows.length && bad.length < 3; off += W) {
    sym.canonicalizeByTables(a, off);
    sym.canonicalize(b, off);
    for (let i = 0; i < W; i++) {
      if (a[off + i] !== b[off + i]) { bad.push(`[${rows.subarray(off, off + W).join(',')}]: tables [${a.subarray(off, off + W).join(',')}], generated [${b.subarray(off, off + W).join(',')}]`); break; }
    }
  }
  return bad;
}

describe('sortingNetwork', () => {
  it(`sorts every 0-1 input of 0 to ${MAX_DEVICES_SYMMETRY} values (the most devices a reduced search takes), so every input (0-1 principle)`, () => {
    for (let n = 0; n <= MAX_DEVICES_SYMMETRY; n++) {
      const net = sortingNetwork(n);
      for (const [a, b] of net) expect(a < b && b < n).toBe(true);
      let wrong = 0;
      // Input i is bit i of `bits`; a compare-exchange moves a 1 at a above a 0 at b.
      for (let bits = 0; bits < 1 << n; bits++) {
        let v = bits;
        for (const [a, b] of net) if (((v >> a) & 1) === 1 && ((v >> b) & 1) === 0) v ^= (1 << a) | (1 << b);
        let ones = 0;
        for (let i = 0; i < n; i++) ones += (bits >> i) & 1;
        // Sorted: the n - ones low inputs 0, the rest 1.
        if (v !== ((1 << n) - 1) - ((1 << (n - ones)) - 1)) wrong++;
      }
      expect(wrong, `${n} inputs`).toBe(0);
    }
  });

  it("has Batcher's comparator count at powers of two: (k^2 - k + 4) 2^(k-2) - 1 for 2^k inputs", () => {
    for (let k = 1; k <= 5; k++) expect(sortingNetwork(2 ** k).length).toBe((k * k - k + 4) * 2 ** (k - 2) - 1);
  });
});

describe('generated canonicalizer equals the table-driven one', async () => {
  const designs = await loadDesigns();
  const invariants = await loadInvariants();
  for (const design of designs) {
    it(`${design.name}: successor rows of the first states in BFS order until there are 40,000 (all of them if fewer) at 2 to 5 devices, each generator alone and both`, () => {
      for (let n = 2; n <= 5; n++) {
        const model = buildIommuModel(design, n, invariants, { symmetry: true, symmetryVerified: { devices: true, users: true } });
        const rows = successorRows(model, 40_000);
        expect(rows.length).toBeGreaterThan(0);
        for (const gens of [{ devices: true, users: true }, { devices: true, users: false }, { devices: false, users: true }]) {
          const sym = new DeviceUserSymmetry(model.layout, { ...gens, valuePairs: USER_VALUE_PAIRS });
          expect(sym.generated).toBe(true);
          expect(differences(sym, rows, model.words)).toEqual([]);
        }
      }
    });
  }

  it(`v7 at ${MAX_DEVICES_SYMMETRY} devices, the most a reduced search takes: arbitrary bit patterns (fast-check)`, () => {
    const v7 = designs.find((d) => d.name === 'v7')!;
    const model = buildIommuModel(v7, MAX_DEVICES_SYMMETRY, [], { symmetry: true, symmetryVerified: { devices: true, users: true } });
    const sym = model.symmetry as DeviceUserSymmetry;
    expect(sym.generated).toBe(true);
    const W = model.words;
    fc.assert(fc.property(fc.array(fc.nat({ max: 0xffffffff }), { minLength: W, maxLength: W }), (words) => {
      expect(differences(sym, Uint32Array.from(words), W)).toEqual([]);
    }), { seed: 7, numRuns: 20_000 });
  });

  it('is not generated for chunks over 30 bits, nor for a user swap without a chunk table', () => {
    const base = {
      words: 2, devices: true, users: false, chunkWord: Int32Array.of(0, 1), chunkShift: Int32Array.of(0, 0), chunkBits: 31,
      chunkBitsOfWord: Uint32Array.of(0x7fffffff, 0x7fffffff), moves: new Int32Array(0), maps: [], chunkMap: null,
    };
    expect(generateCanonicalizer(base)).toBeNull();
    expect(generateCanonicalizer({ ...base, chunkBits: 8, chunkBitsOfWord: Uint32Array.of(0xff, 0xff), users: true })).toBeNull();
    expect(generateCanonicalizer({ ...base, chunkBits: 8, chunkBitsOfWord: Uint32Array.of(0xff, 0xff) })).not.toBeNull();
  });
});
