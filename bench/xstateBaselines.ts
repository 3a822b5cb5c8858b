/**
 * The two ways of enumerating a design's states with XState itself, as baselines for the bench:
 * `xstate/graph`'s `getAdjacencyMap`, and a plain breadth-first search over
 * `xstate.transition()`. Both drive the design's machine with the same modelled callers as
 * dmaown (its model's caller actions) and identify a state by its finite state and context without the
 * call's outcome (`ret`, `warn`), so they count the same states as dmaown.
 */
import { initialTransition, transition, type AnyMachineSnapshot } from 'xstate';
import { getAdjacencyMap } from 'xstate/graph';
import { buildIommuModel } from '../src/iommu/iommuModel';
import type { Design } from '../src/iommu/design';
import type { IommuEvent } from '../src/iommu/events';
import type { GroupContext } from '../src/model/context';

export type XStateMethod = 'getAdjacencyMap' | 'transition-bfs';

export interface XStateResult {
  readonly method: XStateMethod;
  readonly design: string;
  readonly devices: number;
  readonly states: number;
  readonly transitions: number;
  readonly seconds: number;
}

/** A state's identity: the finite state and the context, without `ret` and `warn`. */
export function snapshotKey(s: AnyMachineSnapshot): string {
  const c = s.context as GroupContext;
  return JSON.stringify([s.value, { ...c, ret: undefined, warn: undefined }]);
}

function enabledEvents(design: Design, devices: number): (c: GroupContext) => IommuEvent[] {
  const actions = buildIommuModel(design, devices, []).actions;
  return (c) => {
    const out: IommuEvent[] = [];
    for (const a of actions) if (a.enabled(c)) out.push(a.event);
    return out;
  };
}

/** `getAdjacencyMap(machine, { events, serializeState })` from `xstate/graph`. */
export function adjacencyMapBaseline(design: Design, devices: number): XStateResult {
  const events = enabledEvents(design, devices);
  const started = performance.now();
  const adj = getAdjacencyMap(design.machine, {
    input: { devices },
    events: (s: AnyMachineSnapshot) => events(s.context as GroupContext),
    serializeState: (s: AnyMachineSnapshot) => snapshotKey(s),
  } as never) as unknown as Record<string, { transitions: Record<string, unknown> }>;
  const seconds = (performance.now() - started) / 1000;
  let states = 0;
  let transitions = 0;
  for (const k of Object.keys(adj)) {
    states++;
    transitions += Object.keys(adj[k].transitions).length;
  }
  return { method: 'getAdjacencyMap', design: design.name, devices, states, transitions, seconds };
}

/** Breadth-first search with `initialTransition()` and `transition()`, states deduplicated by key. */
export function transitionBfsBaseline(design: Design, devices: number): XStateResult {
  const events = enabledEvents(design, devices);
  const started = performance.now();
  const [init] = initialTransition(design.machine, { devices } as never);
  const seen = new Set<string>([snapshotKey(init)]);
  const queue: AnyMachineSnapshot[] = [init];
  let transitions = 0;
  for (let head = 0; head < queue.length; head++) {
    const s = queue[head];
    for (const e of events(s.context as GroupContext)) {
      const [next] = transition(design.machine, s, e as never);
      transitions++;
      const k = snapshotKey(next);
      if (!seen.has(k)) {
        seen.add(k);
        queue.push(next);
      }
    }
  }
  const seconds = (performance.now() - started) / 1000;
  return { method: 'transition-bfs', design: design.name, devices, states: seen.size, transitions, seconds };
}

export function runXStateBaseline(method: XStateMethod, design: Design, devices: number): XStateResult {
  return method === 'getAdjacencyMap' ? adjacencyMapBaseline(design, devices) : transitionBfsBaseline(design, devices);
}

/** Child-process entry: `node xstateBaselines.js METHOD DESIGN DEVICES` prints one JSON result. */
if (require.main === module) {
  void (async () => {
    const [method, designName, devices] = process.argv.slice(2);
    const { loadDesigns } = await import('../src/iommu/designRegistry');
    const design = (await loadDesigns()).find((d) => d.name === designName);
    if (!design) throw new Error(`no design ${designName}`);
    process.stdout.write(JSON.stringify(runXStateBaseline(method as XStateMethod, design, Number(devices))) + '\n');
    process.exit(0);
  })().catch((e: Error) => { process.stderr.write(`${e.stack ?? e.message}\n`); process.exit(1); });
}
