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

/** A child that was never reached. Other children: a node index (>= 0), or a leaf as `-2 - leaf`. */
export const UNKNOWN = -1;

interface TreeInfo {
  readonly trace: DecisionTreeOptions['trace'];
  readonly direct: (row: Uint32Array, off: number) => number;
  readonly maxNodes: number;
  size: number;
  full: boolean;
  /** Walks since the tree was full, and those of them that missed. */
  fullLookups: number;
  misses: number;
  bypass: boolean;
}

/**
 * Memoizes pure, deterministic functions of a packed row on exactly the fields they read. The
 * first read of such a function cannot depend on the row, the second only on the first read's
 * value, and so on: so the reads of all evaluations form a tree, whose inner nodes are fields
 * and whose leaves are results. A walk costs one shift and mask per field read; on a branch
 * not seen yet the function is traced once and the tree grows.
 *
 * A forest keeps many such trees in shared flat arrays, so that a caller can walk all of them
 * in one loop (see `walk` for the loop to copy): `roots[t]` is tree t's root child, and inner
 * node n is `nodes[4n..4n+3]` = word, shift, mask, index in `kids` of its first child.
 *
 * Rules the functions must keep: they read the row only through the traced fields, and the same
 * field values always give the same reads and the same leaf. A violation seen while growing a
 * tree raises ImpureFunctionError. Functions that read many fields in many combinations (a check
 * over every device) grow large trees: past `maxNodes` a tree stops growing, unseen branches run
 * `direct`, and when most walks miss the tree is bypassed altogether.
 */
export class DecisionForest {
  roots: Int32Array = new Int32Array(8).fill(UNKNOWN);
  nodes = new Int32Array(1024);
  kids = new Int32Array(4096);
  private nodeCount = 0;
  private kidCount = 0;
  private readonly trees: TreeInfo[] = [];

  constructor(private readonly fields: readonly FieldRef[]) {
    for (const f of fields) if (f.bits > 16) throw new RangeError(`a field of ${f.bits} bits is too wide for a decision tree (at most 16)`);
  }

  /** Adds a tree; returns its index. */
  add(o: DecisionTreeOptions): number {
    const t = this.trees.length;
    this.trees.push({
      trace: o.trace,
      direct: o.direct ?? ((row, off) => o.trace(row, off).leaf),
      maxNodes: o.maxNodes ?? 1 << 20,
      size: 0,
      full: false,
      fullLookups: 0,
      misses: 0,
      bypass: false,
    });
    if (t >= this.roots.length) {
      const r = new Int32Array(this.roots.length * 2).fill(UNKNOWN);
      r.set(this.roots);
      this.roots = r;
    }
    return t;
  }

  /** Inner nodes of tree `t`. */
  size(t: number): number { return this.trees[t].size; }

  /** Bytes of the forest's arrays (what grows with the trees). */
  get bytes(): number { return this.roots.byteLength + this.nodes.byteLength + this.kids.byteLength; }

  /** The leaf tree `t`'s function ends in on `row[off..]`. */
  walk(t: number, row: Uint32Array, off: number): number {
    const nodes = this.nodes;
    const kids = this.kids;
    let k = this.roots[t];
    while (k >= 0) {
      const n = k << 2;
      k = kids[nodes[n + 3] + ((row[off + nodes[n]] >>> nodes[n + 1]) & nodes[n + 2])];
    }
    if (k !== UNKNOWN) return this.hit(t, -2 - k);
    return this.miss(t, row, off);
  }

  /** Book-keeping of a walk that ended on leaf `leaf` (only full trees count their walks). */
  hit(t: number, leaf: number): number {
    const tree = this.trees[t];
    if (tree.full) tree.fullLookups++;
    return leaf;
  }

  /**
   * The leaf for a walk of tree `t` that reached an unseen branch (or a bypassed tree): traces
   * the function and grows the tree, or runs it directly once the tree is full. The arrays
   * `nodes` and `kids` may be replaced: read them again after calling this.
   */
  miss(t: number, row: Uint32Array, off: number): number {
    const tree = this.trees[t];
    if (tree.full) {
      // Full: count how often walks miss; when a quarter of them do, stop walking this tree.
      tree.misses++;
      if (!tree.bypass && ++tree.fullLookups >= 1 << 14 && tree.misses * 4 > tree.fullLookups) {
        tree.bypass = true;
        this.roots[t] = UNKNOWN;
      }
      return tree.direct(row, off);
    }
    const tr = tree.trace(row, off);
    this.insert(t, tr);
    if (tree.size >= tree.maxNodes) tree.full = true;
    return tr.leaf;
  }

  private insert(t: number, tr: Trace): void {
    const r = tr.reads;
    // Walk the known part of the path; `at` is where the child of the current edge lives
    // (-1: the root).
    let at = -1;
    let k = this.roots[t];
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
      if (i < r.length || -2 - k !== tr.leaf) throw new ImpureFunctionError('a memoized function gave another result for the same values');
      return;
    }
    for (; i < r.length; i += 2) {
      const node = this.addNode(this.fields[r[i]]);
      this.trees[t].size++;
      this.setChild(t, at, node);
      at = this.nodes[(node << 2) + 3] + r[i + 1];
    }
    this.setChild(t, at, -2 - tr.leaf);
  }

  private setChild(t: number, at: number, v: number): void {
    if (at < 0) this.roots[t] = v;
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
    this.nodes[n + 2] = (1 << f.bits) - 1;
    this.nodes[n + 3] = this.kidCount;
    this.kids.fill(UNKNOWN, this.kidCount, this.kidCount + width);
    this.kidCount += width;
    return id;
  }
}

/** One memoized function: a forest of one tree (see DecisionForest). */
export class DecisionTree {
  private readonly forest: DecisionForest;
  constructor(fields: readonly FieldRef[], o: DecisionTreeOptions) {
    this.forest = new DecisionForest(fields);
    this.forest.add(o);
  }
  /** Inner nodes so far. */
  get size(): number { return this.forest.size(0); }
  /** The leaf the function ends in on `row[off..]`. */
  lookup(row: Uint32Array, off: number): number { return this.forest.walk(0, row, off); }
}
