import type { Design } from '../iommu/design';
import type { Invariant } from '../iommu/invariant';
import { buildIommuModel, type IommuModel } from '../iommu/iommuModel';
import type { Fired } from '../machine/compileMachine';

/** One transition the explorer saw: which action led from which state to which, and how. */
export interface ExploredEdge {
  readonly src: number;
  readonly dst: number;
  /** Index into `model.actions`. */
  readonly action: number;
  readonly ret: number;
  readonly warn: boolean;
  /** The guarded alternative of the machine that handled the call. */
  readonly fired: Fired | null;
}

export interface ExploreOptions {
  /**
   * Keep only states within this many calls of the start (default: no limit). The transitions
   * among the kept states are all kept, those leaving them are dropped.
   */
  readonly maxDepth?: number;
  /** Refuse (throw GraphTooLarge) once more distinct states than this are found. */
  readonly maxStates: number;
  /** Keep every edge in `edges` (default true); off when only `onEdge` is wanted. */
  readonly keepEdges?: boolean;
  /** Called for every transition, in BFS order. */
  readonly onEdge?: (e: ExploredEdge, srcState: number, dstState: number) => void;
}

/** The reachable part of a design's state space that the diagrams draw. */
export interface ExploredGraph {
  readonly model: IommuModel;
  /** Distinct state rows, numbered in BFS order (0 is the initial state). */
  readonly rows: readonly Uint32Array[];
  /** Calls from the start to each state (its BFS depth). */
  readonly depth: readonly number[];
  /** BFS tree: the edge (index into `edges`) by which each state was first reached; -1 for the start. */
  readonly parentEdge: readonly number[];
  readonly edges: readonly ExploredEdge[];
  /** False when `maxDepth` cut the search: some transition led to a state left out. */
  readonly complete: boolean;
}

/** The explorer found more states than the caller allowed. */
export class GraphTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`more than ${limit} states`);
  }
}

/**
 * Breadth-first walk of every state the modelled callers can reach in `design` at `devices`
 * devices, running each call through the compiled machine's `explain`, so that every edge
 * carries the guarded alternative that fired. Deterministic: same design and bound, same
 * numbering and edge order. Meant for small bounds (diagrams); the checker is the fast path.
 */
export function exploreGraph(design: Design, devices: number, invariants: readonly Invariant[], o: ExploreOptions): ExploredGraph {
  const model = buildIommuModel(design, devices, invariants);
  const { layout, compiled, actions } = model;
  const keepEdges = o.keepEdges ?? true;
  const maxDepth = o.maxDepth ?? Number.POSITIVE_INFINITY;
  const ids = new Map<string, number>();
  const rows: Uint32Array[] = [];
  const depth: number[] = [];
  const parentEdge: number[] = [];
  const edges: ExploredEdge[] = [];
  const work = layout.createView();
  const add = (row: Uint32Array, d: number, via: number): number => {
    const key = row.join(',');
    const seen = ids.get(key);
    if (seen !== undefined) return seen;
    if (d > maxDepth) return -1;
    if (rows.length >= o.maxStates) throw new GraphTooLarge(o.maxStates);
    ids.set(key, rows.length);
    rows.push(row.slice());
    depth.push(d);
    parentEdge.push(via);
    return rows.length - 1;
  };
  add(model.initialStates().subarray(0, model.words), 0, -1);
  let complete = true;
  let edgeCount = 0;
  for (let id = 0; id < rows.length; id++) {
    for (let a = 0; a < actions.length; a++) {
      work.buf.set(rows[id]);
      if (!actions[a].enabled(work)) continue;
      work.ret = 0;
      work.warn = false;
      const from = work.$state;
      const r = compiled.explain(from, work, actions[a].event);
      work.$state = r.state;
      const dst = add(work.buf, depth[id] + 1, edgeCount);
      if (dst < 0) {
        complete = false;
        continue;
      }
      edgeCount++;
      const e: ExploredEdge = { src: id, dst, action: a, ret: work.ret, warn: work.warn, fired: r.fired };
      if (keepEdges) edges.push(e);
      o.onEdge?.(e, from, r.state);
    }
  }
  return { model, rows, depth, parentEdge, edges, complete };
}
