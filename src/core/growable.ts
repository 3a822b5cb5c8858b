import { MemoryBudget } from './memoryBudget';

/** Entries per page of the paged arrays: growing adds a page, it never copies. */
export const PAGE_BITS = 16;
export const PAGE_SIZE = 1 << PAGE_BITS;
const PAGE_MASK = PAGE_SIZE - 1;

/** An append-only array of int32 in pages of `PAGE_SIZE`, each page reserved from `budget`. */
export class PagedInt32 {
  length = 0;
  private readonly pages: Int32Array[] = [];
  constructor(private readonly budget: MemoryBudget) {}
  /** Makes room for `n` entries (so that pushing up to there allocates nothing). */
  ensure(n: number): void {
    while (this.pages.length << PAGE_BITS < n) {
      this.budget.reserve(PAGE_SIZE * 4);
      this.pages.push(new Int32Array(PAGE_SIZE));
    }
  }
  push(v: number): void {
    const i = this.length;
    if (i >>> PAGE_BITS === this.pages.length) this.ensure(i + 1);
    this.pages[i >>> PAGE_BITS][i & PAGE_MASK] = v;
    this.length = i + 1;
  }
  get(i: number): number { return this.pages[i >>> PAGE_BITS][i & PAGE_MASK]; }
  get bytes(): number { return this.pages.length * PAGE_SIZE * 4; }
}

/**
 * Action numbers, one per state, in pages: one byte each while every action is below 256, two
 * bytes below 65536, four beyond (the pages are widened, within the budget, the first time a
 * larger action is pushed).
 */
export class PagedActions {
  length = 0;
  private pages: (Uint8Array | Uint16Array | Int32Array)[] = [];
  private width = 1;
  /** The first action the current width cannot hold (2 ** (8 * width); 4 bytes hold them all). */
  private limit = 256;
  constructor(private readonly budget: MemoryBudget) {}
  /** Makes room for `n` entries of the current width. */
  ensure(n: number): void {
    while (this.pages.length << PAGE_BITS < n) {
      this.budget.reserve(PAGE_SIZE * this.width);
      this.pages.push(this.newPage(this.width));
    }
  }
  /**
   * Widens the pages, if needed, so that `v` can be pushed without allocating then (call it
   * before anything else of a state is added, so that a budget stop leaves nothing half added).
   */
  fit(v: number): void {
    if (v >= this.limit) this.widen(v < 1 << 16 ? 2 : 4);
  }
  push(v: number): void {
    const i = this.length;
    this.fit(v);
    if (i >>> PAGE_BITS === this.pages.length) this.ensure(i + 1);
    this.pages[i >>> PAGE_BITS][i & PAGE_MASK] = v;
    this.length = i + 1;
  }
  get(i: number): number { return this.pages[i >>> PAGE_BITS][i & PAGE_MASK]; }
  get bytes(): number { return this.pages.length * PAGE_SIZE * this.width; }
  private newPage(width: number) {
    return width === 1 ? new Uint8Array(PAGE_SIZE) : width === 2 ? new Uint16Array(PAGE_SIZE) : new Int32Array(PAGE_SIZE);
  }
  private widen(width: number): void {
    this.budget.reserve(this.pages.length * PAGE_SIZE * width);
    this.budget.release(this.pages.length * PAGE_SIZE * this.width);
    this.pages = this.pages.map((p) => { const n = this.newPage(width); n.set(p); return n; });
    this.width = width;
    this.limit = width === 2 ? 1 << 16 : Number.POSITIVE_INFINITY;
  }
}

/** A bitset over state ids in pages of `PAGE_SIZE` bits, allocated (within `budget`) as ids are touched. */
export class PagedBits {
  private readonly pages: Int32Array[] = [];
  constructor(private readonly budget: MemoryBudget) {}
  /** Makes room for ids below `n` (call before `set` on a new id). */
  ensure(n: number): void {
    while (this.pages.length << PAGE_BITS < n) {
      this.budget.reserve(PAGE_SIZE / 8);
      this.pages.push(new Int32Array(PAGE_SIZE / 32));
    }
  }
  set(i: number): void { this.pages[i >>> PAGE_BITS][(i & PAGE_MASK) >>> 5] |= 1 << (i & 31); }
  get(i: number): boolean { return (this.pages[i >>> PAGE_BITS][(i & PAGE_MASK) >>> 5] & (1 << (i & 31))) !== 0; }
  get bytes(): number { return this.pages.length * (PAGE_SIZE / 8); }
}
