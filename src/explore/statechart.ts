import { checkAsync } from '../core/check';
import type { PackedModel } from '../core/model';
import type { Design } from '../iommu/design';
import { buildIommuModel } from '../iommu/iommuModel';
import { GROUP_STATES, type GroupStateName } from '../model/vocabulary';

/** One arrow of the statechart: the calls that, somewhere in the reachable states, move the group from `from` to `to`. */
export interface StatechartEdge {
  readonly from: GroupStateName;
  readonly to: GroupStateName;
  /** Event types, in the callers' order. */
  readonly events: readonly string[];
}

/** The design's group states and the caller calls observed to move between them at one bound. */
export interface Statechart {
  readonly design: string;
  readonly devices: number;
  readonly states: readonly { name: GroupStateName; description: string }[];
  readonly edges: readonly StatechartEdge[];
}

/**
 * The statechart as observed: every transition of the reachable state space at `devices`
 * devices, grouped by the finite states it leaves and enters (self-loops left out). XState's
 * own config cannot give this: the designs handle every call at the root and let eventless
 * transitions pick the state, so the arrows only exist in the reachable graph.
 *
 * The walk runs in slices (`checkAsync`), letting the event loop turn; `signal` stops it, and
 * the promise then rejects (a statechart of part of the states would miss arrows).
 */
export async function observedStatechart(design: Design, devices: number, signal?: AbortSignal): Promise<Statechart> {
  const model = buildIommuModel(design, devices, []);
  const names = model.compiled.stateNames as readonly GroupStateName[];
  const a = model.layout.createView();
  const b = model.layout.createView();
  const W = model.words;
  const seen = new Set<string>();
  const eventsOf = new Map<string, Set<string>>();
  const walker: PackedModel = {
    ...model,
    properties: [],
    successors(state, out) {
      const first = out.count;
      model.successors(state, out);
      a.buf.set(state);
      for (let k = first; k < out.count; k++) {
        b.buf.set(out.states.subarray(k * W, (k + 1) * W));
        if (a.$state === b.$state) continue;
        const type = model.actions[out.actions[k]].event.type;
        const key = `${a.$state}>${b.$state}`;
        const t = `${key}:${type}`;
        if (seen.has(t)) continue;
        seen.add(t);
        if (!eventsOf.has(key)) eventsOf.set(key, new Set());
        eventsOf.get(key)!.add(type);
      }
    },
  };
  const walk = await checkAsync(walker, { signal });
  if (!walk.complete) throw new Error(`the statechart walk of ${design.name} at ${devices} devices was stopped (${walk.stopReason})`);
  const typeOrder = [...new Set(model.actions.map((x) => x.event.type))];
  const edges: StatechartEdge[] = [];
  for (const [key, set] of eventsOf) {
    const [f, t] = key.split('>').map(Number);
    edges.push({ from: names[f], to: names[t], events: typeOrder.filter((x) => set.has(x)) });
  }
  const order = (s: GroupStateName) => GROUP_STATES.indexOf(s);
  edges.sort((x, y) => order(x.from) - order(y.from) || order(x.to) - order(y.to));
  const cfgStates = (design.machine.config as { states?: Record<string, { description?: string }> }).states ?? {};
  const states = names.map((n) => ({ name: n, description: cfgStates[n]?.description ?? '' }));
  return { design: design.name, devices, states, edges };
}
