import { describe, expect, it } from 'vitest';
import { check } from '../src/core/check';
import { mutexModel } from '../examples/mutex';

describe('machineModel on a non-IOMMU machine (examples/mutex.ts)', () => {
  it('correct mutex: counts derived by hand, mutual exclusion holds', () => {
    // By hand: states are (free, nobody in), (held, a in), (held, b in) = 3. From each state
    // both threads act once: 2 transitions each = 6 (a refused take is a self-loop). Depth 1.
    const m = mutexModel(false);
    const r = check(m);
    expect([r.states, r.transitions, r.depth]).toEqual([3, 6, 1]);
    expect(r.properties.find((p) => p.name === 'mutual-exclusion')!.verdict).toBe('holds');
    const ex = r.properties.find((p) => p.name === 'a-gets-in')!;
    expect(ex.verdict).toBe('example');
    expect(ex.path!.actions.map((a) => m.eventOf(a))).toEqual([{ type: 'take', who: 'a' }]);
  });

  it('off-by-one mutex: both get in, shortest counterexample is take a, take b', () => {
    // By hand: the three states above plus (held, both in) = 4; 2 transitions from each = 8; depth 2.
    const m = mutexModel(true);
    const r = check(m);
    expect([r.states, r.transitions, r.depth]).toEqual([4, 8, 2]);
    const v = r.properties.find((p) => p.name === 'mutual-exclusion')!;
    expect(v.verdict).toBe('violated');
    expect(v.path!.actions.map((a) => m.eventOf(a))).toEqual([{ type: 'take', who: 'a' }, { type: 'take', who: 'b' }]);
    const last = m.stateOf(Uint32Array.of(r.states - 1));
    expect(last.value).toBe('held');
  });
});
