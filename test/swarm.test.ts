/**
 * Swarm mode (dmaown shard / merge, docs/scaling.md): the shards of a run, merged, give check's
 * verdicts and equally short counterexamples that replay to a violation; together they search
 * every reachable state; one shard is a plain check; symmetry, workers and budgets compose.
 */
import { describe, expect, it } from 'vitest';
import { check } from '../src/core/check';
import { DECIDED_REASON } from '../src/core/searchLoop';
import { Successors, type PackedModel } from '../src/core/model';
import { InputError } from '../src/errors';
import { checkDesign, type DesignCheck } from '../src/iommu/checkDesign';
import type { Design } from '../src/iommu/design';
import { loadDesigns } from '../src/iommu/designRegistry';
import type { Invariant } from '../src/iommu/invariant';
import { loadInvariants } from '../src/iommu/invariantRegistry';
import { buildIommuModel } from '../src/iommu/iommuModel';
import { replayEvents } from '../src/iommu/replay';
import { shardJson } from '../src/report/shardReport';
import { checkShard, type ShardOptions } from '../src/swarm/checkShard';
import { frontierShare } from '../src/swarm/frontierShare';
import { mergedExitCode, mergeShards, type MergedCheck, type TieRank } from '../src/swarm/mergeShards';
import { shortcutRank } from '../src/swarm/shortcutRank';
import { freshGroupSteps } from '../src/iommu/freshGroupSteps';
import { parseEvent } from '../src/iommu/events';
import { prefixSearch } from '../src/swarm/prefixSearch';
import { shardModel } from '../src/swarm/shardModel';

let designs: Design[] = [];
let invariants: Invariant[] = [];
const design = (name: string) => designs.find((d) => d.name === name)!;

/** Every shard of a run, as `dmaown shard --format json` prints them. */
function shardDocs(d: Design, devices: number, invs: readonly Invariant[], o: Omit<ShardOptions, 'index'>): unknown[] {
  return Array.from({ length: o.shards }, (_, index) => JSON.parse(JSON.stringify(shardJson(checkShard(d, devices, invs, { ...o, index })))) as unknown);
}

/** Every shard of a run, as `dmaown shard --format json` prints them, merged. */
function swarm(d: Design, devices: number, invs: readonly Invariant[], o: Omit<ShardOptions, 'index'>): MergedCheck {
  return mergeShards(shardDocs(d, devices, invs, o).map((doc, k) => ({ file: `shard-${k}.json`, doc })));
}

/** Verdict and, for a violation, the counterexample's length. */
const verdictsOf = (dc: DesignCheck) => dc.verdicts.map((v) => [v.name, v.verdict, v.verdict === 'violated' ? v.counterexample.length : null]);
const mergedVerdicts = (m: MergedCheck) => m.invariants.map((v) => [v.name, v.verdict, v.verdict === 'violated' ? v.counterexample!.length : null]);

/** Whether the events break `inv` (replayed from the initial state; judged without the checker's search from there). */
function breaks(d: Design, devices: number, inv: Invariant, events: readonly never[]): boolean {
  const trace = replayEvents(d, devices, events);
  const last = trace[trace.length - 1];
  switch (inv.kind) {
    case 'never-flag': return last.warn;
    case 'always': return !inv.holds(last.context, { design: d, state: last.state });
    case 'recoverable': {
      // The last state is stuck: a search from it alone finds it stuck at once (empty path).
      const model = buildIommuModel(d, devices, [inv]);
      const row = new Uint32Array(model.words);
      model.layout.encode(last.state, last.context, row);
      const r = check({ ...model, initialStates: () => row.slice() }).properties[0];
      return r.verdict === 'violated' && r.path!.actions.length === 0;
    }
  }
}

describe('swarm mode', async () => {
designs = await loadDesigns();
invariants = await loadInvariants();

describe('merged shards give check\'s verdicts', () => {
  for (const name of ['v7', 'v8', 'jgg-draft', 'iommufd']) {
    it(`${name} at 3 devices, K in {1,2,3,5}, d in {1,2,4}: same verdicts, equally short counterexamples that replay to a violation`, () => {
      const d = design(name);
      const full = checkDesign(d, 3, invariants);
      for (const shards of [1, 2, 3, 5]) for (const depth of [1, 2, 4]) {
        const m = swarm(d, 3, invariants, { shards, depth });
        expect(mergedVerdicts(m), `K=${shards} d=${depth}`).toEqual(verdictsOf(full));
        expect(mergedExitCode(m)).toBe(full.verdicts.some((v) => v.verdict === 'violated') ? 1 : 0);
        for (const v of m.invariants) {
          if (v.verdict !== 'violated') continue;
          expect(breaks(d, 3, invariants.find((i) => i.name === v.name)!, v.counterexample as never[]), `${v.name} K=${shards} d=${depth}`).toBe(true);
        }
      }
    });
  }

  it('with --symmetry: the same verdicts and lengths as check --symmetry (v7, jgg-draft)', () => {
    for (const name of ['v7', 'jgg-draft']) {
      const d = design(name);
      const full = checkDesign(d, 3, invariants, { symmetry: true });
      expect(full.result.symmetry).toBeDefined();
      for (const [shards, depth] of [[1, 2], [3, 2], [5, 4]]) {
        const m = swarm(d, 3, invariants, { shards, depth, symmetry: true });
        expect(m.run.reducedBy).toBe(full.result.symmetry);
        expect(mergedVerdicts(m), `${name} K=${shards} d=${depth}`).toEqual(verdictsOf(full));
        for (const v of m.invariants) if (v.verdict === 'violated') expect(breaks(d, 3, invariants.find((i) => i.name === v.name)!, v.counterexample as never[])).toBe(true);
      }
    }
  });

  it('K=1 is a plain check: same states, transitions, depth and counterexamples', () => {
    for (const name of ['v7', 'iommufd']) {
      const d = design(name);
      const full = checkDesign(d, 3, invariants);
      for (const depth of [1, 3]) {
        const one = checkShard(d, 3, invariants, { shards: 1, index: 0, depth });
        expect([one.dc.result.states, one.dc.result.transitions, one.dc.result.depth]).toEqual([full.result.states, full.result.transitions, full.result.depth]);
        expect(one.dc.verdicts.map((v) => (v.verdict === 'violated' ? [v.name, v.counterexample] : [v.name, v.verdict]))).toEqual(full.verdicts.map((v) => (v.verdict === 'violated' ? [v.name, v.counterexample] : [v.name, v.verdict])));
      }
    }
  });

  it('same inputs, same JSON (but for elapsedMs), and the same merge whatever the order of the files', () => {
    const d = design('v8');
    const run = () => Array.from({ length: 3 }, (_, index) => ({ ...shardJson(checkShard(d, 3, invariants, { shards: 3, index, depth: 2 })), elapsedMs: 0 }));
    const a = run();
    expect(JSON.stringify(run())).toBe(JSON.stringify(a));
    const m1 = mergeShards(a.map((doc, k) => ({ file: `${k}`, doc })));
    const m2 = mergeShards([...a].reverse().map((doc, k) => ({ file: `${k}`, doc })));
    expect(JSON.stringify(m2)).toBe(JSON.stringify(m1));
  });
});

describe('ties for the shortest counterexample', () => {
  /** Per violated invariant, the shards whose counterexamples are the shortest (read from the shard documents, not from merge). */
  const tiedShards = (docs: readonly unknown[]): Map<string, number[]> => {
    const out = new Map<string, number[]>();
    const byName = new Map<string, { shard: number; length: number }[]>();
    docs.forEach((doc, k) => {
      for (const v of (doc as { invariants: { name: string; verdict: string; counterexample?: unknown[] }[] }).invariants) {
        if (v.verdict === 'violated') byName.set(v.name, [...(byName.get(v.name) ?? []), { shard: k, length: v.counterexample!.length }]);
      }
    });
    for (const [name, xs] of byName) {
      const shortest = Math.min(...xs.map((x) => x.length));
      out.set(name, xs.filter((x) => x.length === shortest).map((x) => x.shard));
    }
    return out;
  };
  const counterexampleOf = (doc: unknown, name: string, devices: number) =>
    (doc as { invariants: { name: string; counterexample: unknown[] }[] }).invariants.find((v) => v.name === name)!.counterexample.map((e) => parseEvent(e, devices, 'test'));

  it('are broken by the rank, asked once per tied shard and never without a tie, then by the lowest index, whatever the order of the files', () => {
    const d = design('v7');
    let ties = 0;
    for (const [shards, depth] of [[3, 2], [5, 4], [2, 1]]) {
      const docs = shardDocs(d, 3, invariants, { shards, depth });
      const tied = tiedShards(docs);
      const asked: string[] = [];
      // Prefers the highest shard index: the opposite of the default.
      const rank: TieRank = (run, name, shard) => { asked.push(`${name}#${shard}`); expect(run).toEqual({ design: 'v7', devices: 3 }); return -shard; };
      const inputs = docs.map((doc, k) => ({ file: `${k}`, doc }));
      const m = mergeShards(inputs, undefined, rank);
      const expectedAsks = [...tied].filter(([, ks]) => ks.length > 1).flatMap(([name, ks]) => ks.map((k) => `${name}#${k}`));
      expect(asked.sort()).toEqual(expectedAsks.sort());
      for (const v of m.invariants) {
        if (v.verdict !== 'violated') continue;
        const ks = tied.get(v.name)!;
        if (ks.length > 1) ties++;
        expect(v.shard, `${v.name} K=${shards} d=${depth}`).toBe(Math.max(...ks));
        // A rank that ties everything leaves the lowest index.
        expect(mergeShards(inputs, undefined, () => 0).invariants.find((x) => x.name === v.name)!.shard).toBe(Math.min(...ks));
      }
      expect(JSON.stringify(mergeShards([...inputs].reverse(), undefined, rank))).toBe(JSON.stringify(m));
    }
    // Otherwise this test would have checked no tie at all.
    expect(ties).toBeGreaterThan(0);
  });

  it('merge prints a counterexample with the one-group shortcut only when every shard tied for the shortest has one (v7, v1-enum at 2 and 3 devices)', () => {
    let avoided = 0;
    for (const name of ['v7', 'v1-enum']) for (const devices of [2, 3]) for (const shards of [2, 3]) for (const depth of [1, 2, 4]) {
      const d = design(name);
      const docs = shardDocs(d, devices, invariants, { shards, depth });
      const m = mergeShards(docs.map((doc, k) => ({ file: `${k}`, doc })), undefined, shortcutRank(designs));
      const takesShortcut = (events: ReturnType<typeof counterexampleOf>) => freshGroupSteps(d, devices, replayEvents(d, devices, events)).length > 0;
      for (const [inv, ks] of tiedShards(docs)) {
        const shortcut = ks.map((k) => takesShortcut(counterexampleOf(docs[k], inv, devices)));
        const v = m.invariants.find((x) => x.name === inv)!;
        const where = `${name} ${devices} devices K=${shards} d=${depth} ${inv}`;
        // The first shard without the shortcut, or the first shard when all take it.
        const want = shortcut.includes(false) ? ks[shortcut.indexOf(false)] : ks[0];
        expect(v.shard, where).toBe(want);
        if (shortcut[0] && shortcut.includes(false)) avoided++;
      }
    }
    // The audit's case (v7's owner-domain at 2 devices, K=2) is among these: a tie where the lowest index took the shortcut.
    expect(avoided).toBeGreaterThan(0);
  });
});

/** The states reachable from a model's initial states, by a plain BFS (no checker involved). */
function reachable(model: PackedModel, canonical: ((row: Uint32Array) => void) | null): Set<string> {
  const W = model.words;
  const seen = new Set<string>();
  const queue: Uint32Array[] = [];
  const init = model.initialStates();
  for (let i = 0; i * W < init.length; i++) {
    const r = init.slice(i * W, (i + 1) * W);
    canonical?.(r);
    if (!seen.has(r.join())) { seen.add(r.join()); queue.push(r); }
  }
  const succ = new Successors(W);
  while (queue.length > 0) {
    const s = queue.shift()!;
    succ.reset();
    model.successors(s, succ);
    for (let k = 0; k < succ.count; k++) {
      const r = succ.states.slice(k * W, (k + 1) * W);
      canonical?.(r);
      const key = r.join();
      if (!seen.has(key)) { seen.add(key); queue.push(r); }
    }
  }
  return seen;
}

describe('the shards together search every reachable state', () => {
  for (const [name, symmetry] of [['v7', false], ['jgg-draft', false], ['v7', true]] as const) {
    it(`${name}${symmetry ? ' with symmetry' : ''} at 3 devices: the union of the shards' states is the full state set, each shard's count is its set's size`, () => {
      const d = design(name);
      const model = buildIommuModel(d, 3, invariants, { symmetry });
      const sym = symmetry ? model.symmetry! : null;
      const canon = sym ? (r: Uint32Array) => sym.canonicalize(r, 0) : null;
      const all = reachable(model, canon);
      for (const [shards, depth] of [[2, 1], [3, 2], [5, 4]]) {
        const prefix = prefixSearch(model, sym, { depth });
        const union = new Set<string>();
        for (let k = 0; k < shards; k++) {
          const own = frontierShare(prefix, shards, k);
          const set = reachable(shardModel(model, prefix.rows.slice(0, prefix.prefixCount * model.words), own, symmetry), canon);
          const sc = checkShard(d, 3, invariants, { shards, index: k, depth, symmetry });
          expect(sc.dc.result.states).toBe(set.size);
          expect(sc.shard.roots).toBe(own.length / model.words);
          for (const s of set) union.add(s);
        }
        expect(union.size, `K=${shards} d=${depth}`).toBe(all.size);
        for (const s of union) expect(all.has(s)).toBe(true);
      }
    });
  }
});

describe('workers and budgets', () => {
  it('--workers 2 gives each shard the result of one thread', () => {
    const d = design('v7');
    for (const index of [0, 1]) {
      const one = checkShard(d, 3, invariants, { shards: 2, index, depth: 2, symmetry: true });
      const two = checkShard(d, 3, invariants, { shards: 2, index, depth: 2, symmetry: true, workers: 2 });
      expect({ ...shardJson(two), elapsedMs: 0 }).toEqual({ ...shardJson(one), elapsedMs: 0 });
    }
  });

  it('a shard stopped by --max-states makes the merged verdict unknown (exit 3), a violation stays a violation (exit 1)', () => {
    const d = design('v7');
    const holding = invariants.filter((i) => i.name === 'type-ok' || i.name === 'owned-isolation');
    const m = swarm(d, 3, holding, { shards: 2, depth: 2, maxStates: 500 });
    expect(m.complete).toBe(false);
    expect(m.invariants.map((v) => v.verdict)).toEqual(['unknown', 'unknown']);
    expect(mergedExitCode(m)).toBe(3);
    const withWarn = swarm(d, 3, [...holding, invariants.find((i) => i.name === 'no-warn')!], { shards: 2, depth: 2, maxStates: 500 });
    expect(withWarn.invariants.map((v) => v.verdict)).toEqual(['unknown', 'unknown', 'violated']);
    expect(mergedExitCode(withWarn)).toBe(1);
  });
});

describe('shards that stop once decided (stopWhenDecided)', () => {
  /** The merged verdicts with each counterexample itself and the shard it comes from. */
  const exact = (m: MergedCheck) => m.invariants.map((v) => [v.name, v.verdict, v.counterexample ?? null, v.shard ?? null]);

  for (const name of ['v7', 'jgg-draft', 'v4-shared', 'attach-cnt']) {
    it(`${name} at 3 devices, K in {1,2,3}, d in {1,2}: the same counterexamples from the same shards as without, fewer states, the verdicts final`, () => {
      const d = design(name);
      // The invariants a stop can decide: those check finds violated (viability too, by its first stuck state).
      const full = checkDesign(d, 3, invariants);
      const violated = invariants.filter((i) => full.verdicts.find((v) => v.name === i.name)!.verdict === 'violated');
      expect(violated.length, name).toBeGreaterThan(0);
      let saved = 0;
      for (const shards of [1, 2, 3]) for (const depth of [1, 2]) {
        const at = `K=${shards} d=${depth}`;
        const whole = swarm(d, 3, violated, { shards, depth });
        const early = swarm(d, 3, violated, { shards, depth, stopWhenDecided: true });
        expect(exact(early), at).toEqual(exact(whole));
        expect(mergedExitCode(early), at).toBe(1);
        // A shard whose last level decides it completes; every other one stops once decided.
        expect(early.shards.every((s) => s.complete || s.stopReason === DECIDED_REASON), at).toBe(true);
        expect(early.stopReason, at).toBe(early.complete ? undefined : DECIDED_REASON);
        early.shards.forEach((s, k) => expect(s.states, `${at} shard ${k}`).toBeLessThanOrEqual(whole.shards[k].states));
        saved += whole.states - early.states;
      }
      expect(saved, name).toBeGreaterThan(0);
    });
  }

  it('a run where one shard stopped once decided and another by a budget is incomplete: the stop reasons are listed', () => {
    const d = design('v7');
    const inv = invariants.filter((i) => i.name === 'no-warn');
    const docs = [
      shardJson(checkShard(d, 3, inv, { shards: 2, index: 0, depth: 2, stopWhenDecided: true })),
      shardJson(checkShard(d, 3, inv, { shards: 2, index: 1, depth: 2, maxStates: 5 })),
    ];
    expect(docs.map((x) => x.stopReason)).toEqual([DECIDED_REASON, '--max-states 5 reached']);
    const m = mergeShards(docs.map((doc, k) => ({ file: `s${k}.json`, doc: JSON.parse(JSON.stringify(doc)) as unknown })));
    expect(m.stopReason).toBe(`shard 0: ${DECIDED_REASON}; shard 1: --max-states 5 reached`);
  });
});

describe("a shard's memory budget", () => {
  it("counts the model's trees and the prefix: one shard of one stops where check stops under the same budget", () => {
    const d = design('v7');
    const maxMemory = 2 * 1024 * 1024;
    const whole = checkDesign(d, 4, invariants, { maxMemory }).result;
    const one = checkShard(d, 4, invariants, { shards: 1, index: 0, depth: 1, maxMemory }).dc.result;
    expect(whole.complete).toBe(false);
    expect(one.complete).toBe(false);
    // The shard also holds its prefix (one level: a few states), so it stops at most where check does.
    expect(one.states).toBeGreaterThan(0);
    expect(one.states).toBeLessThanOrEqual(whole.states);
    expect(one.memoBytes).toBeGreaterThanOrEqual(whole.memoBytes! * 0.9);
    expect(one.peakBytes).toBeLessThanOrEqual(maxMemory);
  });

  it('refuses a prefix the budget cannot hold, as an InputError saying so', () => {
    const d = design('v7');
    const f = () => checkShard(d, 5, invariants, { shards: 2, index: 0, depth: 10, maxMemory: 1024 * 1024, maxStates: 1000 });
    expect(f).toThrow(InputError);
    expect(f).toThrow(/^--depth 10: the first levels of the search hold more than 8,192 states, more than the memory budget \(1\.0 MiB\) holds at about 128 bytes a state; pick a smaller depth or a larger --max-memory$/);
  });
});

describe('bad input is an InputError naming the problem', () => {
  const d = design('v8');
  const docs = Array.from({ length: 3 }, (_, index) => shardJson(checkShard(d, 2, invariants, { shards: 3, index, depth: 1 })));
  const inputs = docs.map((doc, k) => ({ file: `s${k}.json`, doc: doc as unknown }));
  const fails = (f: () => unknown, re: RegExp) => { expect(f).toThrow(InputError); expect(f).toThrow(re); };

  it('shard: K, index and depth out of range', () => {
    fails(() => checkShard(d, 2, invariants, { shards: 0, index: 0 }), /--shards/);
    fails(() => checkShard(d, 2, invariants, { shards: 3, index: 3 }), /--index 3 is out of range/);
    fails(() => checkShard(d, 2, invariants, { shards: 2, index: 0, depth: 0 }), /--depth/);
    fails(() => checkShard(d, 2, invariants, { shards: 2, index: 0, depth: 200 }), /no state is that deep/);
  });

  it('merge: missing, duplicated, of another run, malformed', () => {
    expect(mergeShards(inputs).run.of).toBe(3);
    fails(() => mergeShards([]), /no shard files/);
    fails(() => mergeShards(inputs.slice(0, 2)), /missing shard 2 of 3/);
    fails(() => mergeShards([...inputs, { ...inputs[1], file: 'again.json' }]), /shard 1 is given twice \(s1.json and again.json\)/);
    const other = shardJson(checkShard(d, 2, invariants, { shards: 3, index: 2, depth: 2 }));
    fails(() => mergeShards([...inputs.slice(0, 2), { file: 'other.json', doc: other }]), /not shards of one run: depth differs/);
    const v7 = shardJson(checkShard(design('v7'), 2, invariants, { shards: 3, index: 2, depth: 1 }));
    fails(() => mergeShards([...inputs.slice(0, 2), { file: 'v7.json', doc: v7 }]), /design differs \(v7 vs v8\)/);
    fails(() => mergeShards([{ file: 'x.json', doc: [1, 2] }]), /x.json: not a JSON object/);
    const { shard: _s, ...untagged } = docs[0];
    fails(() => mergeShards([{ file: 'check.json', doc: untagged }]), /no "shard" field/);
    fails(() => mergeShards([{ file: 'bad.json', doc: { ...docs[0], shard: { ...(docs[0].shard as object), index: 7 } } }]), /index 7 is out of range/);
  });
});
});
