import { assign } from 'xstate';
import { cloneContext, type GroupContext } from '../model/context';

/**
 * An effect mutates a context in place. It must be deterministic and touch nothing but the
 * context it is given: the same function runs inside XState (on a copy) and inside the compiled
 * transition function (on a packed view).
 */
export type Effect<C = GroupContext, E = any> = (context: C, event: E) => void;

/**
 * Where an action made with `effect()` keeps its raw function. A global symbol, not a module's
 * own WeakMap: a design loaded from the sources (src/, by vitest) and a checker loaded from dist/
 * (e.g. 'dmaown/testing') are two copies of this module, and must still see each other's effects.
 */
const RAW_EFFECT = Symbol.for('dmaown.effect');

/** Group contexts are copied field by field; any other context with structuredClone. */
function defaultClone<C>(c: C): C {
  const g = c as unknown as GroupContext;
  return Array.isArray(g?.devices) && Array.isArray(g?.users) ? (cloneContext(g) as unknown as C) : structuredClone(c);
}

/**
 * Wraps an effect as an XState `assign` action and remembers the raw function, so that
 * `compileMachine` can run the effect without XState. Use it for every action of a machine that
 * is to be compiled.
 */
// The return type is loosened to `any`: XState's assign typing cannot see that the wrapper
// keeps the machine's event type, and the compiled path never goes through it.
export function effect<C = GroupContext, E = any>(fn: Effect<C, E>, clone: (c: C) => C = defaultClone): any {
  const action = assign(({ context, event }: { context: any; event: any }) => {
    const next = clone(context as C);
    fn(next, event as E);
    return next;
  });
  Object.defineProperty(action, RAW_EFFECT, { value: fn });
  return action;
}

/** The raw effect behind an action made with `effect()`, if any. */
export function effectOf(action: unknown): Effect<any, any> | undefined {
  return typeof action === 'function' || (typeof action === 'object' && action !== null)
    ? (action as { [RAW_EFFECT]?: Effect<any, any> })[RAW_EFFECT]
    : undefined;
}
