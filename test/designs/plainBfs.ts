/**
 * An independent way to count a design's reachable states for the design tests: a plain
 * breadth-first search over plain-object contexts, deduplicated by their JSON text, driving the
 * design's compiled machine with the design's callers. It shares nothing with the checker's
 * packed layout, state store, memo or search, so agreement on the count means the design's
 * schema keeps every field its machine writes (a field missing from the schema would be lost in
 * the packed rows and the counts would differ). Slow; for small bounds only.
 */
import { callersOf } from '../../src/iommu/callers';
import type { Design } from '../../src/iommu/design';
import { stepContext } from '../../src/iommu/iommuModel';
import { initialTraceState } from '../../src/iommu/replay';
import { cloneContext, type GroupContext } from '../../src/model/context';
import type { GroupStateName } from '../../src/model/vocabulary';

export interface PlainState {
  readonly state: GroupStateName;
  readonly context: GroupContext;
}

/** The whole reachable graph, states in breadth-first order (state 0 the initial one). */
export interface PlainGraph {
  readonly states: (PlainState & { readonly depth: number })[];
  /** State key (`plainKey`) -> index in `states`. */
  readonly index: Map<string, number>;
  /** Per state: [caller action index, target state] for every enabled call. */
  readonly edges: [number, number][][];
  /** Per state: whether some enabled call from it fires a WARN_ON. */
  readonly warns: boolean[];
}

/** The key of a state: finite state and context without the outcome fields `ret` and `warn`. */
export function plainKey(s: PlainState): string {
  const { ret: _r, warn: _w, ...rest } = s.context;
  return JSON.stringify([s.state, rest]);
}

/** The reachable graph of `design` at `devices` devices, or null once it has more than `cap` states. */
export function plainGraph(design: Design, devices: number, cap = Number.POSITIVE_INFINITY): PlainGraph | null {
  const actions = callersOf(design, devices);
  const start = initialTraceState(design, devices);
  const g: PlainGraph = { states: [{ ...start, depth: 0 }], index: new Map([[plainKey(start), 0]]), edges: [], warns: [] };
  for (let i = 0; i < g.states.length; i++) {
    if (g.states.length > cap) return null;
    const s = g.states[i];
    const out: [number, number][] = [];
    let warns = false;
    actions.forEach((a, ai) => {
      if (!a.enabled(s.context)) return;
      const c = cloneContext(s.context);
      const state = stepContext(design, s.state, c, a.event);
      warns ||= c.warn;
      c.ret = 0;
      c.warn = false;
      const k = plainKey({ state, context: c });
      let t = g.index.get(k);
      if (t === undefined) {
        t = g.states.length;
        g.index.set(k, t);
        g.states.push({ state, context: c, depth: s.depth + 1 });
      }
      out.push([ai, t]);
    });
    g.edges.push(out);
    g.warns.push(warns);
  }
  return g;
}

/** Every reachable state of `design` at `devices` devices. */
export function plainReachable(design: Design, devices: number): PlainState[] {
  return plainGraph(design, devices)!.states.map(({ state, context }) => ({ state, context }));
}
