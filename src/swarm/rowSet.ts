import { rowHash } from './rowHash';

/**
 * A fixed set of rows (`words` uint32 words each), for fast membership tests in the search's
 * inner loop: open addressing over a table at most half full. Built once; never changes.
 */
export class RowSet {
  readonly size: number;
  private readonly rows: Uint32Array;
  /** Slot -> row index + 1 (0: empty). */
  private readonly table: Int32Array;
  private readonly mask: number;

  /** `rows`: the members, concatenated (duplicates are stored once). */
  constructor(rows: Uint32Array, private readonly words: number) {
    const n = words === 0 ? 0 : rows.length / words;
    let cap = 16;
    while (cap < n * 2) cap *= 2;
    this.table = new Int32Array(cap);
    this.mask = cap - 1;
    this.rows = rows.slice();
    let size = 0;
    for (let i = 0; i < n; i++) {
      if (this.slotOf(this.rows, i * words) >= 0) continue;
      let s = rowHash(this.rows, i * words, words) & this.mask;
      while (this.table[s] !== 0) s = (s + 1) & this.mask;
      this.table[s] = i + 1;
      size++;
    }
    this.size = size;
  }

  /** Bytes of its arrays. */
  get bytes(): number { return this.rows.byteLength + this.table.byteLength; }

  /** Whether the row at `row[off..]` is a member. */
  has(row: Uint32Array, off = 0): boolean {
    return this.slotOf(row, off) >= 0;
  }

  private slotOf(row: Uint32Array, off: number): number {
    const W = this.words;
    let s = rowHash(row, off, W) & this.mask;
    for (;;) {
      const e = this.table[s];
      if (e === 0) return -1;
      const base = (e - 1) * W;
      let same = true;
      for (let i = 0; i < W; i++) if (this.rows[base + i] !== row[off + i]) { same = false; break; }
      if (same) return s;
      s = (s + 1) & this.mask;
    }
  }
}
