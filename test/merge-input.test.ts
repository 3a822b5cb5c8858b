/**
 * `dmaown merge` on shard results no `dmaown shard` writes: each is refused with an InputError
 * (one line, exit 2) naming the file and the field, never merged into nothing checked, an
 * overflowing sum or an internal error.
 */
import { describe, expect, it } from 'vitest';
import { InputError } from '../src/errors';
import { RECOVERY_LIMIT, RecoveryLimitExceeded, invariantStatuses } from '../src/explore/stateInvariants';
import { callersOf } from '../src/iommu/callers';
import type { Design } from '../src/iommu/design';
import { loadDesigns } from '../src/iommu/designRegistry';
import type { Invariant } from '../src/iommu/invariant';
import { loadInvariants } from '../src/iommu/invariantRegistry';
import { replayEvents } from '../src/iommu/replay';
import { shardJson } from '../src/report/shardReport';
import { checkShard } from '../src/swarm/checkShard';
import { mergedDesignCheck } from '../src/swarm/mergedDesignCheck';
import { indexList, mergeShards, type KnownNames, type ShardInput } from '../src/swarm/mergeShards';

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('merge refuses what no shard writes', async () => {
  const designs: Design[] = await loadDesigns();
  const invariants: Invariant[] = await loadInvariants();
  const design = (name: string) => designs.find((d) => d.name === name)!;
  const known: KnownNames = { designs: designs.map((d) => d.name), invariants: invariants.map((i) => i.name) };
  /** The three shards of v8 at 2 devices, as `dmaown shard --format json` writes them. */
  const docs: Doc[] = Array.from({ length: 3 }, (_, index) => JSON.parse(JSON.stringify(shardJson(checkShard(design('v8'), 2, invariants, { shards: 3, index, depth: 1 })))));
  /** The shards as merge reads them, each document edited by `edit` (a copy). */
  const inputs = (edit: (d: Doc, k: number) => void = () => {}): ShardInput[] => docs.map((doc, k) => {
    const d = structuredClone(doc);
    edit(d, k);
    return { file: `s${k}.json`, doc: d };
  });
  /** An InputError whose one line matches `re`. */
  const fails = (f: () => unknown, re: RegExp) => {
    expect(f).toThrow(InputError);
    expect(f).toThrow(re);
    try { f(); } catch (e) { expect((e as Error).message).not.toMatch(/\n/); }
  };

  it('genuine shards merge, with or without the known names', () => {
    expect(mergeShards(inputs()).invariants.length).toBe(invariants.length);
    expect(mergeShards(inputs(), known).invariants.map((v) => v.name)).toEqual(invariants.map((i) => i.name));
  });

  it('an empty "invariants" list, naming the file (merged it would check nothing and exit 0)', () => {
    fails(() => mergeShards(inputs((d) => { d.invariants = []; })), /^merge: s0.json: "invariants" is empty: a shard checks at least one invariant$/);
    fails(() => mergeShards(inputs((d, k) => { if (k === 2) d.invariants = []; })), /^merge: s2.json: "invariants" is empty/);
  });

  it('"devices" out of the range the shard\'s own symmetry allows', () => {
    fails(() => mergeShards(inputs((d) => { d.devices = 16; })), /^merge: s0.json: "devices" is not a whole number from 1 to 8, what 'dmaown shard' takes without --symmetry \("shard.symmetry" is false; up to 16 with it\)$/);
    fails(() => mergeShards(inputs((d) => { d.devices = 9; })), /s0.json: "devices" is not a whole number from 1 to 8/);
    fails(() => mergeShards(inputs((d) => { d.devices = 17; d.shard.symmetry = true; })), /^merge: s0.json: "devices" is not a whole number from 1 to 16, what 'dmaown shard --symmetry' takes$/);
    fails(() => mergeShards(inputs((d) => { d.devices = 0; })), /s0.json: "devices" is not a whole number from 1 to 8/);
    // With symmetry, 16 devices is a bound a shard can have.
    expect(mergeShards(inputs((d) => { d.devices = 16; d.shard.symmetry = true; })).devices).toBe(16);
    expect(mergeShards(inputs((d) => { d.devices = 8; })).devices).toBe(8);
  });

  it('an invariant listed twice in a shard, naming the file and the invariant', () => {
    fails(() => mergeShards(inputs((d, k) => { if (k === 1) d.invariants.push(d.invariants[0]); })), new RegExp(`^merge: s1.json: invariants\\[${invariants.length}\\]: ${invariants[0].name} is listed twice \\(also invariants\\[0\\]\\)`));
    // Listed twice in every shard (the shards then agree with each other): refused as well.
    fails(() => mergeShards(inputs((d) => { d.invariants[1] = { ...d.invariants[2] }; })), new RegExp(`^merge: s0.json: invariants\\[2\\]: ${invariants[2].name} is listed twice \\(also invariants\\[1\\]\\)`));
  });

  it('counts that are not whole numbers a double holds exactly, naming the file and the field', () => {
    const fields: [string, (d: Doc, x: number) => void][] = [
      ['"states"', (d, x) => { d.states = x; }],
      ['"transitions"', (d, x) => { d.transitions = x; }],
      ['"depth"', (d, x) => { d.depth = x; }],
      ['"elapsedMs"', (d, x) => { d.elapsedMs = x; }],
      ['"shard.depth"', (d, x) => { d.shard.depth = x; }],
      ['"shard.prefixStates"', (d, x) => { d.shard.prefixStates = x; }],
      ['"shard.frontier"', (d, x) => { d.shard.frontier = x; }],
      ['"shard.roots"', (d, x) => { d.shard.roots = x; }],
      ['"shard.index"', (d, x) => { d.shard.index = x; }],
      ['"shard.of"', (d, x) => { d.shard.of = x; }],
      [`invariants\\[0\\] \\(${invariants[0].name}\\): "states"`, (d, x) => { d.invariants[0].states = x; }],
    ];
    for (const [field, set] of fields) {
      for (const x of [1e308, 2 ** 53, -1, 1.5]) {
        fails(() => mergeShards(inputs((d, k) => { if (k === 1) set(d, x); })), new RegExp(`^merge: s1.json: ${field} is not a whole number from 0 to 9007199254740991$`));
      }
    }
  });

  it('sums past Number.MAX_SAFE_INTEGER', () => {
    const max = Number.MAX_SAFE_INTEGER;
    fails(() => mergeShards(inputs((d) => { d.states = max; })), /^merge: the shards' "states" add up to more than 9007199254740991: not counts a shard writes$/);
    fails(() => mergeShards(inputs((d) => { d.transitions = max - 1; })), /the shards' "transitions" add up to more than/);
    fails(() => mergeShards(inputs((d) => { d.elapsedMs = max; })), /the shards' "elapsedMs" add up to more than/);
    const holding = docs[0].invariants.findIndex((v: Doc) => v.verdict === 'holds');
    const name = docs[0].invariants[holding].name;
    fails(() => mergeShards(inputs((d) => { d.invariants[holding].states = max; })), new RegExp(`the shards' ${name} "states" add up to more than`));
    // One shard's count alone may be as large as a safe integer.
    expect(mergeShards(inputs((d, k) => { d.states = k === 0 ? max - 2 : 1; })).states).toBe(max);
  });

  it('an unknown design or invariant, naming the file and the field; a list of designs in merge\'s own words', () => {
    const list = `\\(known: ${known.designs.join(', ')}\\)`;
    fails(() => mergeShards(inputs((d) => { d.design = 'nope'; }), known), new RegExp(`^merge: s0.json: "design": unknown design 'nope' ${list}$`));
    fails(() => mergeShards(inputs((d) => { d.design = 'v7,v8'; }), known), new RegExp(`^merge: s0.json: "design": 'v7,v8' is a list of designs, but a shard result names one ${list}$`));
    const f = () => mergeShards(inputs((d) => { d.design = 'v7, v8'; }), known);
    fails(f, /is a list of designs/);
    expect(f).not.toThrow(/compare|--design/);
    fails(() => mergeShards(inputs((d, k) => { if (k === 2) d.invariants[1].name = 'nope'; }), known), new RegExp(`^merge: s2.json: invariants\\[1\\]: unknown invariant 'nope' \\(known: ${known.invariants.join(', ')}\\)$`));
    // A name too long for one line is cut.
    fails(() => mergeShards(inputs((d) => { d.design = 'x'.repeat(20_000); }), known), /unknown design 'x{57}\.\.\.' \(known/);
  });

  it('missing shards as ranges, on one short line', () => {
    expect(indexList([2])).toBe('2');
    expect(indexList([0, 1])).toBe('0 and 1');
    expect(indexList([1, 3, 4, 5, 6, 7, 9])).toBe('1, 3 to 7 and 9');
    expect(indexList([3, 4, 5, 8, 9])).toBe('3 to 5, 8 and 9');
    expect(indexList(Array.from({ length: 4093 }, (_, i) => i + 3))).toBe('3 to 4095');
    const odd = Array.from({ length: 2048 }, (_, i) => 2 * i + 1);
    expect(indexList(odd)).toBe('1, 3, 5, 7, 9, 11, 13, 15 and 2040 more');
    expect(indexList([0, 2, 4, 6, 8, 10, 12, 14, 16, 18])).toBe('0, 2, 4, 6, 8, 10, 12, 14, 16 and 18');
    expect(indexList([0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 21, 22, 23])).toBe('0, 2, 4, 6, 8, 10, 12, 14 and 6 more');
    // Shard files of a run of K shards, of which only `given` are there.
    const of = (K: number, given: readonly number[]) => given.map((index) => ({ file: `s${index}.json`, doc: { ...docs[0], shard: { ...docs[0].shard, of: K, index } } }));
    fails(() => mergeShards(of(4096, [0, 1, 2])), /^merge: missing shards 3 to 4095 of 4096 \(indexes 0 to 4095\)$/);
    fails(() => mergeShards(of(10, [0, 2, 8])), /^merge: missing shards 1, 3 to 7 and 9 of 10 \(indexes 0 to 9\)$/);
    const even = () => mergeShards(of(4096, Array.from({ length: 2048 }, (_, i) => 2 * i)));
    fails(even, /^merge: missing shards 1, 3, 5, 7, 9, 11, 13, 15 and 2040 more of 4096 \(indexes 0 to 4095\)$/);
    try { even(); } catch (e) { expect((e as Error).message.length).toBeLessThan(120); }
  });

  it('a viability counterexample whose last state has too many clean-up states to confirm: an InputError naming the shard and the invariant, not an internal error', () => {
    // v7 at 2 devices breaks viability; each shard found it.
    const v7 = design('v7');
    const viability = invariants.filter((i) => i.name === 'viability');
    const shards = Array.from({ length: 2 }, (_, index) => ({ file: `v${index}.json`, doc: JSON.parse(JSON.stringify(shardJson(checkShard(v7, 2, viability, { shards: 2, index, depth: 1 })))) as unknown }));
    const m = mergeShards(shards, known);
    expect(m.invariants[0].verdict).toBe('violated');
    expect(mergedDesignCheck(m, v7, viability).verdicts[0].verdict).toBe('violated');
    fails(() => mergedDesignCheck(m, v7, viability, 1), new RegExp(`^merge: shard ${m.invariants[0].shard}'s viability counterexample: its last state could not be confirmed to break viability: more than 1 states are reachable from it by clean-up alone$`));
    // The search's own error is typed and keeps its limit; by default the limit is 200,000.
    const trace = replayEvents(v7, 2, m.invariants[0].counterexample as never[]);
    const last = trace[trace.length - 1];
    const statuses = (limit?: number) => invariantStatuses(v7, callersOf(v7, 2), viability, last.state, last.context, last, limit);
    expect(statuses()[0].status).toBe('broken');
    expect(() => statuses(1)).toThrow(RecoveryLimitExceeded);
    expect(() => statuses(1)).toThrow(/^viability: more than 1 states reachable by clean-up alone$/);
    expect(RECOVERY_LIMIT).toBe(200_000);
  });
});
