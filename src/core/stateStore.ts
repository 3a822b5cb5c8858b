import { MemoryBudget } from './memoryBudget';

/**
 * The visited set: every distinct state row once, numbered in insertion order (which is BFS
 * order), in one flat Uint32Array, with an open-addressing hash index of ids. About
 * 4*words + 8 bytes a state at the default load factor, plus growth headroom.
 */
export class StateStore {
  count = 0;
  rows: Uint32Array;
  private index: Int32Array;
  private mask: number;

  constructor(readonly words: number, initialCapacity = 1 << 12, private readonly budget = new MemoryBudget()) {
    let cap = 1 << 4;
    while (cap < initialCapacity) cap <<= 1;
    budget.reserve(cap * words * 4 + cap * 2 * 4);
    this.rows = new Uint32Array(cap * words);
    this.index = new Int32Array(cap * 2).fill(-1);
    this.mask = cap * 2 - 1;
  }

  /** Bytes held by the store's arrays. */
  get bytes(): number { return this.rows.byteLength + this.index.byteLength; }

  private hash(buf: Uint32Array, off: number): number {
    let h = 0x811c9dc5 ^ this.words;
    for (let i = 0; i < this.words; i++) {
      h = Math.imul(h ^ buf[off + i], 0x01000193);
      h ^= h >>> 15;
      h = Math.imul(h, 0x2c1b3c6d);
    }
    h ^= h >>> 13;
    return h >>> 0;
  }

  private same(id: number, buf: Uint32Array, off: number): boolean {
    const base = id * this.words;
    for (let i = 0; i < this.words; i++) if (this.rows[base + i] !== buf[off + i]) return false;
    return true;
  }

  /** The id of the row at `buf[off..]`, or -1 if it was never added. */
  find(buf: Uint32Array, off = 0): number {
    let slot = this.hash(buf, off) & this.mask;
    for (;;) {
      const id = this.index[slot];
      if (id < 0) return -1;
      if (this.same(id, buf, off)) return id;
      slot = (slot + 1) & this.mask;
    }
  }

  /** Adds the row if new. Returns its id if it was added, or -(id + 1) if it was already there. */
  add(buf: Uint32Array, off = 0): number {
    let slot = this.hash(buf, off) & this.mask;
    for (;;) {
      const id = this.index[slot];
      if (id < 0) break;
      if (this.same(id, buf, off)) return -(id + 1);
      slot = (slot + 1) & this.mask;
    }
    const id = this.count;
    if ((id + 1) * this.words > this.rows.length) this.growRows();
    if ((this.count + 1) * 2 > this.index.length) { this.growIndex(); return this.add(buf, off); }
    this.rows.set(buf.subarray(off, off + this.words), id * this.words);
    this.index[slot] = id;
    this.count++;
    return id;
  }

  /** Copies row `id` into `out` (at `off`). */
  read(id: number, out: Uint32Array, off = 0): void {
    const base = id * this.words;
    for (let i = 0; i < this.words; i++) out[off + i] = this.rows[base + i];
  }

  private growRows(): void {
    this.budget.reserve(this.rows.byteLength * 2);
    const next = new Uint32Array(this.rows.length * 2);
    this.budget.release(this.rows.byteLength);
    next.set(this.rows);
    this.rows = next;
  }

  private growIndex(): void {
    const size = this.index.length * 2;
    this.budget.reserve(size * 4);
    const index = new Int32Array(size).fill(-1);
    this.budget.release(this.index.byteLength);
    const mask = size - 1;
    for (let id = 0; id < this.count; id++) {
      let slot = this.hash(this.rows, id * this.words) & mask;
      while (index[slot] >= 0) slot = (slot + 1) & mask;
      index[slot] = id;
    }
    this.index = index;
    this.mask = mask;
  }
}
