import type { AnyStateMachine } from 'xstate';
import { compileMachine } from '../machine/compileMachine';
import type { PackedModel, Property, Successors } from './model';

/** A state of a machine model as properties see it: finite state name and context. */
export interface MachineState<C> {
  readonly value: string;
  readonly context: C;
}

/** A property over machine states (Stateright's `always` / `sometimes`). */
export type MachineProperty<C> =
  | { readonly kind: 'always' | 'sometimes'; readonly name: string; holds(s: MachineState<C>): boolean }
  | { readonly kind: 'recoverable'; readonly name: string; via(event: { type: string }): boolean; goal(s: MachineState<C>): boolean };

/** How to check a machine: which events callers may send in a state, and what must hold. */
export interface MachineModelSpec<C, E extends { type: string }> {
  /** A flat XState v5 machine whose actions are made with `effect()` (see compileMachine). */
  readonly machine: AnyStateMachine;
  /** The initial context (the machine's own `context` is not evaluated). */
  readonly context: C;
  /** The events callers may send in `s`, in a fixed order (this order decides which of several
   * equally short counterexamples is reported). Must be pure. */
  events(s: MachineState<C>): readonly E[];
  readonly properties: readonly MachineProperty<C>[];
  /** Copies a context; default `structuredClone`. */
  readonly clone?: (c: C) => C;
}

/** A checker model for any machine, plus what reports need: decoding states and actions. */
export interface MachineModel<C, E> extends PackedModel {
  /** The state a row stands for. */
  stateOf(row: Uint32Array): MachineState<C>;
  /** The event an action number stands for. */
  eventOf(action: number): E;
}

/**
 * Adapts any flat XState v5 machine to the checker. States are interned: each distinct
 * (value, context) pair, keyed by its JSON, gets a number, which is the one-word packed row.
 * General but not compact: it keeps every state as an object, so it suits models of up to a few
 * million states. Domain models with a schema (like the IOMMU designs) use a packed layout instead.
 */
export function machineModel<C, E extends { type: string }>(spec: MachineModelSpec<C, E>): MachineModel<C, E> {
  const compiled = compileMachine(spec.machine);
  const clone = spec.clone ?? ((c: C) => structuredClone(c));
  const states: MachineState<C>[] = [];
  const stateIds = new Map<string, number>();
  const intern = (s: MachineState<C>): number => {
    const key = JSON.stringify([s.value, s.context]);
    let id = stateIds.get(key);
    if (id === undefined) { id = states.length; states.push(s); stateIds.set(key, id); }
    return id;
  };
  const events: E[] = [];
  const eventIds = new Map<string, number>();
  const internEvent = (e: E): number => {
    const key = JSON.stringify(e);
    let id = eventIds.get(key);
    if (id === undefined) { id = events.length; events.push(e); eventIds.set(key, id); }
    return id;
  };
  const init = intern({ value: compiled.stateNames[compiled.initialState], context: clone(spec.context) });
  const properties: Property[] = spec.properties.map((p): Property =>
    p.kind === 'recoverable'
      ? { kind: 'recoverable', name: p.name, via: (a) => p.via(events[a]), goal: (row) => p.goal(states[row[0]]) }
      : { kind: p.kind, name: p.name, holds: (row) => p.holds(states[row[0]]) },
  );
  return {
    words: 1,
    get actionCount() { return events.length; },
    transitionFlags: [],
    properties,
    initialStates: () => Uint32Array.of(init),
    successors(row: Uint32Array, out: Successors) {
      const s = states[row[0]];
      for (const e of spec.events(s)) {
        const c = clone(s.context);
        const next = compiled.step(compiled.stateNames.indexOf(s.value), c, e);
        const off = out.push(internEvent(e), 0);
        out.states[off] = intern({ value: compiled.stateNames[next], context: c });
      }
    },
    stateOf: (row) => states[row[0]],
    eventOf: (a) => events[a],
  };
}
