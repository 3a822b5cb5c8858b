/**
 * `dmaown merge` on shard results no `dmaown shard` writes: each is refused with an InputError
 * (one line, exit 2) naming the file and the field, never merged into nothing checked, an
 * overflowing sum or an internal error.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mergeCommand, shardInputs } from '../src/cli/mergeCommand';
import { DECIDED_REASON } from '../src/core/searchLoop';
import { InputError } from '../src/errors';
import { RECOVERY_LIMIT, RecoveryLimitExceeded, invariantStatuses } from '../src/explore/stateInvariants';
import { callersOf } from '../src/iommu/callers';
import type { Design } from '../src/iommu/design';
import { checkDesign } from '../src/iommu/checkDesign';
import { loadDesigns } from '../src/iommu/designRegistry';
import type { Invariant } from '../src/iommu/invariant';
import { loadInvariants } from '../src/iommu/invariantRegistry';
import { replayEvents } from '../src/iommu/replay';
import { mergeJson, mergeText } from '../src/report/mergeReport';
import { shardJson } from '../src/report/shardReport';
import { checkShard, type ShardOptions } from '../src/swarm/checkShard';
import { checkedVerdicts, mergedDesignCheck } from '../src/swarm/mergedDesignCheck';
import { indexList, knownNames, MAX_COUNTEREXAMPLE_CALLS, mergeShards, type KnownNames, type ShardInput } from '../src/swarm/mergeShards';
import { checkJunit } from '../src/report/junitReport';
import { checkMarkdown } from '../src/report/markdownReport';

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('merge refuses what no shard writes', async () => {
  const designs: Design[] = await loadDesigns();
  const invariants: Invariant[] = await loadInvariants();
  const design = (name: string) => designs.find((d) => d.name === name)!;
  const known: KnownNames = { designs: designs.map((d) => d.name), invariants: invariants.map((i) => i.name) };
  /** What `dmaown merge` knows: the names, and which invariants each design rules out. */
  const full: KnownNames = knownNames(designs, invariants);
  /** Every shard of a run, as `dmaown shard --format json` writes them. */
  const shardDocs = (name: string, o: Omit<ShardOptions, 'index'>): Doc[] => Array.from({ length: o.shards }, (_, index) => JSON.parse(JSON.stringify(shardJson(checkShard(design(name), 2, invariants, { ...o, index })))));
  /** The three shards of v8 at 2 devices. */
  const docs: Doc[] = shardDocs('v8', { shards: 3, depth: 1 });
  /** The shards of `of` as merge reads them (named `PREFIX0.json` ...), each document edited by `edit` (a copy). */
  const inputsOf = (of: readonly Doc[], prefix: string) => (edit: (d: Doc, k: number) => void = () => {}): ShardInput[] => of.map((doc, k) => {
    const d = structuredClone(doc);
    edit(d, k);
    return { file: `${prefix}${k}.json`, doc: d };
  });
  const inputs = inputsOf(docs, 's');
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

  it('every shard\'s counterexample is checked, not only the one merge prints: malformed events, or more calls than the shard searched, are refused naming the file', () => {
    const v7docs = shardDocs('v7', { shards: 2, depth: 2 });
    const v7in = inputsOf(v7docs, 'v');
    const k = v7docs[0].invariants.findIndex((v: Doc) => v.verdict === 'violated');
    const name = v7docs[0].invariants[k].name as string;
    // Both shards find it, with counterexamples of the same length: shard 0's is printed, and
    // shard 1's events are checked all the same.
    expect(v7docs[1].invariants[k].counterexample.length).toBe(v7docs[0].invariants[k].counterexample.length);
    expect(mergeShards(v7in(), full).invariants[k]).toMatchObject({ verdict: 'violated', shard: 0 });
    for (const [event, problem] of [[{ type: 'probe_device', dev: 99 }, /device/], [{ type: 'zap' }, /unknown event type/], [{ type: 'probe_device', dev: '0' }, /dev/]] as const) {
      fails(() => mergeShards(v7in((d, s) => { if (s === 1) d.invariants[k].counterexample[0] = event; }), full),
        new RegExp(`^merge: v1\\.json: invariants\\[${k}\\] \\(${esc(name)}\\) counterexample step 0: .*${problem.source}`));
    }
    // Longer than the shard's search went: refused before anything is replayed.
    const depth = v7docs[0].depth as number;
    const long = [...Array.from({ length: 150_000 }, () => ({ type: 'owner_claimed' })), ...v7docs[0].invariants[k].counterexample];
    fails(() => mergeShards(v7in((d, s) => { if (s === 1) d.invariants[k].counterexample = long; }), full),
      new RegExp(`^merge: v1\\.json: invariants\\[${k}\\] \\(${esc(name)}\\): a counterexample of 150,0\\d\\d calls, longer than the shard's search went \\(depth ${depth}, prefix depth 2\\): at most ${depth + 1} calls$`));
    // One call longer than the shard stored states to is refused; as long is not.
    const padded = (n: number) => [...Array.from({ length: n }, () => ({ type: 'owner_claimed' })), ...v7docs[0].invariants[k].counterexample];
    const room = depth + 1 - v7docs[0].invariants[k].counterexample.length;
    expect(() => mergeShards(v7in((d, s) => { if (s === 0) d.invariants[k].counterexample = padded(room); }), full)).not.toThrow();
    fails(() => mergeShards(v7in((d, s) => { if (s === 0) d.invariants[k].counterexample = padded(room + 1); }), full), /^merge: v0\.json: .*longer than the shard's search went/);
  });

  it(`a counterexample of up to ${MAX_COUNTEREXAMPLE_CALLS.toLocaleString('en-US')} calls, whatever depth the file gives, is replayed and printed in every format; one more is refused`, () => {
    const v7 = design('v7');
    const v7docs = shardDocs('v7', { shards: 2, depth: 2 });
    const k = v7docs[0].invariants.findIndex((v: Doc) => v.name === 'no-warn');
    const ce = v7docs[0].invariants[k].counterexample as Doc[];
    // Device 1 joins and leaves the group: the state is as before, so the counterexample still ends in its WARN.
    const pairs = Math.floor((MAX_COUNTEREXAMPLE_CALLS - ce.length) / 2);
    const long = [...Array.from({ length: pairs }, () => [{ type: 'probe_device', dev: 1 }, { type: 'release_device', dev: 1 }]).flat(), ...ce];
    const forged = (calls: readonly Doc[]) => inputsOf(v7docs, 'v')((d) => { d.depth = 10 ** 9; d.invariants[k].counterexample = calls; });
    const m = mergeShards(forged(long), full);
    const dc = mergedDesignCheck(m, v7, invariants);
    const verdict = dc.verdicts[k];
    expect(verdict.verdict === 'violated' && verdict.trace.length).toBe(long.length);
    const run = { dc, expect: {}, shards: m.shards.length };
    const text = mergeText({ ...m, invariants: checkedVerdicts(m, dc) }, dc);
    expect(text.split('\n').length).toBeGreaterThan(long.length);
    expect(checkMarkdown([run]).split('\n').length).toBeGreaterThan(long.length);
    expect(checkJunit([run])).toContain('no-warn');
    const over = [{ type: 'owner_claimed' }, ...long, ...(long.length < MAX_COUNTEREXAMPLE_CALLS ? [{ type: 'owner_claimed' }] : [])];
    expect(over.length).toBeGreaterThan(MAX_COUNTEREXAMPLE_CALLS);
    fails(() => mergeShards(forged(over), full), new RegExp(`at most ${MAX_COUNTEREXAMPLE_CALLS.toLocaleString('en-US')} calls$`));
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

  // singleton rules refcount-balance out (it keeps no owner count); v7 breaks several invariants.
  const singleton = design('singleton');
  const singletonReason = singleton.notApplicable!['refcount-balance'];
  const single = inputsOf(shardDocs('singleton', { shards: 2, depth: 1 }), 't');
  const rb = invariants.findIndex((i) => i.name === 'refcount-balance');
  const typeOk = invariants.findIndex((i) => i.name === 'type-ok');
  const esc = (t: string) => t.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

  it('genuine shards of a design that rules an invariant out merge, n/a with the design\'s reason', () => {
    expect(singletonReason).toBeTruthy();
    expect(single()[0].doc).toMatchObject({ invariants: { [rb]: { name: 'refcount-balance', verdict: 'n/a', reason: singletonReason } } });
    const m = mergeShards(single(), full);
    expect(m.invariants[rb]).toEqual({ name: 'refcount-balance', verdict: 'n/a', reason: singletonReason });
    expect(mergedDesignCheck(m, singleton, invariants).verdicts[rb]).toEqual({ name: 'refcount-balance', verdict: 'n/a', reason: singletonReason });
    // Every design: the merged verdicts are n/a exactly where the design says so.
    expect(mergeShards(inputs(), full).invariants.map((v) => v.verdict === 'n/a')).toEqual(invariants.map((i) => full.notApplicable!('v8', i.name) !== undefined));
  });

  it('an n/a verdict whose reason is not a string, naming the file and the invariant; a string reason is the design\'s, not the file\'s', () => {
    for (const reason of [{ why: 'x' }, 7, null, '', ['a']]) {
      fails(() => mergeShards(single((d, k) => { if (k === 1) d.invariants[rb].reason = reason; })), new RegExp(`^merge: t1.json: invariants\\[${rb}\\] \\(refcount-balance\\): "reason" is not a string: an n/a verdict says why$`));
      fails(() => mergeShards(single((d) => { delete d.invariants[rb].reason; }), full), /^merge: t0.json: invariants\[\d+\] \(refcount-balance\): "reason" is not a string/);
    }
    // An edited reason (on two lines, say) is not printed: the design says why.
    const edited = single((d) => { d.invariants[rb].reason = 'EDITED\nsecond line'; });
    expect(mergeShards(edited, full).invariants[rb].reason).toBe(singletonReason);
    // Without the design's word in mergeShards, mergedDesignCheck still takes the design's.
    const m = mergeShards(edited);
    const dc = mergedDesignCheck(m, singleton, invariants);
    expect(dc.verdicts[rb]).toEqual({ name: 'refcount-balance', verdict: 'n/a', reason: singletonReason });
    const shown = { ...m, invariants: checkedVerdicts(m, dc) };
    expect(shown.invariants[rb]).toEqual({ name: 'refcount-balance', verdict: 'n/a', reason: singletonReason });
    expect(mergeText(shown, dc)).not.toMatch(/EDITED|object Object/);
    expect(mergeText(shown, dc)).toContain(singletonReason);
    expect(JSON.stringify(mergeJson(shown, dc))).not.toMatch(/EDITED/);
  });

  it('a verdict that contradicts the design\'s own applicability, naming the file and the invariant', () => {
    // type-ok applies to v8: a shard cannot say n/a.
    const naTypeOk = (d: Doc) => { d.invariants[typeOk] = { name: 'type-ok', verdict: 'n/a', reason: 'it does not apply' }; };
    fails(() => mergeShards(inputs(naTypeOk), full), new RegExp(`^merge: s0.json: invariants\\[${typeOk}\\] \\(type-ok\\): the shard says n/a, but it applies to v8$`));
    // refcount-balance is n/a for singleton: a shard cannot say holds, unknown or violated.
    for (const verdict of ['holds', 'unknown']) {
      fails(() => mergeShards(single((d, k) => { if (k === 1) d.invariants[rb] = { name: 'refcount-balance', verdict, states: 10 }; }), full),
        new RegExp(`^merge: t1.json: invariants\\[${rb}\\] \\(refcount-balance\\): the shard says ${verdict}, but it is n/a for singleton \\(${esc(singletonReason)}\\)$`));
    }
    const violated = { name: 'refcount-balance', verdict: 'violated', states: 10, explanation: 'x', counterexample: [], trace: [] };
    fails(() => mergeShards(single((d) => { d.invariants[rb] = violated; }), full), /^merge: t0.json: invariants\[\d+\] \(refcount-balance\): the shard says violated, but it is n\/a for singleton/);
    // Without the design's word in mergeShards (they merge), mergedDesignCheck refuses them.
    fails(() => mergedDesignCheck(mergeShards(inputs(naTypeOk)), design('v8'), invariants), /^merge: type-ok: the shards say n\/a, but it applies to v8$/);
    const holds = mergeShards(single((d) => { d.invariants[rb] = { name: 'refcount-balance', verdict: 'holds', states: 10 }; }));
    expect(holds.invariants[rb].verdict).toBe('holds');
    fails(() => mergedDesignCheck(holds, singleton, invariants), new RegExp(`^merge: refcount-balance: the shards say holds, but it is n/a for singleton \\(${esc(singletonReason)}\\)$`));
  });

  it('"shard.reducedBy" that no shard writes (set without --symmetry, empty, or not one line), and a "shard.digest" that is not 8 hex digits', () => {
    fails(() => mergeShards(inputs((d, k) => { if (k === 2) d.shard.reducedBy = 'device renumbering'; })), /^merge: s2.json: "shard.reducedBy" is not null, but "shard.symmetry" is false: a shard is reduced only with --symmetry$/);
    for (const text of ['devices\nFAKE: line', 'a\rb', 'tab\there', 'esc\u001b[31m', 'line\u2028sep']) {
      fails(() => mergeShards(inputs((d) => { d.shard.symmetry = true; d.shard.reducedBy = text; })), /^merge: s0.json: "shard.reducedBy" is not one line of text \(it has a control character\): not what a shard writes$/);
    }
    fails(() => mergeShards(inputs((d) => { d.shard.symmetry = true; d.shard.reducedBy = ''; })), /^merge: s0.json: "shard.reducedBy" is empty/);
    // The digest, also on the report's header line, is eight hex digits.
    expect(docs[0].shard.digest).toMatch(/^[0-9a-f]{8}$/);
    for (const digest of ['abc\ndef0', 'ABCDEF01', '123456789', 12345678]) {
      fails(() => mergeShards(inputs((d) => { d.shard.digest = digest; })), /^merge: s0.json: "shard.digest" is not 8 hex digits \(what a shard writes\)$/);
    }
    // What shards do write: null without --symmetry, or with it where no symmetry applies (checkShard), else one line.
    expect(mergeShards(inputs()).run).toMatchObject({ symmetry: false, reducedBy: null });
    expect(mergeShards(inputs((d) => { d.shard.symmetry = true; }), full).run).toMatchObject({ symmetry: true, reducedBy: null });
    const sym = mergeShards(inputsOf(shardDocs('v8', { shards: 2, depth: 1, symmetry: true }), 'y')(), full);
    expect(sym.run.symmetry).toBe(true);
    expect(sym.run.reducedBy).toMatch(/^[^\n]+$/);
  });

  it('"stopReason" as shards write it: present, one line, exactly when the shard stopped early', () => {
    const stopped = shardDocs('v8', { shards: 2, depth: 1, maxStates: 3 });
    expect(stopped.map((d) => d.complete)).toEqual([false, false]);
    const inputsStopped = inputsOf(stopped, 'm');
    expect(mergeShards(inputsStopped()).shards.map((s) => s.stopReason)).toEqual(stopped.map((d) => d.stopReason));
    fails(() => mergeShards(inputsStopped((d, k) => { if (k === 1) delete d.stopReason; })), /^merge: m1.json: "complete" is false but "stopReason" is missing or not a string: a shard that stopped early writes why, in one line$/);
    fails(() => mergeShards(inputsStopped((d) => { d.stopReason = ''; })), /^merge: m0.json: "complete" is false but "stopReason" is empty/);
    fails(() => mergeShards(inputsStopped((d) => { d.stopReason = '--max-states 3 reached\nFAKE: all invariants hold'; })), /^merge: m0.json: "complete" is false but "stopReason" is not one line of text \(it has a control character\)/);
    fails(() => mergeShards(inputs((d, k) => { if (k === 0) d.stopReason = 'x'; })), /^merge: s0.json: "complete" is true but there is a "stopReason": a shard that completed writes none$/);
  });

  it('a decided stop ("stopReason" of --stop-when-decided) only with every invariant violated or n/a', () => {
    const violatedNames = ['no-warn', 'owned-isolation'];
    const inv = invariants.filter((i) => violatedNames.includes(i.name));
    const decided = Array.from({ length: 2 }, (_, index) => JSON.parse(JSON.stringify(shardJson(checkShard(design('jgg-draft'), 3, inv, { shards: 2, index, depth: 1, stopWhenDecided: true })))) as Doc);
    expect(decided.map((d) => [d.complete, d.stopReason])).toEqual([[false, DECIDED_REASON], [false, DECIDED_REASON]]);
    const of = inputsOf(decided, 'w');
    expect(mergeShards(of(), full).stopReason).toBe(DECIDED_REASON);
    fails(() => mergeShards(of((d, k) => { if (k === 1) d.invariants[0] = { name: d.invariants[0].name, verdict: 'unknown', states: 3 }; })),
      /^merge: w1.json: "stopReason" says every invariant was decided, but no-warn's verdict is unknown: a shard stops once decided only when each invariant it checks is violated \(or n\/a\)$/);
    fails(() => mergeShards(of((d) => { d.invariants = d.invariants.map((v: Doc) => ({ name: v.name, verdict: 'holds', states: 3 })); })),
      /^merge: w0.json: "stopReason" says every invariant was decided, but no-warn's verdict is holds/);
  });

  it('a file holding one JSON array of shard results: each element one shard, named by position', () => {
    const texts: Record<string, string> = {
      'arr.json': JSON.stringify(docs),
      'pretty.json': JSON.stringify(docs.slice(1), null, 2),
      'one.json': JSON.stringify(docs[0]),
      'empty.json': ' [ ] ',
      'nested.json': JSON.stringify([docs]),
      '-': JSON.stringify(docs[1]) + JSON.stringify(docs[2]),
    };
    const read = (f: string) => texts[f];
    const arr = shardInputs(['arr.json'], read);
    expect(arr.map((i) => i.file)).toEqual(['arr.json #1', 'arr.json #2', 'arr.json #3']);
    expect(mergeShards(arr, full)).toEqual(mergeShards(inputs(), full));
    expect(shardInputs(['one.json', 'pretty.json'], read).map((i) => i.file)).toEqual(['one.json', 'pretty.json #1', 'pretty.json #2']);
    expect(mergeShards(shardInputs(['pretty.json', 'one.json'], read), full)).toEqual(mergeShards(inputs(), full));
    expect(shardInputs(['one.json', '-'], read).map((i) => i.file)).toEqual(['one.json', 'standard input #1', 'standard input #2']);
    fails(() => shardInputs(['empty.json'], read), /^merge: empty.json holds no shard result$/);
    fails(() => mergeShards(shardInputs(['nested.json'], read)), /^merge: nested.json #1: not a JSON object/);
    fails(() => mergeShards(shardInputs(['arr.json', 'one.json'], read)), /^merge: shard 0 is given twice \(arr.json #1 and one.json\)$/);
  });

  it('--report naming one of the shard files is refused before anything is written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dmaown-merge-input-'));
    const files = docs.map((d, k) => {
      const f = join(dir, `s${k}.json`);
      writeFileSync(f, JSON.stringify(d));
      return f;
    });
    const before = readFileSync(files[1], 'utf8');
    for (const report of [`json=${files[1]}`, `md=${join(dir, '.', 's1.json')}`]) {
      await expect(mergeCommand.run(['--report', report, ...files])).rejects.toThrow(InputError);
      await expect(mergeCommand.run(['--report', report, ...files])).rejects.toThrow(/^--report (json|md)=.*s1.json would write over the input file '.*s1.json': give the report another name$/);
    }
    expect(readFileSync(files[1], 'utf8')).toBe(before);
  });

  it('merge\'s reports take a violation\'s explanation and trace from the replay, and nothing else from the file', () => {
    const v7 = design('v7');
    const genuine = inputsOf(shardDocs('v7', { shards: 2, depth: 1 }), 'v');
    const shown = (ins: ShardInput[]) => {
      const m = mergeShards(ins, full);
      const dc = mergedDesignCheck(m, v7, invariants);
      return { m, dc, checked: { ...m, invariants: checkedVerdicts(m, dc) } };
    };
    const g = shown(genuine());
    expect(g.m.invariants.some((v) => v.verdict === 'violated')).toBe(true);
    // For genuine shards, what the shards wrote (the shape and text of check's verdicts).
    expect(g.checked.invariants).toEqual(g.m.invariants);
    const edited = shown(genuine((d) => {
      for (const v of d.invariants) {
        if (v.verdict !== 'violated') continue;
        v.explanation = 'EDITED';
        v.trace = [{ step: 1, event: 'EDITED' }];
        v.extra = 'JUNK';
      }
      d.invariants[typeOk].extra = 'JUNK';
    }));
    expect(edited.m.invariants.some((v) => 'extra' in v)).toBe(false);
    expect(edited.checked.invariants).toEqual(g.checked.invariants);
    expect(JSON.stringify(mergeJson(edited.checked, edited.dc))).not.toMatch(/EDITED|JUNK/);
    expect(mergeText(edited.checked, edited.dc)).not.toMatch(/EDITED|JUNK/);
  });

  it('what the shards were reduced by is the design\'s: an edited "shard.reducedBy" is refused, and the symmetry note is check --symmetry\'s', () => {
    const v8 = design('v8');
    const sym = inputsOf(shardDocs('v8', { shards: 2, depth: 1, symmetry: true }), 'r');
    const checked = checkDesign(v8, 2, invariants, { symmetry: true });
    const dc = mergedDesignCheck(mergeShards(sym(), full), v8, invariants);
    expect(dc.symmetryNote).toBe(checked.symmetryNote);
    expect(dc.result.symmetry).toBe(checked.result.symmetry);
    fails(() => mergedDesignCheck(mergeShards(sym((d) => { d.shard.reducedBy = 'devices (any of 9! orders)'; }), full), v8, invariants),
      /^merge: the shards say they were reduced by 'devices \(any of 9! orders\)', but --symmetry reduces v8 at 2 devices by 'devices \(any of 2! orders\), users/);
    // Symmetry asked for, but the files say nothing was reduced: refused as well.
    fails(() => mergedDesignCheck(mergeShards(sym((d) => { d.shard.reducedBy = null; }), full), v8, invariants), /^merge: the shards say they were reduced by nothing, but --symmetry reduces v8 at 2 devices by '/);
  });
});
