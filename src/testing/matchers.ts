// The module augmented below must be part of the program: the build imports nothing else from it.
import type {} from 'vitest';
import { checkDesign, type InvariantVerdict } from '../iommu/checkDesign';
import type { Design } from '../iommu/design';
import { loadDesigns } from '../iommu/designRegistry';
import type { Invariant } from '../iommu/invariant';
import { loadInvariants } from '../iommu/invariantRegistry';
import { MAX_DEVICES, MIN_DEVICES } from '../model/vocabulary';
import { traceText } from '../report/checkReport';
import { plural } from '../report/plural';

/** The bound of a matcher's check. */
export interface SatisfyOptions {
  /** Devices in the group, 1 to 8 (default 3). */
  readonly devices?: number;
  /** Stop the search once it stores more than this many distinct states (an undecided verdict then fails). */
  readonly maxStates?: number;
}

interface MatcherContext {
  readonly isNot: boolean;
}
interface MatcherResult {
  pass: boolean;
  message: () => string;
}

/**
 * The matchers' types, merged into Vitest's `expect(...)` (`Matchers` is Vitest's extension
 * point). `toSatisfy(name, options)` works too at run time, but Vitest types `toSatisfy` as its
 * own predicate matcher and a type cannot be given a second meaning: TypeScript suites use
 * `toSatisfyInvariant`.
 */
export interface DmaownMatchers<R = unknown> {
  /** The design (a `Design` or its name) satisfies the invariant at the bound; fails with the counterexample. */
  toSatisfyInvariant(invariant: string, options?: SatisfyOptions): R;
  /** The design violates the invariant at the bound (a known flaw); fails if it holds. */
  toViolate(invariant: string, options?: SatisfyOptions): R;
}

// Merges the matchers into Vitest's `expect(...)` types. It is in this file so that the build's
// matchers.d.ts carries it: a suite that imports 'dmaown/testing' gets the types with the code.
declare module 'vitest' {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  interface Matchers<T = any> extends DmaownMatchers<T> {}
}

const DEFAULT_DEVICES = 3;

function counterexampleText(design: Design, devices: number, v: Extract<InvariantVerdict, { verdict: 'violated' }>): string {
  return [
    `counterexample (${plural(v.counterexample.length, 'call')}): ${v.explanation}`,
    ...traceText({ design, devices }, v.trace),
    `  replay: ${JSON.stringify(v.counterexample)}`,
  ].join('\n');
}

/**
 * Vitest matchers for a project's own suite, checking a design exhaustively at a small bound:
 *
 *     expect.extend(await dmaownMatchers());
 *     expect(design).toSatisfyInvariant('no-mixed-dma', { devices: 3 });
 *     expect('v7').toViolate('no-warn', { devices: 2 });
 *
 * Loading is async (designs and invariants are found by importing their folders); the matchers
 * themselves are synchronous. `toSatisfy('no-mixed-dma', ...)` is the same as
 * `toSatisfyInvariant` at run time (plain JavaScript suites may use it); given a function it
 * keeps Vitest's own meaning (`expect(x).toSatisfy(predicate)`). A failure message carries the
 * shortest counterexample as numbered calls and a replay line.
 */
export async function dmaownMatchers() {
  const designs = await loadDesigns();
  const invariants = await loadInvariants();
  const cache = new Map<string, InvariantVerdict>();

  const resolve = (received: unknown, name: string, o: SatisfyOptions = {}): { design: Design; devices: number; v: InvariantVerdict } => {
    const design = typeof received === 'string' ? designs.find((d) => d.name === received) : (received as Design);
    if (!design || typeof design !== 'object' || typeof design.name !== 'string' || !design.machine) {
      throw new TypeError(`expected a dmaown Design or a design name (known: ${designs.map((d) => d.name).join(', ')}), got ${JSON.stringify(received)}`);
    }
    const inv: Invariant | undefined = invariants.find((i) => i.name === name);
    if (!inv) throw new TypeError(`unknown invariant '${name}' (known: ${invariants.map((i) => i.name).join(', ')})`);
    const devices = o.devices ?? DEFAULT_DEVICES;
    if (!Number.isInteger(devices) || devices < MIN_DEVICES || devices > MAX_DEVICES) throw new RangeError(`devices must be ${MIN_DEVICES} to ${MAX_DEVICES}, got ${devices}`);
    const key = `${design.name}|${devices}|${name}|${o.maxStates ?? ''}`;
    let v = cache.get(key);
    if (!v) {
      v = checkDesign(design, devices, [inv], o.maxStates !== undefined ? { maxStates: o.maxStates } : {}).verdicts[0];
      cache.set(key, v);
    }
    return { design, devices, v };
  };

  const describe = (design: Design, devices: number, v: InvariantVerdict): string => {
    const at = `${design.name} at ${plural(devices, 'device')}`;
    switch (v.verdict) {
      case 'holds': return `${v.name} holds for ${at} (${v.states} states)`;
      case 'unknown': return `${v.name} is undecided for ${at}: the search stopped after ${v.states} states`;
      case 'n/a': return `${v.name} does not apply to ${at}: ${v.reason}`;
      case 'violated': return `${v.name} is violated by ${at}\n${counterexampleText(design, devices, v)}`;
    }
  };

  function toSatisfyInvariant(this: MatcherContext, received: unknown, invariant: string, options?: SatisfyOptions): MatcherResult {
    const { design, devices, v } = resolve(received, invariant, options);
    return {
      pass: v.verdict === 'holds',
      message: () => `expected ${design.name} ${this.isNot ? 'not ' : ''}to satisfy ${v.name}, but ${describe(design, devices, v)}`,
    };
  }

  return {
    toSatisfyInvariant,
    toSatisfy(this: MatcherContext, received: unknown, invariant: unknown, options?: unknown): MatcherResult {
      if (typeof invariant !== 'function') return toSatisfyInvariant.call(this, received, String(invariant), options as SatisfyOptions);
      // Vitest's own toSatisfy(predicate, message?).
      const pass = Boolean((invariant as (x: unknown) => unknown)(received));
      const msg = typeof options === 'string' ? options : `expected ${JSON.stringify(received)} ${this.isNot ? 'not ' : ''}to satisfy ${invariant.name || 'the predicate'}`;
      return { pass, message: () => msg };
    },
    toViolate(this: MatcherContext, received: unknown, invariant: string, options?: SatisfyOptions): MatcherResult {
      const { design, devices, v } = resolve(received, invariant, options);
      return {
        pass: v.verdict === 'violated',
        message: () => `expected ${design.name} ${this.isNot ? 'not ' : ''}to violate ${v.name}, but ${describe(design, devices, v)}`,
      };
    },
  };
}
