import { PAGE_BITS, PAGE_SIZE } from './growable';
import { BudgetExceeded, MemoryBudget } from './memoryBudget';

const PAGE_MASK = PAGE_SIZE - 1;
/** The index grows when more than this share of its slots is taken. */
const MAX_LOAD = 0.75;
/**
 * Bits of the largest index (2^31 slots: slot values keep ids below 2^31), so one search stores
 * at most MAX_LOAD * 2^31 (about 1.6 billion) states; an add past that throws BudgetExceeded,
 * which stops the search as a budget does.
 */
export const MAX_INDEX_BITS = 31;

/**
 * A 32-bit hash of the `words`-word row at `buf[off..]` (MurmurHash3's block mix and final mix),
 * unsigned. The store and the worker threads use the same function, so a worker can hash for
 * the store; swarm mode hashes with its own `seed` (src/swarm/rowHash).
 */
export function hashRow(buf: Uint32Array, off: number, words: number, seed = Math.imul(words, 0x9e3779b9)): number {
  let h = seed;
  for (let i = 0; i < words; i++) {
    let k = Math.imul(buf[off + i], 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * The visited set: every distinct state row once, numbered in insertion order (BFS order).
 * Rows live in pages of `PAGE_SIZE` rows (growing adds a page, never copies); an open-addressing
 * index of 32-bit slots maps a row's hash to its id. A slot holds the id (plus one) in its low
 * bits and, in the bits the id does not need, a tag of the hash's high bits, so that a probe
 * reads a stored row only when the tags match.
 *
 * Bytes per state: 4 * words for the row, plus 4 / load for the index (between 5.3 and 10.7 at
 * the 0.75 maximum load; 16 for a moment while the index doubles). Every allocation is reserved
 * from the budget first, so the budget stops the store before it allocates, and an add that
 * throws BudgetExceeded leaves the store unchanged.
 */
export class StateStore {
  count = 0;
  private readonly pages: Uint32Array[] = [];
  private index: Uint32Array;
  private mask: number;
  /** Bits of a slot that hold id + 1; the rest hold the tag. */
  private idBits: number;
  private limit: number;
  /** Bumped whenever the index is replaced or a page is added (see `snapshot`). */
  generation = 0;

  /**
   * `shared`: keep rows and index in SharedArrayBuffers, so that other threads can look states
   * up (read only) through a `StoreReader` while this thread adds them. `maxIndexBits`: the
   * largest index, 2^maxIndexBits slots (at most MAX_INDEX_BITS; smaller only in tests).
   */
  constructor(readonly words: number, initialCapacity = 1 << 12, private readonly budget = new MemoryBudget(), private readonly shared = false, private readonly maxIndexBits = MAX_INDEX_BITS) {
    let bits = 4;
    while (1 << bits < initialCapacity / MAX_LOAD && bits < 30) bits++;
    budget.reserve((1 << bits) * 4);
    this.index = this.alloc(1 << bits);
    this.mask = (1 << bits) - 1;
    this.idBits = bits;
    this.limit = Math.floor((1 << bits) * MAX_LOAD);
  }

  private alloc(n: number): Uint32Array {
    return this.shared ? new Uint32Array(new SharedArrayBuffer(n * 4)) : new Uint32Array(n);
  }

  /** What a `StoreReader` needs (shared stores only): the index and the pages, as they are now. */
  snapshot(): StoreSnapshot {
    if (!this.shared) throw new Error('snapshot() needs a shared store');
    return { words: this.words, index: this.index.buffer as SharedArrayBuffer, idBits: this.idBits, pages: this.pages.map((p) => p.buffer as SharedArrayBuffer) };
  }

  /** Bytes held by the store's arrays. */
  get bytes(): number { return this.pages.length * PAGE_SIZE * this.words * 4 + this.index.byteLength; }

  hash(buf: Uint32Array, off: number): number { return hashRow(buf, off, this.words); }

  private same(id: number, buf: Uint32Array, off: number): boolean {
    const page = this.pages[id >>> PAGE_BITS];
    const base = (id & PAGE_MASK) * this.words;
    for (let i = 0; i < this.words; i++) if (page[base + i] !== buf[off + i]) return false;
    return true;
  }

  /** The id of the row at `buf[off..]`, or -1 if it was never added. */
  find(buf: Uint32Array, off = 0, h = this.hash(buf, off)): number {
    const k = this.idBits;
    const tag = h >>> k;
    const idMask = this.mask;
    let slot = h & this.mask;
    for (;;) {
      const e = this.index[slot];
      if (e === 0) return -1;
      if (e >>> k === tag) {
        const id = (e & idMask) - 1;
        if (this.same(id, buf, off)) return id;
      }
      slot = (slot + 1) & this.mask;
    }
  }

  /**
   * Reads what lookups of the hashes `hashes[from..to)` will read first (their index slots, then
   * the rows that matching tags point to), skipping entries whose `skip` is negative or whose
   * `known` is an id (not negative), and returns a value derived from them. It changes nothing:
   * done for a batch of rows before they are added, it lets the processor fetch their cache
   * lines in parallel (each loop is a run of independent loads), where adds one by one would
   * wait for each miss in turn.
   */
  touch(hashes: Uint32Array, skip: Int32Array, known: Int32Array, from: number, to: number): number {
    const index = this.index;
    const mask = this.mask;
    let x = 0;
    for (let k = from; k < to; k++) if (skip[k] >= 0 && known[k] < 0) x ^= index[hashes[k] & mask];
    const kb = this.idBits;
    const W = this.words;
    for (let k = from; k < to; k++) {
      if (skip[k] < 0 || known[k] >= 0) continue;
      const h = hashes[k];
      const e = index[h & mask];
      if (e !== 0 && e >>> kb === h >>> kb) {
        const id = (e & mask) - 1;
        x ^= this.pages[id >>> PAGE_BITS][(id & PAGE_MASK) * W];
      }
    }
    return x;
  }

  /**
   * Adds the row at `buf[off..]` (whose hash is `h`) if new. Returns its id if it was added, or
   * -(id + 1) if it was already there.
   */
  add(buf: Uint32Array, off = 0, h = this.hash(buf, off)): number {
    const k = this.idBits;
    const tag = h >>> k;
    const idMask = this.mask;
    let slot = h & this.mask;
    for (;;) {
      const e = this.index[slot];
      if (e === 0) break;
      if (e >>> k === tag) {
        const id = (e & idMask) - 1;
        if (this.same(id, buf, off)) return -(id + 1);
      }
      slot = (slot + 1) & this.mask;
    }
    const id = this.count;
    if (id >>> PAGE_BITS === this.pages.length) {
      this.budget.reserve(PAGE_SIZE * this.words * 4);
      this.pages.push(this.alloc(PAGE_SIZE * this.words));
      this.generation++;
    }
    if (id + 1 > this.limit) {
      this.growIndex();
      return this.add(buf, off, h);
    }
    const page = this.pages[id >>> PAGE_BITS];
    const base = (id & PAGE_MASK) * this.words;
    for (let i = 0; i < this.words; i++) page[base + i] = buf[off + i];
    // The row first, then the slot (a store readers see only after the row: see StoreReader).
    if (this.shared) Atomics.store(this.index, slot, ((tag << k) | (id + 1)) >>> 0);
    else this.index[slot] = ((tag << k) | (id + 1)) >>> 0;
    this.count = id + 1;
    return id;
  }

  /** Copies row `id` into `out` (at `off`). */
  read(id: number, out: Uint32Array, off = 0): void {
    const page = this.pages[id >>> PAGE_BITS];
    const base = (id & PAGE_MASK) * this.words;
    for (let i = 0; i < this.words; i++) out[off + i] = page[base + i];
  }

  /** Copies rows `from` to `to` (exclusive) into `out`, one after the other. */
  readRange(from: number, to: number, out: Uint32Array): void {
    const W = this.words;
    let o = 0;
    for (let id = from; id < to;) {
      const page = this.pages[id >>> PAGE_BITS];
      const start = id & PAGE_MASK;
      const n = Math.min(to - id, PAGE_SIZE - start);
      out.set(page.subarray(start * W, (start + n) * W), o);
      o += n * W;
      id += n;
    }
  }

  private growIndex(): void {
    const bits = this.idBits + 1;
    if (bits > this.maxIndexBits) {
      const what = `the visited set is full: ${this.count.toLocaleString('en-US')} states, the most one search stores (an index of 2^${this.maxIndexBits} slots)`;
      throw new BudgetExceeded(what, what);
    }
    // `1 << bits` while it fits: `2 ** bits` gives a double, whose first reservation turned the
    // budget's small-integer counts into doubles mid-search and deoptimized the search loop.
    const size = bits < 31 ? 1 << bits : 2 ** bits;
    this.budget.reserve(size * 4);
    const index = this.alloc(size);
    const mask = size - 1;
    // Rows in id order, in blocks: hash a block, touch the new slots of all of it (so that the
    // processor fetches them in parallel), then insert it.
    const W = this.words;
    const BLOCK = 512;
    const hashes = new Uint32Array(BLOCK);
    let sink = 0;
    for (let first = 0; first < this.count; first += BLOCK) {
      const n = Math.min(BLOCK, this.count - first);
      for (let j = 0; j < n; j++) {
        const id = first + j;
        hashes[j] = hashRow(this.pages[id >>> PAGE_BITS], (id & PAGE_MASK) * W, W);
      }
      for (let j = 0; j < n; j++) sink ^= index[hashes[j] & mask];
      for (let j = 0; j < n; j++) {
        const h = hashes[j];
        let slot = h & mask;
        while (index[slot] !== 0) slot = (slot + 1) & mask;
        index[slot] = (((h >>> bits) << bits) | (first + j + 1)) >>> 0;
      }
    }
    if (sink === 0.5) throw new Error('unreachable');
    this.budget.release(this.index.byteLength);
    this.index = index;
    this.mask = mask;
    this.idBits = bits;
    this.limit = Math.floor(size * MAX_LOAD);
    this.generation++;
  }
}

/** A shared store's arrays as of one moment (structured-cloneable: SharedArrayBuffers are shared). */
export interface StoreSnapshot {
  readonly words: number;
  readonly index: SharedArrayBuffer;
  readonly idBits: number;
  readonly pages: readonly SharedArrayBuffer[];
}

/**
 * Looks states up, from another thread, in a shared `StateStore` that its own thread keeps
 * adding to. A lookup sees every state added before the snapshot it was given, and may or may
 * not see later ones: `find` returns an id only for a state that is really stored (the writer
 * stores the row before it publishes the slot, and the reader loads the slot atomically before
 * it reads the row), and -1 otherwise, which means "not known here", not "new".
 */
export class StoreReader {
  private index: Uint32Array<ArrayBufferLike> = new Uint32Array(0);
  private pages: Uint32Array<ArrayBufferLike>[] = [];
  private idBits = 0;
  private mask = 0;
  /**
   * Rows found recently and their ids, direct-mapped by hash (as in SearchState): successors of
   * nearby states repeat, and a hit here costs no cache miss in the shared index. Allocated
   * with the first snapshot.
   */
  private recent = new Uint32Array(0);
  private readonly recentMask = (1 << 16) - 1;
  constructor(readonly words: number) {}

  /** Bytes this reader holds of its own (its cache; the store's arrays are the writer's). */
  get bytes(): number { return this.recent.byteLength; }

  /** Switches to a newer snapshot of the same store. */
  update(s: StoreSnapshot): void {
    if (this.recent.length === 0) this.recent = new Uint32Array((this.recentMask + 1) * (this.words + 1));
    this.index = new Uint32Array(s.index);
    this.idBits = s.idBits;
    this.mask = (2 ** s.idBits) - 1;
    for (let i = this.pages.length; i < s.pages.length; i++) this.pages.push(new Uint32Array(s.pages[i]));
  }

  /** The id of the row at `buf[off..]` (with hash `h`) if the store had it, else -1. */
  find(buf: Uint32Array, off: number, h: number): number {
    const W = this.words;
    const recent = this.recent;
    if (recent.length === 0) return -1;
    const e = (h & this.recentMask) * (W + 1);
    let id = recent[e + W] - 1;
    for (let i = 0; i < W && id >= 0; i++) if (recent[e + i] !== buf[off + i]) id = -1;
    if (id >= 0) return id;
    id = this.lookup(buf, off, h);
    if (id >= 0) {
      for (let i = 0; i < W; i++) recent[e + i] = buf[off + i];
      recent[e + W] = id + 1;
    }
    return id;
  }

  private lookup(buf: Uint32Array, off: number, h: number): number {
    const index = this.index;
    if (index.length === 0) return -1;
    const k = this.idBits;
    const tag = h >>> k;
    const mask = this.mask;
    const W = this.words;
    let slot = h & mask;
    for (;;) {
      const e = Atomics.load(index, slot);
      if (e === 0) return -1;
      if (e >>> k === tag) {
        const id = (e & mask) - 1;
        const page = this.pages[id >>> PAGE_BITS];
        if (page === undefined) return -1;
        const base = (id & PAGE_MASK) * W;
        let same = true;
        for (let i = 0; i < W; i++) if (page[base + i] !== buf[off + i]) { same = false; break; }
        if (same) return id;
      }
      slot = (slot + 1) & mask;
    }
  }
}
