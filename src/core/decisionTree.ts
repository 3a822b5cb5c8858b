/** Where a field lives in a packed row: `(row[word] >>> shift) & mask`. */
export interface FieldRef {
  readonly word: number;
  readonly shift: number;
  readonly bits: number;
}

/**
 * One evaluation of the memoized function: the fields it read from the row, in the order it
 * read them, as flat pairs `[field, raw value, field, raw value, ...]` (each field at most
 * once, and only while it still held the row's value), and the leaf it ended in.
 */
export interface Trace {
  readonly reads: readonly number[];
  readonly leaf: number;
}

export interface DecisionTreeOptions {
  /** Runs the function on `row[off..]`, recording what it reads. */
  trace(row: Uint32Array, off: number): Trace;
  /**
   * Runs the function without recording (faster than `trace`); used once the tree is full.
   * Default: `trace(row, off).leaf`.
   */
  direct?(row: Uint32Array, off: number): number;
  /** Stop growing past this many inner nodes (default 1 << 20). */
  readonly maxNodes?: number;
}

/** Raised when a memoized function reads differently on the same values: it is not pure. */
export class ImpureFunctionError extends Error {}

const UNKNOWN = -1;

/**
 * Memoizes a pure, deterministic function of a packed row on exactly the fields it reads. The
 * first read of such a function cannot depend on the row, the second only on the first read's
 * value, and so on: so the reads of all evaluations form a tree, whose inner nodes are fields
 * and whose leaves are results. `lookup` walks that tree (one shift and mask per field read);
 * when it reaches a branch not seen yet it traces the function once and grows the tree.
 *
 * Rules the function must keep: it reads the row only through the traced fields, and the same
 * field values always give the same reads and the same leaf. A violation seen while growing
 * the tree raises ImpureFunctionError. Functions that read many fields in many combinations
 * (a check over every device) grow large trees: past `maxNodes` the tree stops growing and
 * unseen branches run `direct` each time.
 */
export class DecisionTree {
  /** Inner node n: [word, shift, mask, first child index] at 4n. */
  private nodes = new Int32Array(256);
  private nodeCount = 0;
  /** Children: a node index (>= 0), UNKNOWN, or a leaf as `-2 - leaf`. */
  private kids = new Int32Array(1024);
  private kidCount = 0;
  private root = UNKNOWN;
  private readonly maxNodes: number;
  private readonly traceFn: DecisionTreeOptions['trace'];
  private readonly directFn: (row: Uint32Array, off: number) => number;
  /** Grows by one each time the tree grows (for callers that cache what they derive from it). */
  version = 0;
  /** Walks that ended on an unseen branch after the tree was full, and all walks since. */
  misses = 0;
  private fullLookups = 0;
  /** Set when, the tree being full, most walks miss: every lookup then runs `direct`. */
  private bypass = false;
  private full = false;

  constructor(private readonly fields: readonly FieldRef[], o: DecisionTreeOptions) {
    this.traceFn = o.trace;
    this.directFn = o.direct ?? ((row, off) => o.trace(row, off).leaf);
    this.maxNodes = o.maxNodes ?? 1 << 20;
    for (const f of fields) if (f.bits > 16) throw new RangeError(`a field of ${f.bits} bits is too wide for a decision tree (at most 16)`);
  }

  /** Inner nodes so far. */
  get size(): number { return this.nodeCount; }

  /** The leaf the function ends in on `row[off..]`. */
  lookup(row: Uint32Array, off: number): number {
    if (this.bypass) return this.directFn(row, off);
    const nodes = this.nodes;
    const kids = this.kids;
    let k = this.root;
    while (k >= 0) {
      const n = k << 2;
      k = kids[nodes[n + 3] + ((row[off + nodes[n]] >>> nodes[n + 1]) & nodes[n + 2])];
    }
    if (k !== UNKNOWN) {
      if (this.full) this.fullLookups++;
      return -2 - k;
    }
    return this.miss(row, off);
  }

  private miss(row: Uint32Array, off: number): number {
    if (this.full) {
      // Full: count how often walks miss; when a quarter of them do, stop walking.
      this.misses++;
      if (++this.fullLookups >= 1 << 14 && this.misses * 4 > this.fullLookups) this.bypass = true;
      return this.directFn(row, off);
    }
    const t = this.traceFn(row, off);
    this.insert(t);
    if (this.nodeCount >= this.maxNodes) this.full = true;
    return t.leaf;
  }

  private insert(t: Trace): void {
    const r = t.reads;
    // Walk the known part of the path; `at` is where the child index of the current edge lives
    // (-1: the root).
    let at = -1;
    let k = this.root;
    let i = 0;
    while (k >= 0) {
      if (i >= r.length) throw new ImpureFunctionError('a memoized function stopped reading where it read on before with the same values');
      const f = this.fields[r[i]];
      const n = k << 2;
      if (this.nodes[n] !== f.word || this.nodes[n + 1] !== f.shift) {
        throw new ImpureFunctionError('a memoized function read a different field with the same values read before');
      }
      at = this.nodes[n + 3] + r[i + 1];
      k = this.kids[at];
      i += 2;
    }
    if (k !== UNKNOWN) {
      if (i < r.length || -2 - k !== t.leaf) throw new ImpureFunctionError('a memoized function gave another result for the same values');
      return;
    }
    this.version++;
    for (; i < r.length; i += 2) {
      const node = this.addNode(this.fields[r[i]]);
      this.setChild(at, node);
      at = this.nodes[(node << 2) + 3] + r[i + 1];
    }
    this.setChild(at, -2 - t.leaf);
  }

  private setChild(at: number, v: number): void {
    if (at < 0) this.root = v;
    else this.kids[at] = v;
  }

  private addNode(f: FieldRef): number {
    const id = this.nodeCount++;
    if ((id + 1) * 4 > this.nodes.length) {
      const next = new Int32Array(this.nodes.length * 2);
      next.set(this.nodes);
      this.nodes = next;
    }
    const width = 1 << f.bits;
    while (this.kidCount + width > this.kids.length) {
      const next = new Int32Array(this.kids.length * 2);
      next.set(this.kids);
      this.kids = next;
    }
    const n = id << 2;
    this.nodes[n] = f.word;
    this.nodes[n + 1] = f.shift;
    this.nodes[n + 2] = f.bits === 32 ? -1 : (1 << f.bits) - 1;
    this.nodes[n + 3] = this.kidCount;
    this.kids.fill(UNKNOWN, this.kidCount, this.kidCount + width);
    this.kidCount += width;
    return id;
  }
}
