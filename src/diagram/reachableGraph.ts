import { InputError } from '../errors';
import type { DesignCheck, InvariantVerdict } from '../iommu/checkDesign';
import { checkForDiagram, type DiagramCheckOptions } from './checkForDiagram';
import type { Design } from '../iommu/design';
import type { IommuEvent } from '../iommu/events';
import type { Invariant } from '../iommu/invariant';
import type { GroupContext } from '../model/context';
import type { GroupStateName } from '../model/vocabulary';
import { exploreGraph, GraphTooLarge } from './exploreGraph';
import { plural } from '../report/plural';

/** Most states a reachable-graph diagram may have: past this, nobody can read it. */
export const REACHABLE_MAX_STATES = 150;
/** Most drawn edges (Mermaid refuses more than 500 by default; Graphviz makes a hairball long before). */
export const REACHABLE_MAX_EDGES = 400;

export interface ReachableNode {
  readonly id: number;
  /** Calls from the start. */
  readonly depth: number;
  readonly state: GroupStateName;
  readonly context: GroupContext;
  /** Names of the state invariants (`always`) this state breaks. */
  readonly broken: readonly string[];
  /** On the highlighted counterexample. */
  readonly onPath: boolean;
}

export interface ReachableEdge {
  readonly src: number;
  readonly dst: number;
  readonly event: IommuEvent;
  readonly ret: number;
  readonly warn: boolean;
  /** Guard of the alternative that fired ('' for the unguarded fallback). */
  readonly guard: string;
  /** Step number on the highlighted counterexample, or -1. */
  readonly pathStep: number;
}

/** The invariant whose counterexample is highlighted, and how it fared. */
export interface HighlightedInvariant {
  readonly name: string;
  readonly verdict: InvariantVerdict['verdict'];
  /** Why the last state (or step) of the counterexample breaks it. */
  readonly explanation?: string;
  readonly pathLength?: number;
}

/** The reachable states of a design within some calls of the start, ready to draw. */
export interface ReachableGraph {
  readonly design: string;
  readonly devices: number;
  /** States more than this many calls away are left out. */
  readonly depth: number;
  /** The whole reachable state space is shown (no state was cut by the depth). */
  readonly whole: boolean;
  readonly nodes: readonly ReachableNode[];
  /**
   * The calls drawn: those leading one call deeper (from depth d to d+1), which lay the graph out
   * in layers, plus every call of the highlighted path.
   */
  readonly edges: readonly ReachableEdge[];
  /** Calls between two shown states not drawn: back to an earlier or the same depth, or self-loops. */
  readonly omittedEdges: number;
  readonly highlighted: HighlightedInvariant | null;
  /** The state the highlighted counterexample ends in, or -1. */
  readonly pathEnd: number;
}

export interface ReachableOptions extends DiagramCheckOptions {
  /** The invariant whose counterexample to highlight (default: the first violated). */
  readonly invariant?: string;
  /** Show states within this many calls (default: the counterexample's length, else all). */
  readonly depth?: number;
  readonly maxStates?: number;
  readonly maxEdges?: number;
  // maxMemory, onProgress, progressEvery: those of the check that finds the counterexample.
}

const sameEvent = (a: IommuEvent, b: IommuEvent) => JSON.stringify(a) === JSON.stringify(b);

/** States counted for a refusal's message before it says "more than". */
const COUNT_LIMIT = 100_000;

/** The states within `depth` calls of the start, without edges, or null when there are more than `limit`. */
export function statesWithin(design: Design, devices: number, depth: number, limit: number): number | null {
  try {
    return exploreGraph(design, devices, [], { maxDepth: depth, maxStates: limit, keepEdges: false }).rows.length;
  } catch (e) {
    if (!(e instanceof GraphTooLarge)) throw e;
    return null;
  }
}

/** How a refusal names the graph. */
const graphName = (design: Design, devices: number, depth: number) => `the reachable graph of design ${design.name} at ${plural(devices, 'device')} within ${plural(depth, 'call')}`;

/**
 * The InputError for a graph within `depth` calls of more than `maxStates` states: how many it
 * has (up to COUNT_LIMIT), and the largest depth that fits, or, when the counterexample to
 * show (`path`, of invariant `name`) is longer than that, to use fewer devices.
 */
function tooLarge(design: Design, devices: number, depth: number, maxStates: number, path: { length: number; name: string } | null): InputError {
  const n = statesWithin(design, devices, depth, COUNT_LIMIT);
  const count = n === null ? `more than ${COUNT_LIMIT.toLocaleString('en-US')}` : n.toLocaleString('en-US');
  // Each try stops at maxStates + 1 states, so this costs little.
  let fits = 0;
  while (fits + 1 < depth && statesWithin(design, devices, fits + 1, maxStates) !== null) fits++;
  const hint = path && fits < path.length ? `; the ${path.name} counterexample takes ${path.length} calls: try fewer --devices` : `; --depth ${fits} fits`;
  return new InputError(`${graphName(design, devices, depth)} has ${count} states, more than the ${maxStates} a diagram can show readably${hint}`);
}

/**
 * The reachable state graph of `design` at `devices` devices, cut at a depth, with every state
 * that breaks a state invariant marked and the shortest counterexample of one invariant
 * highlighted. Refuses (InputError) a graph of more than `maxStates` states or `maxEdges` edges,
 * saying which depth would fit.
 */
export function reachableGraph(design: Design, devices: number, invariants: readonly Invariant[], o: ReachableOptions = {}): ReachableGraph {
  const maxStates = o.maxStates ?? REACHABLE_MAX_STATES;
  const maxEdges = o.maxEdges ?? REACHABLE_MAX_EDGES;
  // With a depth given, a graph too large to draw is refused before the whole bound is checked.
  if (o.depth !== undefined && statesWithin(design, devices, o.depth, maxStates) === null) throw tooLarge(design, devices, o.depth, maxStates, null);
  let chosen: InvariantVerdict | undefined;
  let dc: DesignCheck;
  if (o.invariant !== undefined) {
    // Only the invariant to show is checked: the check then stops once it is violated.
    const one = invariants.filter((i) => i.name === o.invariant);
    if (one.length === 0) throw new InputError(`--invariant ${o.invariant} is not among the invariants checked (${invariants.map((i) => i.name).join(', ')})`);
    dc = checkForDiagram(design, devices, one, o);
    chosen = dc.verdicts[0];
  } else {
    dc = checkForDiagram(design, devices, invariants, o);
    chosen = dc.verdicts.find((v) => v.verdict === 'violated');
  }
  const path = chosen?.verdict === 'violated' ? chosen.counterexample : null;
  const depth = o.depth ?? path?.length ?? dc.result.depth;
  if (path && depth < path.length) throw new InputError(`--depth ${depth} cuts the ${chosen!.name} counterexample, which takes ${path.length} calls`);

  let g;
  try {
    g = exploreGraph(design, devices, invariants, { maxDepth: depth, maxStates });
  } catch (e) {
    if (!(e instanceof GraphTooLarge)) throw e;
    throw tooLarge(design, devices, depth, maxStates, path && { length: path.length, name: chosen!.name });
  }
  const { model } = g;

  const pathStep = new Map<number, number>();
  const onPath = new Set<number>();
  let at = -1;
  if (path) {
    at = 0;
    onPath.add(0);
    path.forEach((ev, step) => {
      const k = g.edges.findIndex((e) => e.src === at && sameEvent(model.actions[e.action].event, ev));
      if (k < 0) throw new Error(`counterexample step ${step} is not an edge of the explored graph`);
      pathStep.set(k, step);
      at = g.edges[k].dst;
      onPath.add(at);
    });
  }
  const edges: ReachableEdge[] = [];
  let omittedEdges = 0;
  g.edges.forEach((e, k) => {
    const step = pathStep.get(k) ?? -1;
    if (step < 0 && g.depth[e.dst] !== g.depth[e.src] + 1) {
      omittedEdges++;
      return;
    }
    edges.push({ src: e.src, dst: e.dst, event: model.actions[e.action].event, ret: e.ret, warn: e.warn, guard: e.fired?.guardName ?? '', pathStep: step });
  });
  if (edges.length > maxEdges) {
    throw new InputError(`${graphName(design, devices, depth)} has ${edges.length} transitions to draw, more than the ${maxEdges} a diagram can show readably; pass a smaller --depth`);
  }
  const stateInvariants = model.invariants.filter((i) => i.kind === 'always');
  const nodes: ReachableNode[] = g.rows.map((row, id) => {
    const { state, context } = model.decode(row);
    const broken = stateInvariants.filter((i) => !i.holds(context, { design, state })).map((i) => i.name);
    return { id, depth: g.depth[id], state, context, broken, onPath: onPath.has(id) };
  });
  const highlighted: HighlightedInvariant | null = chosen
    ? chosen.verdict === 'violated'
      ? { name: chosen.name, verdict: chosen.verdict, explanation: chosen.explanation, pathLength: chosen.counterexample.length }
      : { name: chosen.name, verdict: chosen.verdict }
    : null;
  return { design: design.name, devices, depth, whole: g.complete, nodes, edges, omittedEdges, highlighted, pathEnd: at };
}
