import { CODE_BYTES_PER_CHAR } from '../core/compiledForest';
import type { Symmetry } from '../core/model';
import type { PackedLayout } from '../model/packedLayout';
import { generateCanonicalizer, type Canonicalize } from './canonicalCode';

/** Which interchangeable things a `DeviceUserSymmetry` permutes. */
export interface DeviceUserGenerators {
  /** Every permutation of the devices (needs `layout.deviceChunks`). */
  readonly devices: boolean;
  /**
   * Swapping the two users: user rows 0 and 1 trade places and, in every enum field, each value
   * trades with its partner in `valuePairs` (for example file1 <-> file2, dom1 <-> dom2).
   */
  readonly users: boolean;
  readonly valuePairs?: readonly (readonly [unknown, unknown])[];
}

/** For each slot, the raw value each raw value maps to under the value pairs (null: identity). */
export function rawValueMaps(layout: PackedLayout, pairs: readonly (readonly [unknown, unknown])[]): (Int32Array | null)[] {
  return layout.slots.map((s) => {
    if (s.spec.kind !== 'enum') return null;
    const values = s.spec.values;
    let map: Int32Array | null = null;
    for (const [a, b] of pairs) {
      const i = values.indexOf(a);
      const j = values.indexOf(b);
      if (i < 0 && j < 0) continue;
      if (i < 0 || j < 0) throw new RangeError(`${s.path} has ${String(i < 0 ? b : a)} but not ${String(i < 0 ? a : b)}: the users cannot be swapped`);
      map ??= Int32Array.from(values, (_, k) => k);
      map[i] = j;
      map[j] = i;
    }
    return map;
  });
}

/**
 * The symmetry of a group whose devices are interchangeable (and, optionally, whose two users
 * are), as canonical representatives over packed rows:
 * - devices: each device's fields are one chunk of bits (`layout.deviceChunks`); sorting the
 *   chunks by value picks one arrangement per multiset of device states;
 * - users: the row and its user-swapped image are both sorted, and the smaller (word by word)
 *   is the representative. The swap commutes with permuting devices, so every member of an
 *   orbit yields the same pair of candidates.
 * Assumes no field holds a device index (a permutation would have to renumber it): the
 * symmetry must be verified on the model (see iommuSymmetry) before it is used.
 *
 * `canonicalize` is this form generated as JavaScript for the layout (see canonicalCode),
 * several times faster (docs/scaling.md has the measurement) than `canonicalizeByTables`, the
 * same form driven by the tables, which stays as its reference and as the fallback where the
 * generator does not apply.
 */
export class DeviceUserSymmetry implements Symmetry {
  readonly description: string;
  private readonly D: number;
  private readonly chunkWord: Int32Array;
  private readonly chunkShift: Int32Array;
  private readonly chunkMask: number;
  /** Per word: the bits that belong to device chunks. */
  private readonly chunkBits: Uint32Array;
  private readonly chunks: Float64Array;
  private readonly swapped: Uint32Array;
  /** Non-device slots as [srcWord, srcShift, mask, dstWord, dstShift, map index or -1] (user swap). */
  private readonly moves: Int32Array;
  private readonly maps: Int32Array[];
  /** Device chunk value -> value with user values swapped (null when the chunk is over 16 bits). */
  private readonly chunkMap: Uint32Array | null;
  private readonly deviceSlots: { within: number; bits: number; map: Int32Array | null }[];
  /** Characters of the generated canonicalizer's source (0: none, the tables are used). */
  private readonly generatedChars: number;
  readonly canonicalize: Canonicalize;

  constructor(layout: PackedLayout, private readonly gens: DeviceUserGenerators) {
    const chunks = layout.deviceChunks;
    if (gens.devices && !chunks) throw new RangeError('device symmetry needs each device\'s fields in one word');
    if (gens.users && layout.users !== 2) throw new RangeError('user symmetry needs exactly two users');
    this.D = chunks ? layout.devices : 0;
    this.chunkWord = Int32Array.from(chunks?.word ?? []);
    this.chunkShift = Int32Array.from(chunks?.shift ?? []);
    const cbits = chunks?.bits ?? 0;
    this.chunkMask = cbits === 32 ? 0xffffffff : (1 << cbits) - 1;
    this.chunkBits = new Uint32Array(layout.words);
    for (let d = 0; d < this.D && chunks; d++) this.chunkBits[this.chunkWord[d]] |= (this.chunkMask << this.chunkShift[d]) >>> 0;
    this.chunks = new Float64Array(this.D);
    this.swapped = new Uint32Array(layout.words);
    const maps = gens.users ? rawValueMaps(layout, gens.valuePairs ?? []) : layout.slots.map(() => null);
    this.maps = [];
    const moves: number[] = [];
    const nu = layout.userKeys.length;
    const nd = layout.deviceKeys.length;
    layout.slots.forEach((s, i) => {
      const isDevice = i >= layout.deviceSlot0 && i < layout.userSlot0;
      if (isDevice && chunks) return;
      let j = i;
      if (i >= layout.userSlot0) j = layout.userSlot0 + (((i - layout.userSlot0) / nu) | 0 ? 0 : nu) + ((i - layout.userSlot0) % nu);
      const t = layout.slots[j];
      let mi = -1;
      if (maps[i]) { mi = this.maps.length; this.maps.push(maps[i]!); }
      moves.push(s.word, s.shift, s.bits === 32 ? -1 : (1 << s.bits) - 1, t.word, t.shift, mi);
    });
    this.moves = Int32Array.from(moves);
    // Device fields under the user swap: a table over whole chunks when small enough.
    this.deviceSlots = [];
    let within = 0;
    for (let k = 0; k < nd && chunks; k++) {
      const s = layout.slots[layout.deviceSlot0 + k];
      this.deviceSlots.push({ within, bits: s.bits, map: maps[layout.deviceSlot0 + k] });
      within += s.bits;
    }
    this.chunkMap = null;
    if (gens.users && chunks && cbits <= 16) {
      const table = new Uint32Array(1 << cbits);
      for (let c = 0; c < table.length; c++) table[c] = this.swapChunk(c);
      this.chunkMap = table;
    }
    const parts: string[] = [];
    if (gens.devices) parts.push(`devices (any of ${this.D}! orders)`);
    if (gens.users) parts.push(`users (${(gens.valuePairs ?? []).map(([a, b]) => `${String(a)}<->${String(b)}`).join(', ')})`);
    this.description = parts.join(', ');
    const generated = generateCanonicalizer({
      words: layout.words, devices: gens.devices, users: gens.users,
      chunkWord: this.chunkWord, chunkShift: this.chunkShift, chunkBits: cbits, chunkBitsOfWord: this.chunkBits,
      moves: this.moves, maps: this.maps, chunkMap: this.chunkMap,
    });
    this.generatedChars = generated?.sourceChars ?? 0;
    this.canonicalize = generated?.fn ?? ((rows, off) => this.canonicalizeByTables(rows, off));
  }

  private swapChunk(c: number): number {
    let out = 0;
    for (const f of this.deviceSlots) {
      const m = f.bits === 32 ? 0xffffffff : (1 << f.bits) - 1;
      let v = (c >>> f.within) & m;
      if (f.map) v = f.map[v];
      out |= v << f.within;
    }
    return out >>> 0;
  }

  /** Sorts the device chunks of `row[off..]` in place. */
  private sortDevices(row: Uint32Array, off: number): void {
    const D = this.D;
    const cw = this.chunkWord;
    const cs = this.chunkShift;
    const mask = this.chunkMask;
    const c = this.chunks;
    let sorted = true;
    for (let d = 0; d < D; d++) {
      const v = (row[off + cw[d]] >>> cs[d]) & mask;
      c[d] = v >>> 0;
      if (d > 0 && c[d] < c[d - 1]) sorted = false;
    }
    if (sorted) return;
    for (let i = 1; i < D; i++) {
      const v = c[i];
      let j = i - 1;
      while (j >= 0 && c[j] > v) { c[j + 1] = c[j]; j--; }
      c[j + 1] = v;
    }
    const bits = this.chunkBits;
    for (let w = 0; w < bits.length; w++) if (bits[w] !== 0) row[off + w] &= ~bits[w];
    for (let d = 0; d < D; d++) row[off + cw[d]] |= c[d] << cs[d];
  }

  /** Writes the user-swapped image of `row[off..]` into `this.swapped`. */
  private swapUsers(row: Uint32Array, off: number): void {
    const out = this.swapped;
    out.fill(0);
    const mv = this.moves;
    for (let i = 0; i < mv.length; i += 6) {
      let v = (row[off + mv[i]] >>> mv[i + 1]) & mv[i + 2];
      if (mv[i + 5] >= 0) v = this.maps[mv[i + 5]][v];
      out[mv[i + 3]] |= v << mv[i + 4];
    }
    const D = this.D;
    const cw = this.chunkWord;
    const cs = this.chunkShift;
    const mask = this.chunkMask;
    const table = this.chunkMap;
    for (let d = 0; d < D; d++) {
      const c = (row[off + cw[d]] >>> cs[d]) & mask;
      out[cw[d]] |= (table ? table[c] : this.swapChunk(c)) << cs[d];
    }
  }

  /** Whether `canonicalize` is generated code (else it is `canonicalizeByTables`). */
  get generated(): boolean { return this.generatedChars > 0; }

  /** Bytes its tables and its generated code hold (Symmetry.bytes; the code's bytes an estimate). */
  get bytes(): number {
    let b = this.chunkWord.byteLength + this.chunkShift.byteLength + this.chunkBits.byteLength + this.chunks.byteLength;
    b += this.swapped.byteLength + this.moves.byteLength + (this.chunkMap?.byteLength ?? 0);
    for (const m of this.maps) b += m.byteLength;
    return b + this.generatedChars * CODE_BYTES_PER_CHAR;
  }

  /** The canonical form computed from the tables, step by step: `canonicalize`'s reference. */
  canonicalizeByTables(rows: Uint32Array, off: number): void {
    const g = this.gens;
    if (g.devices) this.sortDevices(rows, off);
    if (!g.users) return;
    this.swapUsers(rows, off);
    const s = this.swapped;
    if (g.devices) this.sortDevices(s, 0);
    for (let w = 0; w < s.length; w++) {
      const a = rows[off + w];
      const b = s[w];
      if (a === b) continue;
      if (b < a) for (let i = 0; i < s.length; i++) rows[off + i] = s[i];
      return;
    }
  }
}
