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

/** The key of a state: finite state and context without the outcome fields `ret` and `warn`. */
function keyOf(s: PlainState): string {
  const { ret: _r, warn: _w, ...rest } = s.context;
  return JSON.stringify([s.state, rest]);
}

/** Every reachable state of `design` at `devices` devices. */
export function plainReachable(design: Design, devices: number): PlainState[] {
  const actions = callersOf(design, devices);
  const start = initialTraceState(design, devices);
  const seen = new Map<string, PlainState>([[keyOf(start), start]]);
  const queue: PlainState[] = [start];
  for (let i = 0; i < queue.length; i++) {
    const s = queue[i];
    for (const a of actions) {
      if (!a.enabled(s.context)) continue;
      const c = cloneContext(s.context);
      const state = stepContext(design, s.state, c, a.event);
      c.ret = 0;
      c.warn = false;
      const next = { state, context: c };
      const k = keyOf(next);
      if (!seen.has(k)) {
        seen.set(k, next);
        queue.push(next);
      }
    }
  }
  return queue;
}
