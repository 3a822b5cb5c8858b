/**
 * A non-IOMMU example of checking any XState machine with dmaown's public API: a mutex taken
 * and given by two threads. `buggy` makes the busy check off by one (`count > 1` instead of
 * `count >= 1`), so both threads can get in. docs/checker-api.md walks through it.
 */
import { setup } from 'xstate';
import { effect } from '../src/machine/effect';
import { machineModel } from '../src/core/machineModel';

export type Thread = 'a' | 'b';
export interface MutexContext { count: number; inside: Record<Thread, boolean> }
export type MutexEvent = { type: 'take'; who: Thread } | { type: 'give'; who: Thread };

export function mutexMachine(buggy: boolean) {
  return setup({
    types: {} as { context: MutexContext; events: MutexEvent },
    guards: {
      busy: ({ context }) => (buggy ? context.count > 1 : context.count >= 1),
      held: ({ context }) => context.count > 0,
      free: ({ context }) => context.count === 0,
    },
    actions: {
      enter: effect<MutexContext, MutexEvent>((c, e) => { c.count++; c.inside[e.who] = true; }),
      leave: effect<MutexContext, MutexEvent>((c, e) => { c.count--; c.inside[e.who] = false; }),
    },
  }).createMachine({
    id: buggy ? 'mutex-buggy' : 'mutex',
    context: { count: 0, inside: { a: false, b: false } },
    initial: 'free',
    on: {
      take: [{ guard: 'busy' }, { actions: 'enter' }],
      give: { actions: 'leave' },
    },
    states: {
      free: { always: { guard: 'held', target: 'held' } },
      held: { always: { guard: 'free', target: 'free' } },
    },
  });
}

/** The checker's model: each thread takes when outside and gives when inside. */
export function mutexModel(buggy: boolean) {
  return machineModel<MutexContext, MutexEvent>({
    machine: mutexMachine(buggy),
    context: { count: 0, inside: { a: false, b: false } },
    events: ({ context }) =>
      (['a', 'b'] as const).map((who): MutexEvent => (context.inside[who] ? { type: 'give', who } : { type: 'take', who })),
    properties: [
      { kind: 'always', name: 'mutual-exclusion', holds: ({ context }) => !(context.inside.a && context.inside.b) },
      { kind: 'sometimes', name: 'a-gets-in', holds: ({ context }) => context.inside.a },
    ],
  });
}
