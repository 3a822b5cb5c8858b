import type { AnyStateMachine } from 'xstate';
import { effectOf, type Effect } from './effect';

/** A guard as XState calls it: `({ context, event }) => boolean`. */
type GuardFn = (args: { context: any; event: any }) => boolean;

interface Candidate {
  readonly guard: GuardFn | null;
  readonly guardName: string;
  readonly target: number; // -1: no target (state unchanged)
  readonly effects: readonly Effect<any, any>[];
  readonly actionNames: readonly string[];
}

/** Which transition fired for one event, for labelling traces and diagrams. */
export interface Fired {
  readonly eventType: string;
  readonly guardName: string;
  readonly actionNames: readonly string[];
}

/**
 * A machine's transition relation as a plain function. `step` runs one event on a context in
 * place (a plain object or a packed view) and returns the new finite-state index; it then runs
 * the eventless (`always`) transitions, as XState's macrostep does. Pure and deterministic as
 * long as the machine's guards and effects are.
 */
export interface CompiledMachine {
  readonly stateNames: readonly string[];
  readonly initialState: number;
  step(state: number, context: any, event: { type: string }): number;
  /** Like step, and reports which candidate fired (slower; for traces). */
  explain(state: number, context: any, event: { type: string }): { state: number; fired: Fired | null };
}

const SUPPORTED_ROOT = new Set(['id', 'context', 'initial', 'states', 'on', 'types', 'description', 'schemas', 'version']);
const SUPPORTED_STATE = new Set(['on', 'always', 'description', 'tags', 'meta']);
const SUPPORTED_TRANSITION = new Set(['guard', 'target', 'actions', 'description', 'meta']);

class UnsupportedMachine extends Error {}

/**
 * XState's guard combinators (`not`, `and`, `or`, `stateIn`) are functions too, but XState
 * evaluates them through their `check` property; called directly they return false. Refused,
 * so that a machine using one is never compiled into a transition function that disagrees with
 * XState.
 */
function refuseCombinator(fn: unknown, what: string): void {
  if (typeof (fn as { check?: unknown }).check === 'function') {
    throw new UnsupportedMachine(`${what} is XState's guard combinator ${(fn as { name?: string }).name || '(unnamed)'}(), which compileMachine does not support; write the condition as one guard function`);
  }
}

/**
 * Compiles a flat XState v5 machine: one level of states, transitions in the root's and the
 * states' `on`, eventless `always` transitions, named guards, and actions made with `effect()`.
 * Anything else (nested or parallel states, entry/exit actions, delays, invoked actors, guard
 * combinators, plain `assign` actions) is refused with an error naming it, rather than compiled
 * wrongly.
 */
export function compileMachine(machine: AnyStateMachine): CompiledMachine {
  const cfg = machine.config as any;
  const where = `machine ${JSON.stringify(cfg.id ?? '(anonymous)')}`;
  for (const k of Object.keys(cfg)) if (!SUPPORTED_ROOT.has(k)) throw new UnsupportedMachine(`${where}: root key '${k}' is not supported by compileMachine`);
  const stateNames = Object.keys(cfg.states ?? {});
  if (stateNames.length === 0) throw new UnsupportedMachine(`${where}: no states`);
  const index = new Map(stateNames.map((n, i) => [n, i] as const));
  const impl = machine.implementations as { guards: Record<string, unknown>; actions: Record<string, unknown> };

  const resolveGuard = (g: unknown, ctxName: string): [GuardFn | null, string] => {
    if (g === undefined) return [null, ''];
    if (typeof g === 'string') {
      const fn = impl.guards[g];
      if (typeof fn !== 'function') throw new UnsupportedMachine(`${where}: ${ctxName}: guard '${g}' has no implementation`);
      refuseCombinator(fn, `${where}: ${ctxName}: guard '${g}'`);
      return [fn as GuardFn, g];
    }
    if (typeof g === 'function') {
      refuseCombinator(g, `${where}: ${ctxName}: inline guard`);
      return [g as GuardFn, g.name || '(inline guard)'];
    }
    throw new UnsupportedMachine(`${where}: ${ctxName}: only named or inline guards are supported`);
  };
  const resolveActions = (a: unknown, ctxName: string): [Effect<any, any>[], string[]] => {
    const list = a === undefined ? [] : Array.isArray(a) ? a : [a];
    const effects: Effect<any, any>[] = [];
    const names: string[] = [];
    for (const item of list) {
      const named = typeof item === 'string' ? impl.actions[item] : item;
      const fn = effectOf(named);
      if (!fn) throw new UnsupportedMachine(`${where}: ${ctxName}: action ${typeof item === 'string' ? `'${item}'` : '(inline)'} was not made with effect()`);
      effects.push(fn);
      names.push(typeof item === 'string' ? item : '(inline)');
    }
    return [effects, names];
  };
  const resolveTarget = (t: unknown, fromRoot: boolean, ctxName: string): number => {
    if (t === undefined) return -1;
    if (typeof t !== 'string') throw new UnsupportedMachine(`${where}: ${ctxName}: only one string target is supported`);
    const name = fromRoot ? (t.startsWith('.') ? t.slice(1) : '') : t;
    const i = index.get(name);
    if (i === undefined) throw new UnsupportedMachine(`${where}: ${ctxName}: target '${t}' is not ${fromRoot ? "'.child' of the root" : 'a sibling state'}`);
    return i;
  };
  const candidates = (spec: unknown, fromRoot: boolean, ctxName: string): Candidate[] => {
    const list = spec === undefined ? [] : Array.isArray(spec) ? spec : [spec];
    return list.map((t, i) => {
      const tr = typeof t === 'string' ? { target: t } : (t as Record<string, unknown>);
      for (const k of Object.keys(tr)) if (!SUPPORTED_TRANSITION.has(k)) throw new UnsupportedMachine(`${where}: ${ctxName}[${i}]: transition key '${k}' is not supported`);
      const [guard, guardName] = resolveGuard(tr.guard, ctxName);
      const [effects, actionNames] = resolveActions(tr.actions, ctxName);
      return { guard, guardName, target: resolveTarget(tr.target, fromRoot, ctxName), effects, actionNames };
    });
  };

  const rootOn: Record<string, Candidate[]> = {};
  for (const [type, spec] of Object.entries(cfg.on ?? {})) {
    if (type === '*' || type.includes('.')) throw new UnsupportedMachine(`${where}: wildcard event '${type}' is not supported`);
    rootOn[type] = candidates(spec, true, `on.${type}`);
  }
  const table: Map<string, Candidate[]>[] = [];
  const always: Candidate[][] = [];
  for (const name of stateNames) {
    const sc = cfg.states[name] ?? {};
    for (const k of Object.keys(sc)) if (!SUPPORTED_STATE.has(k)) throw new UnsupportedMachine(`${where}: state '${name}': key '${k}' is not supported`);
    const m = new Map<string, Candidate[]>();
    const own: Record<string, Candidate[]> = {};
    for (const [type, spec] of Object.entries(sc.on ?? {})) own[type] = candidates(spec, false, `states.${name}.on.${type}`);
    // XState looks at the state's own transitions first and falls back to the root's when none
    // of the state's guards pass: concatenating the two lists in that order is equivalent.
    for (const type of new Set([...Object.keys(own), ...Object.keys(rootOn)])) m.set(type, [...(own[type] ?? []), ...(rootOn[type] ?? [])]);
    table.push(m);
    always.push(candidates(sc.always, false, `states.${name}.always`));
  }
  const initial = index.get(cfg.initial);
  if (initial === undefined) throw new UnsupportedMachine(`${where}: initial state '${String(cfg.initial)}' not found`);

  const args = { context: undefined as any, event: undefined as any };
  const pick = (list: Candidate[] | undefined, context: any, event: any): Candidate | null => {
    if (!list) return null;
    args.context = context;
    args.event = event;
    for (const c of list) if (c.guard === null || c.guard(args)) return c;
    return null;
  };
  const apply = (c: Candidate, context: any, event: any) => {
    for (const e of c.effects) e(context, event);
  };
  const settle = (state: number, context: any, event: any): number => {
    // XState repeats eventless transitions until none is enabled; a machine that never settles
    // is a modelling error, reported rather than looped on.
    for (let n = 0; n < 64; n++) {
      const c = pick(always[state], context, event);
      if (!c) return state;
      apply(c, context, event);
      if (c.target >= 0) state = c.target;
    }
    throw new UnsupportedMachine(`${where}: eventless transitions do not settle from state '${stateNames[state]}'`);
  };
  const run = (state: number, context: any, event: { type: string }): [number, Candidate | null] => {
    const c = pick(table[state].get(event.type), context, event);
    if (c) {
      apply(c, context, event);
      if (c.target >= 0) state = c.target;
    }
    return [settle(state, context, event), c];
  };
  return {
    stateNames,
    initialState: initial,
    step: (state, context, event) => run(state, context, event)[0],
    explain(state, context, event) {
      const [s, c] = run(state, context, event);
      return { state: s, fired: c ? { eventType: event.type, guardName: c.guardName, actionNames: c.actionNames } : null };
    },
  };
}
