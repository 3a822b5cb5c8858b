/**
 * The Vitest matchers users add to their own suites (src/testing/matchers.ts): one passing
 * assertion, one failing one whose message carries the counterexample; the compiled matchers
 * (what 'dmaown/testing' loads) with a design from the sources.
 */
import { createRequire } from 'node:module';
import { beforeAll, describe, expect, it } from 'vitest';
import { design as v7 } from '../machines/v7';
import { design as v8 } from '../machines/v8';
import { dmaownMatchers } from '../src/testing/matchers';

beforeAll(async () => {
  expect.extend(await dmaownMatchers());
});

/** The message of the assertion error `f` throws. */
function failure(f: () => void): string {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('the assertion passed');
}

describe('dmaown vitest matchers', () => {
  it('passes: v7 keeps owned-isolation at 2 devices, and violates no-warn', () => {
    expect(v7).toSatisfyInvariant('owned-isolation', { devices: 2 });
    expect('v7').toViolate('no-warn', { devices: 2 });
    expect(v7).not.toSatisfyInvariant('no-warn', { devices: 2 });
  });

  it('fails with the counterexample: v7 does not satisfy no-mixed-dma', () => {
    const message = failure(() => expect(v7).toSatisfyInvariant('no-mixed-dma', { devices: 2 }));
    expect(message).toContain('expected v7 to satisfy no-mixed-dma, but no-mixed-dma is violated by v7 at 2 devices');
    expect(message).toContain('counterexample (5 calls): device 1 has a kernel DMA-API driver bound while file1 owns the group');
    expect(message).toMatch(/4 +claim\(owner=file1\) +0 +user-owned/);
    expect(message).toContain('replay: [{"type":"probe_device","dev":0}');
  });

  it('toSatisfy with an invariant name is the same matcher (plain JavaScript form)', () => {
    const loose = expect(v7) as unknown as { toSatisfy(name: string, o: object): void };
    loose.toSatisfy('owned-isolation', { devices: 2 });
    expect(failure(() => loose.toSatisfy('no-warn', { devices: 2 }))).toContain('counterexample (3 calls): WARN_ON fired in unbind_driver');
  });

  it('toViolate fails when the invariant holds, saying so', () => {
    expect(failure(() => expect(v7).toViolate('owned-isolation', { devices: 1 }))).toMatch(/expected v7 to violate owned-isolation, but owned-isolation holds for v7 at 1 device \(\d+ states\)/);
  });

  it("keeps Vitest's own toSatisfy(predicate) working", () => {
    expect(4).toSatisfy((n: number) => n % 2 === 0);
    expect(() => expect(3).toSatisfy((n: number) => n % 2 === 0)).toThrow();
  });

  it('refuses a non-design and an unknown invariant with a clear error', () => {
    expect(() => expect('nope').toSatisfyInvariant('no-warn')).toThrow(/expected a dmaown Design or a design name/);
    expect(() => expect(v7).toSatisfyInvariant('no-such-invariant')).toThrow(/unknown invariant 'no-such-invariant'/);
  });
});

describe('the compiled matchers with a design loaded from the sources', () => {
  // A suite in this repository that imports 'dmaown/testing' gets the matchers from dist/ while
  // its own design (machines/*.ts) is loaded from the sources: two copies of the checker, and
  // the compiled one must still run the design's effects.
  it("checks the source's v8 as the source's matchers do", async () => {
    const compiled = createRequire(__filename)('../dist/src/testing/matchers.js') as typeof import('../src/testing/matchers');
    const m = await compiled.dmaownMatchers();
    const ctx = { isNot: false };
    expect(m.toSatisfyInvariant.call(ctx, v8, 'no-mixed-dma', { devices: 2 }).pass).toBe(true);
    const fails = m.toSatisfyInvariant.call(ctx, v8, 'no-warn', { devices: 2 });
    expect(fails.pass).toBe(false);
    expect(fails.message()).toContain('expected v8 to satisfy no-warn, but no-warn is violated by v8 at 2 devices');
    expect(() => expect(v8).not.toSatisfyInvariant('no-warn', { devices: 2 })).not.toThrow();
  });
});
