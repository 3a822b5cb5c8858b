/**
 * The generic checker on small hand-built models whose state counts, depths and shortest paths
 * are derived by hand in the comments.
 */
import { describe, expect, it } from 'vitest';
import { check } from '../src/core/check';
import type { PackedModel, Property, Successors } from '../src/core/model';

/** A W x H grid walked from (0,0) by `right` (action 0) and `up` (action 1); row = [x, y]. */
function grid(W: number, H: number, properties: Property[], flagUpAtX = -1): PackedModel {
  return {
    words: 2,
    actionCount: 2,
    transitionFlags: ['marked'],
    properties,
    initialStates: () => Uint32Array.of(0, 0),
    successors(s: Uint32Array, out: Successors) {
      const [x, y] = s;
      if (x < W - 1) { const o = out.push(0, 0); out.states[o] = x + 1; out.states[o + 1] = y; }
      if (y < H - 1) { const o = out.push(1, x === flagUpAtX ? 1 : 0); out.states[o] = x; out.states[o + 1] = y + 1; }
    },
  };
}

/**
 * A counter 0..4 from `start`: `inc` (action 0) and `dec` (action 1); with the trap, from 3
 * `jump` (action 2) to 9, where nothing is enabled. One recoverable property: goal 0, via `dec`
 * only; each state its goal is evaluated on is pushed to `calls`.
 */
function counter(withTrap: boolean, start = 0, calls: number[] = []): PackedModel {
  return {
    words: 1, actionCount: 3, transitionFlags: [],
    properties: [{ kind: 'recoverable', name: 'back-to-zero', via: (a) => a === 1, goal: (s) => { calls.push(s[0]); return s[0] === 0; } }],
    initialStates: () => Uint32Array.of(start),
    successors(s, out) {
      const v = s[0];
      if (v === 9) return;
      if (v < 4) out.states[out.push(0, 0)] = v + 1;
      if (v > 0) out.states[out.push(1, 0)] = v - 1;
      if (withTrap && v === 3) out.states[out.push(2, 0)] = 9;
    },
  };
}

describe('check() on fixtures with hand-derived counts', () => {
  it('grid: W*H states, H(W-1)+W(H-1) transitions, depth W+H-2', () => {
    const r = check(grid(4, 3, []));
    expect(r.states).toBe(12);
    expect(r.transitions).toBe(3 * 3 + 4 * 2);
    expect(r.depth).toBe(5);
    expect(r.complete).toBe(true);
  });

  it('always: shortest counterexample to the first bad state', () => {
    // (2,1) is 3 steps away; BFS numbering with right before up finds right, right, up.
    const r = check(grid(4, 3, [{ kind: 'always', name: 'avoid-2-1', holds: (s) => !(s[0] === 2 && s[1] === 1) }]));
    const p = r.properties[0];
    expect(p.verdict).toBe('violated');
    expect(p.path).toEqual({ init: 0, actions: [0, 0, 1] });
  });

  it('sometimes: example path, and no-example when unreachable', () => {
    const r = check(grid(3, 3, [
      { kind: 'sometimes', name: 'corner', holds: (s) => s[0] === 2 && s[1] === 2 },
      { kind: 'sometimes', name: 'outside', holds: (s) => s[0] > 5 },
    ]));
    expect(r.properties[0].verdict).toBe('example');
    expect(r.properties[0].path!.actions).toHaveLength(4);
    expect(r.properties[1].verdict).toBe('no-example');
  });

  it('never-flag: the flagged transition ends the counterexample', () => {
    const r = check(grid(4, 3, [{ kind: 'never-flag', name: 'no-mark', flag: 0 }], 2));
    expect(r.properties[0].verdict).toBe('violated');
    expect(r.properties[0].path!.actions).toEqual([0, 0, 1]);
  });

  it('recoverable: holds when every state can walk back, violated at the first trap', () => {
    // 9 is reached by inc,inc,inc,jump.
    expect(check(counter(false)).properties[0].verdict).toBe('holds');
    const r = check(counter(true));
    expect(r.states).toBe(6);
    expect(r.properties[0].verdict).toBe('violated');
    expect(r.properties[0].path!.actions).toEqual([0, 0, 0, 2]);
  });

  it('recoverable: a goal is evaluated only where no clean-up step leads to a state already known to reach it', () => {
    // The counter, from `start`, with the trap when asked. From 0 the
    // states are expanded in the order 0, 1, 2, 3, 4, and each of 1..4 steps down by `dec` to the
    // state expanded just before it, which already reaches 0: only 0's own goal is evaluated.
    // From 2 the order is 2, 3, 1, 4, 0 (BFS, `inc` before `dec`). 2 steps down to 1, not yet
    // expanded: its own goal (2) fails, so the clean-up steps from it are searched, evaluating
    // 1's goal and then 0's, which holds. 3 steps down to 2, known now. 1 steps down to 0, not
    // yet expanded: 1's goal, then 0's again. 4 steps down to 3. 0's goal is evaluated as it is
    // expanded. So the goals evaluated are 2, 1, 0, 1, 0, 0. With the trap (from 0: ids 0, 1, 2,
    // 3, 4, 9), 9 has no step at all: its goal fails, the search from it finds nothing, and 9 is
    // the first stuck state; the goals evaluated are 0's and 9's.
    const fromZero: number[] = [];
    expect(check(counter(false, 0, fromZero)).properties[0].verdict).toBe('holds');
    expect(fromZero).toEqual([0]);
    const fromTwo: number[] = [];
    const r = check(counter(false, 2, fromTwo));
    expect(r.states).toBe(5);
    expect(r.properties[0].verdict).toBe('holds');
    expect(fromTwo).toEqual([2, 1, 0, 1, 0, 0]);
    const trapped: number[] = [];
    const t = check(counter(true, 0, trapped));
    expect(t.properties[0].verdict).toBe('violated');
    expect(t.properties[0].path!.actions).toEqual([0, 0, 0, 2]);
    expect(trapped).toEqual([0, 9]);
  });

  it('recoverable: the search from a stuck candidate is charged to the memory budget', () => {
    // 0 (the goal) --go--> 1, then `up` (the one clean-up action) from 1 along a chain
    // 2, 3, ..., N, none of them the goal. 0 is settled as the goal; 1 is settled when the store
    // holds 0, 1 and 2, and its clean-up steps lead to 2, not settled yet, so the search from 1
    // walks the whole chain: rows 1 to N in a visited set of its own, which a 4 MiB budget cannot
    // hold when N is 2 million (about 8 MiB of rows alone). That search stops the check there, with
    // 3 states stored and the property undecided; without a budget, 1 is the first stuck state.
    const chain = (N: number): PackedModel => ({
      words: 1, actionCount: 2, transitionFlags: [],
      properties: [{ kind: 'recoverable', name: 'home', via: (a) => a === 1, goal: (s) => s[0] === 0 }],
      initialStates: () => Uint32Array.of(0),
      successors(s, out) {
        if (s[0] === 0) out.states[out.push(0, 0)] = 1;
        else if (s[0] < N) out.states[out.push(1, 0)] = s[0] + 1;
      },
    });
    const limit = 4 * 1024 * 1024;
    const r = check(chain(2_000_000), { maxMemory: limit });
    expect(r.complete).toBe(false);
    expect(r.stopReason).toMatch(/memory/);
    expect(r.states).toBe(3);
    expect(r.properties[0].verdict).toBe('unknown');
    expect(r.peakBytes).toBeLessThanOrEqual(limit);
    const small = check(chain(1000));
    expect(small.states).toBe(1001);
    expect(small.properties[0].verdict).toBe('violated');
    expect(small.properties[0].path).toEqual({ init: 0, actions: [0] });
  });

  it('duplicate initial states are stored once; several initial states are each path roots', () => {
    const m: PackedModel = {
      words: 1, actionCount: 1, transitionFlags: [],
      properties: [{ kind: 'always', name: 'not-7', holds: (s) => s[0] !== 7 }],
      initialStates: () => Uint32Array.of(5, 5, 6),
      successors(s, out) { if (s[0] === 6) out.states[out.push(0, 0)] = 7; },
    };
    const r = check(m);
    expect(r.states).toBe(3);
    expect(r.properties[0].path).toEqual({ init: 2, actions: [0] });
  });

  it('a state budget stops the search: incomplete, undecided properties unknown', () => {
    const r = check(grid(50, 50, [{ kind: 'always', name: 'fine', holds: () => true }]), { maxStates: 100 });
    expect(r.complete).toBe(false);
    expect(r.stopReason).toMatch(/max-states/);
    expect(r.properties[0].verdict).toBe('unknown');
  });

  it('a memory budget stops the search cleanly instead of allocating past it', () => {
    const big = grid(4000, 4000, []);
    const r = check(big, { maxMemory: 4 * 1024 * 1024 });
    expect(r.complete).toBe(false);
    expect(r.stopReason).toMatch(/memory/);
    expect(r.peakBytes).toBeLessThanOrEqual(4 * 1024 * 1024);
  });

  it('unknown property names are refused', () => {
    expect(() => check(grid(2, 2, []), { properties: ['nope'] })).toThrow(/unknown property 'nope'/);
  });
});
