import type { Design } from '../iommu/design';
import { InputError } from '../errors';
import { GROUP_STATES, type GroupStateName } from '../model/vocabulary';
import { exploreGraph, GraphTooLarge, type ExploredGraph } from './exploreGraph';
import { plural } from '../report/plural';

/** Devices the statechart is derived at unless asked otherwise. */
export const STATECHART_DEVICES = 2;
/** Refuse to derive a statechart from more reachable states than this (the walk would be slow). */
export const STATECHART_MAX_STATES = 200_000;

/** One guarded alternative of a kernel call as seen on an edge. */
export interface TransitionLabel {
  readonly event: string;
  /** The alternative's guard name (it quotes the seed code); '' for the unguarded fallback. */
  readonly guard: string;
  /** Return codes seen for this alternative, ascending. */
  readonly rets: readonly number[];
  /** A WARN_ON fired. */
  readonly warn: boolean;
}

export interface StatechartEdge {
  readonly from: GroupStateName;
  readonly to: GroupStateName;
  /** In the design's event order, then in the order the machine lists the alternatives. */
  readonly labels: readonly TransitionLabel[];
}

export interface StatechartState {
  readonly name: GroupStateName;
  /** The state's `description` in the machine. */
  readonly description: string;
  /** Reached at this bound. */
  readonly reached: boolean;
}

/** The four-state group statechart of a design as its machine behaves at one bound. */
export interface Statechart {
  readonly design: string;
  readonly devices: number;
  readonly initial: GroupStateName;
  readonly states: readonly StatechartState[];
  /** State-changing edges first, then self-loops, each sorted by (from, to) in state order. */
  readonly edges: readonly StatechartEdge[];
}

/** Position of each guarded alternative in the machine's root `on`, for a stable label order. */
function alternativeOrder(design: Design): (event: string, guard: string) => number {
  const on = ((design.machine.config as { on?: Record<string, unknown> }).on ?? {}) as Record<string, unknown>;
  return (event, guard) => {
    const spec = on[event];
    const list = Array.isArray(spec) ? spec : spec === undefined ? [] : [spec];
    const i = list.findIndex((t) => ((t as { guard?: unknown }).guard ?? '') === guard);
    return i < 0 ? list.length : i;
  };
}

/**
 * Derives the group statechart from the machine itself: the kernel calls are handled at the
 * machine's root, so which state a call leads to depends on the context, not on the state the
 * call starts in. Every reachable state at `devices` devices is walked, every enabled caller
 * action is run through the compiled machine's `explain`, and each transition is projected onto
 * the four group states and labelled with the call and the guard of the alternative that fired.
 * The edges are therefore what the machine does at that bound: a transition that needs more
 * devices to happen is missing. A bound with more than STATECHART_MAX_STATES reachable states is
 * refused (InputError) when the walk reaches that many.
 */
export function deriveStatechart(design: Design, devices = STATECHART_DEVICES): Statechart {
  const seen = new Map<string, { from: number; to: number; event: string; guard: string; rets: Set<number>; warn: boolean }>();
  const reached = new Set<number>();
  let g: ExploredGraph;
  try {
    g = exploreGraph(design, devices, [], {
      maxStates: STATECHART_MAX_STATES,
      keepEdges: false,
      onEdge(e, from, to) {
        reached.add(to);
        const event = e.fired?.eventType ?? '(ignored)';
        const guard = e.fired?.guardName ?? '';
        const key = `${from}|${to}|${event}|${guard}`;
        let l = seen.get(key);
        if (!l) seen.set(key, (l = { from, to, event, guard, rets: new Set(), warn: false }));
        l.rets.add(e.ret);
        if (e.warn) l.warn = true;
      },
    });
  } catch (e) {
    if (!(e instanceof GraphTooLarge)) throw e;
    throw new InputError(`the statechart of ${design.name} at ${plural(devices, 'device')} would walk more than ${e.limit.toLocaleString('en-US')} reachable states, the most it walks; pass a smaller --devices`);
  }
  const names = g.model.compiled.stateNames as readonly GroupStateName[];
  reached.add(g.model.compiled.initialState);
  const eventRank = (t: string) => {
    const i = design.events.indexOf(t);
    return i < 0 ? design.events.length : i;
  };
  const altRank = alternativeOrder(design);
  const stateRank = (i: number) => GROUP_STATES.indexOf(names[i]);
  const byEdge = new Map<string, { from: number; to: number; labels: TransitionLabel[] }>();
  const sorted = [...seen.values()].sort((a, b) => eventRank(a.event) - eventRank(b.event) || altRank(a.event, a.guard) - altRank(b.event, b.guard));
  for (const l of sorted) {
    const key = `${l.from}|${l.to}`;
    let e = byEdge.get(key);
    if (!e) byEdge.set(key, (e = { from: l.from, to: l.to, labels: [] }));
    e.labels.push({ event: l.event, guard: l.guard, rets: [...l.rets].sort((a, b) => a - b), warn: l.warn });
  }
  const edges = [...byEdge.values()]
    .sort((a, b) => Number(a.from === a.to) - Number(b.from === b.to) || stateRank(a.from) - stateRank(b.from) || stateRank(a.to) - stateRank(b.to))
    .map((e) => ({ from: names[e.from], to: names[e.to], labels: e.labels }));
  const cfgStates = ((design.machine.config as { states?: Record<string, { description?: string }> }).states ?? {});
  const states = GROUP_STATES.filter((s) => names.includes(s)).map((name) => ({
    name,
    description: cfgStates[name]?.description ?? '',
    reached: reached.has(names.indexOf(name)),
  }));
  return { design: design.name, devices, initial: names[g.model.compiled.initialState], states, edges };
}
