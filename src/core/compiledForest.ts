import { UNKNOWN, type DecisionForest } from './decisionTree';

/** A tree of a forest as JavaScript: the leaf its function ends in on a row at offset 0, or -1. */
export type CompiledTree = (row: Uint32Array) => number;

export interface CompiledForestOptions {
  /**
   * Trees with more inner nodes than this are not compiled, and are walked as data instead.
   * Default 600: V8 takes long to optimize a large generated function, and again at each
   * recompilation while the tree grows, running it unoptimized meanwhile; past about 600 nodes
   * that costs more than the function saves (docs/scaling.md, "One thread").
   */
  readonly maxNodes?: number;
  /**
   * A tree is (re)compiled once this many walks have fallen back to the forest since its last
   * compilation; the threshold doubles at every compilation, so that a tree that keeps growing
   * is compiled a logarithmic number of times. Default 16384, so that small searches, where
   * compiling costs more than it saves, compile little or nothing.
   */
  readonly firstThreshold?: number;
}

/** The estimate of `CompiledForest.bytes` for a generated function, per character of its source. */
export const CODE_BYTES_PER_CHAR = 4;

/** A tree that is never compiled: every lookup falls back to the forest. */
const NOT_YET: CompiledTree = () => -1;

/**
 * A DecisionForest whose trees are also compiled into JavaScript functions, with each node's
 * word, shift and mask as constants: a lookup is then a few nested `switch`es instead of a walk
 * over the forest's arrays. The forest stays the source of truth: a compiled function is a
 * snapshot of its tree and returns -1 where the tree was still unknown when it was compiled;
 * `lookup` then walks the forest (which grows the tree if needed) and counts the fallback, and
 * the tree is compiled again once fallbacks pile up.
 *
 * Rules: rows are looked up at offset 0, and a caller calls `fns[t]` afresh on each lookup
 * (a recompilation replaces it). Answers never depend on when trees were compiled: a compiled
 * leaf is one the forest recorded for the same field values. A full tree (maxNodes) counts only
 * the walks that fall back towards its bypass decision, but is walked as data long before then.
 */
export class CompiledForest {
  /** Per tree: its compiled function (call it, and `lookup` on -1). */
  readonly fns: CompiledTree[] = [];
  private readonly fallbacks: number[] = [];
  private readonly thresholds: number[] = [];
  private readonly compiledSize: number[] = [];
  /** Per tree: characters of its generated source (0: not compiled). */
  private readonly sourceChars: number[] = [];
  private totalChars = 0;
  private readonly maxNodes: number;
  private readonly first: number;

  constructor(readonly forest: DecisionForest, o: CompiledForestOptions = {}) {
    this.maxNodes = o.maxNodes ?? 600;
    this.first = o.firstThreshold ?? 16384;
  }

  /** Starts tracking tree `t` of the forest (call once per tree, in order). */
  track(t: number): void {
    if (t !== this.fns.length) throw new Error('trees must be tracked in order');
    this.fns.push(NOT_YET);
    this.fallbacks.push(0);
    this.thresholds.push(this.first);
    this.compiledSize.push(-1);
    this.sourceChars.push(0);
  }

  /**
   * Bytes held: the forest's arrays, plus an estimate for the generated functions of
   * CODE_BYTES_PER_CHAR per character of their source (the source V8 keeps, its bytecode and
   * machine code).
   */
  get bytes(): number { return this.forest.bytes + this.totalChars * CODE_BYTES_PER_CHAR; }

  /**
   * The leaf of tree `t` on `row`, when its compiled function returned -1: walks the forest (it
   * may grow) and recompiles the tree when its fallbacks reach the threshold.
   */
  lookup(t: number, row: Uint32Array): number {
    const leaf = this.forest.walk(t, row, 0);
    if (++this.fallbacks[t] >= this.thresholds[t]) this.recompile(t);
    return leaf;
  }

  private recompile(t: number): void {
    this.fallbacks[t] = 0;
    const size = this.forest.size(t);
    if (size === this.compiledSize[t]) return;
    this.thresholds[t] *= 2;
    if (size > this.maxNodes) {
      // Too big to compile: walk it as data from now on, without counting.
      const forest = this.forest;
      this.fns[t] = (row) => forest.walk(t, row, 0);
      this.thresholds[t] = Number.POSITIVE_INFINITY;
      return;
    }
    const source = treeSource(this.forest, t);
    this.fns[t] = new Function('r', source) as CompiledTree;
    this.totalChars += source.length - this.sourceChars[t];
    this.sourceChars[t] = source.length;
    this.compiledSize[t] = size;
  }
}

/**
 * Tree `t` of `forest` as it is now, as a function: nested `if`s on one-bit fields and
 * `switch`es on wider ones; children that end alike share a branch; unknown children return -1.
 */
export function compileTree(forest: DecisionForest, t: number): CompiledTree {
  // The code is generated from the forest's own integers only: no outside text reaches it.
  return new Function('r', treeSource(forest, t)) as CompiledTree;
}

/** The body of `compileTree`'s function for tree `t` (its parameter is the row, `r`). */
function treeSource(forest: DecisionForest, t: number): string {
  const nodes = forest.nodes;
  const kids = forest.kids;
  const out: string[] = [];
  const leafOf = (k: number) => (k === UNKNOWN ? -1 : -2 - k);
  const emit = (k: number): void => {
    if (k < 0) { out.push(`return ${leafOf(k)};`); return; }
    const n = k << 2;
    const word = nodes[n];
    const shift = nodes[n + 1];
    const mask = nodes[n + 2];
    const base = nodes[n + 3];
    if (mask === 1) {
      out.push(`if ((r[${word}] & ${(1 << shift) >>> 0}) !== 0) {`);
      emit(kids[base + 1]);
      out.push('} else {');
      emit(kids[base]);
      out.push('}');
      return;
    }
    // Group the values by child; unknown children go to `default`.
    const groups = new Map<number, number[]>();
    for (let v = 0; v <= mask; v++) {
      const c = kids[base + v];
      if (c === UNKNOWN) continue;
      const g = groups.get(c);
      if (g) g.push(v); else groups.set(c, [v]);
    }
    out.push(`switch ((r[${word}] >>> ${shift}) & ${mask}) {`);
    for (const [c, vs] of groups) {
      out.push(vs.map((v) => `case ${v}:`).join(' '));
      if (c < 0) out.push(`return ${leafOf(c)};`);
      else { out.push('{'); emit(c); out.push('}'); }
    }
    out.push('}');
    out.push('return -1;');
  };
  emit(forest.roots[t]);
  return `"use strict";\n${out.join('\n')}`;
}
