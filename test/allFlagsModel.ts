/**
 * A model recipe for test/workers.test.ts that uses all 32 transition flags: a chain of states
 * 0 -> 1 -> ... -> 40 where step i carries flag i % 32 and some states have self-loops carrying
 * flag 31 too. Worker threads must report every flag as the model set it, bit 31 included.
 */
import type { PackedModel, Successors } from '../src/core/model';

export function allFlagsModel(args: null): PackedModel {
  const last = 40;
  const recipe = { module: __filename, exportName: 'allFlagsModel', args };
  return {
    words: 1,
    actionCount: 2,
    transitionFlags: Array.from({ length: 32 }, (_, i) => `f${i}`),
    initialStates: () => Uint32Array.of(0),
    successors(s: Uint32Array, out: Successors) {
      const n = s[0];
      if (n < last) { const o = out.push(0, (1 << (n % 32)) >>> 0); out.states[o] = n + 1; }
      if (n % 3 === 0) { const o = out.push(1, 0x80000000); out.states[o] = n; }
    },
    properties: [
      { kind: 'never-flag', name: 'no-f31', flag: 31 },
      { kind: 'never-flag', name: 'no-f5', flag: 5 },
      { kind: 'always', name: 'short', holds: (s: Uint32Array) => s[0] < 35 },
    ],
    recipe,
  };
}
