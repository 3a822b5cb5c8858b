import { describe, expect, it } from 'vitest';
import { and, createActor, not, or, setup, stateIn } from 'xstate';
import { compileMachine } from '../src/machine/compileMachine';

interface Ctx { n: number }

/** A two-state machine whose one event `e` goes from `s` to `t` under `guard` (inline or a name). */
function machineWith(guard: unknown, guards: Record<string, unknown> = {}) {
  return setup({
    types: {} as { context: Ctx; events: { type: 'e' } },
    guards: { never: () => false, ...guards } as never,
  }).createMachine({
    id: 'm',
    context: { n: 0 },
    initial: 's',
    states: { s: { on: { e: { guard: guard as never, target: 't' } } }, t: {} },
  });
}

/** Where XState itself goes on `e` from the initial state. */
function xstateTarget(machine: ReturnType<typeof machineWith>): string {
  const actor = createActor(machine).start();
  actor.send({ type: 'e' });
  const v = actor.getSnapshot().value as string;
  actor.stop();
  return v;
}

describe('compileMachine refuses what it would compile wrongly', () => {
  // Each of these guards is true on the initial state, so XState takes the transition; called as
  // a plain function, a combinator returns false, and a compiled machine would stay in `s`.
  const combinators: [string, unknown][] = [
    ['not', not('never')],
    ['and', and([not('never'), not('never')])],
    ['or', or(['never', not('never')])],
    ['stateIn', stateIn('s')],
  ];
  for (const [name, guard] of combinators) {
    it(`an inline ${name}() guard: refused, naming it (XState takes the transition)`, () => {
      const m = machineWith(guard);
      expect(xstateTarget(m)).toBe('t');
      expect(() => compileMachine(m)).toThrow(`guard combinator ${name}()`);
    });
  }

  it('a named guard implemented with a combinator: refused, naming the guard', () => {
    const m = machineWith('notNever', { notNever: not('never') });
    expect(xstateTarget(m)).toBe('t');
    expect(() => compileMachine(m)).toThrow("guard 'notNever' is XState's guard combinator not()");
  });

  it('a plain inline guard function is compiled and agrees with XState', () => {
    for (const [guard, to] of [[() => true, 't'], [() => false, 's']] as const) {
      const m = machineWith(guard);
      const c = compileMachine(m);
      expect(xstateTarget(m)).toBe(to);
      expect(c.stateNames[c.step(c.initialState, { n: 0 }, { type: 'e' })]).toBe(to);
    }
  });
});
