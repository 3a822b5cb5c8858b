import { sortingNetwork } from './sortingNetwork';

/**
 * The tables of a DeviceUserSymmetry (see there for what each holds), which the generated
 * canonicalizer turns into constants.
 */
export interface CanonicalTables {
  readonly words: number;
  /** Sort the device chunks. */
  readonly devices: boolean;
  /** Also consider the user-swapped image and keep the smaller row. */
  readonly users: boolean;
  readonly chunkWord: Int32Array;
  readonly chunkShift: Int32Array;
  readonly chunkBits: number;
  /** Per word: the bits that belong to device chunks. */
  readonly chunkBitsOfWord: Uint32Array;
  /** Non-device slots as [srcWord, srcShift, mask or -1, dstWord, dstShift, map index or -1]. */
  readonly moves: Int32Array;
  readonly maps: readonly Int32Array[];
  /** Device chunk value -> the value with user values swapped. */
  readonly chunkMap: Uint32Array | null;
}

/** A canonicalizer: replaces the row at `rows[off..]` by its representative, in place. */
export type Canonicalize = (rows: Uint32Array, off: number) => void;

/** A generated canonicalizer and the length of its source (for the memory estimate). */
export interface GeneratedCanonicalizer {
  readonly fn: Canonicalize;
  readonly sourceChars: number;
}

/**
 * JavaScript for DeviceUserSymmetry's canonical form, with every word index, shift and mask a
 * constant and the chunks held in locals: the row's words are read once; the device chunks are
 * sorted by a sorting network; for the user swap the swapped image is built from the sorted
 * row (the swap commutes with permuting devices), its chunks sorted the same way, and the
 * smaller of the two, word by word as unsigned numbers, is written back. It gives exactly the
 * table-driven form's answer (test/symmetry-canonical-code.test.ts). Returns null where it
 * does not apply: chunks over 30 bits (the locals would not stay small integers) or a user swap
 * without a chunk table.
 */
export function generateCanonicalizer(t: CanonicalTables): GeneratedCanonicalizer | null {
  const D = t.chunkWord.length;
  if (D > 0 && t.chunkBits > 30) return null;
  if (t.users && D > 0 && !t.chunkMap) return null;
  const W = t.words;
  const mask = D > 0 ? (1 << t.chunkBits) - 1 : 0;
  const network = sortingNetwork(t.devices ? D : 0);
  const lines: string[] = ['let t = 0;'];
  const sort = (v: string) => {
    for (const [a, b] of network) lines.push(`if (${v}${b} < ${v}${a}) { t = ${v}${a}; ${v}${a} = ${v}${b}; ${v}${b} = t; }`);
  };
  const chunk = (w: string, d: number) => `((${w}${t.chunkWord[d]} >>> ${t.chunkShift[d]}) & ${mask})`;
  for (let x = 0; x < W; x++) lines.push(`let w${x} = r[o + ${x}];`);
  if (t.devices && D > 0) {
    for (let d = 0; d < D; d++) lines.push(`let c${d} = ${chunk('w', d)};`);
    sort('c');
    for (let x = 0; x < W; x++) {
      const parts: string[] = [];
      for (let d = 0; d < D; d++) if (t.chunkWord[d] === x) parts.push(`(c${d} << ${t.chunkShift[d]})`);
      if (parts.length > 0) lines.push(`w${x} = ((w${x} & ${~t.chunkBitsOfWord[x] >>> 0}) | ${parts.join(' | ')}) >>> 0;`);
    }
  }
  if (t.users) {
    for (let x = 0; x < W; x++) lines.push(`let s${x} = 0;`);
    const mv = t.moves;
    for (let i = 0; i < mv.length; i += 6) {
      let v = mv[i + 2] === -1 ? `(w${mv[i]} >>> ${mv[i + 1]})` : `((w${mv[i]} >>> ${mv[i + 1]}) & ${mv[i + 2]})`;
      if (mv[i + 5] >= 0) v = `M${mv[i + 5]}[${v}]`;
      lines.push(`s${mv[i + 3]} |= ${v} << ${mv[i + 4]};`);
    }
    for (let d = 0; d < D; d++) lines.push(`let e${d} = T[${t.devices ? `c${d}` : chunk('w', d)}];`);
    if (t.devices) sort('e');
    for (let d = 0; d < D; d++) lines.push(`s${t.chunkWord[d]} |= e${d} << ${t.chunkShift[d]};`);
    for (let x = 0; x < W; x++) lines.push(`s${x} >>>= 0;`);
    // The swapped image is smaller when it is at the first word where the two differ.
    let smaller = `s${W - 1} < w${W - 1}`;
    for (let x = W - 2; x >= 0; x--) smaller = `s${x} < w${x} || (s${x} === w${x} && (${smaller}))`;
    const take = Array.from({ length: W }, (_, x) => `w${x} = s${x};`).join(' ');
    lines.push(`if (${smaller}) { ${take} }`);
  }
  for (let x = 0; x < W; x++) lines.push(`r[o + ${x}] = w${x};`);
  const source = `return function canonicalize(r, o) {\n${lines.join('\n')}\n};`;
  const params = ['T', ...t.maps.map((_, i) => `M${i}`)];
  const make = new Function(...params, source) as (...tables: unknown[]) => Canonicalize;
  return { fn: make(t.chunkMap, ...t.maps), sourceChars: source.length };
}
