/**
 * Worker threads change nothing but speed: on 2 threads (one worker) or 3 (two workers, which
 * look states up themselves) the search stores the same states in the same order, so the
 * counts, verdicts and counterexamples equal those of one thread, with and without symmetry,
 * complete or stopped by a budget; a worker that writes a chunk's results over an earlier
 * chunk's arrays gives the same results as into new ones. (Under vitest the workers run the
 * compiled dist/, which the global setup has just brought up to date with the sources; a
 * test's own model, which dist/ does not have, they load through ts-node.)
 */
import { describe, expect, it } from 'vitest';
import { runOutcome } from './runOutcome';
import { checkDesign, checkDesignAsync } from '../src/iommu/checkDesign';
import { loadDesigns } from '../src/iommu/designRegistry';
import { loadInvariants } from '../src/iommu/invariantRegistry';
import { check, checkAsync } from '../src/core/check';
import { liveness, WorkerError } from '../src/parallel/parallelSearch';
import { join } from 'node:path';
import { buildIommuModel } from '../src/iommu/iommuModel';
import { Successors } from '../src/core/model';
import { PropertySet } from '../src/core/searchState';
import { expandChunk, type ExpandedChunk } from '../src/parallel/expandChunk';
import { allFlagsModel } from './allFlagsModel';

describe('--workers 2 gives the results of one thread', async () => {
  const v7 = (await loadDesigns()).find((d) => d.name === 'v7')!;
  const invariants = await loadInvariants();

  it('v7 at 3 devices, every invariant: same counts, verdicts and counterexamples', () => {
    const one = checkDesign(v7, 3, invariants);
    const two = checkDesign(v7, 3, invariants, { workers: 2 });
    expect(two.result.workers).toBe(2);
    expect(runOutcome(two)).toEqual(runOutcome(one));
    expect(one.verdicts.some((v) => v.verdict === 'violated')).toBe(true);
  });

  it('v7 at 3 devices with symmetry (3 threads: two workers, which look states up themselves), and stopped by --max-states: still the same', () => {
    const one = checkDesign(v7, 3, invariants, { symmetry: true });
    const three = checkDesign(v7, 3, invariants, { symmetry: true, workers: 3 });
    expect(three.result.workers).toBe(3);
    expect(runOutcome(three)).toEqual(runOutcome(one));
    const cut = { maxStates: 5000, symmetry: false } as const;
    const oneCut = checkDesign(v7, 3, invariants, cut);
    const twoCut = checkDesign(v7, 3, invariants, { ...cut, workers: 2 });
    expect(oneCut.result.complete).toBe(false);
    expect(runOutcome(twoCut)).toEqual(runOutcome(oneCut));
  });

  it('a model using all 32 transition flags: flag 31 is the model\'s own, not a self-loop mark', () => {
    const model = allFlagsModel(null);
    const one = check(model);
    // The chain's 41 states; flag 31 first on the transition 31 -> 32 (and on state 0's self-loop).
    expect(one.states).toBe(41);
    for (const workers of [2, 3]) {
      const r = check(allFlagsModel(null), { workers });
      expect({ ...r, elapsedMs: 0, workers: 0, memoBytes: 0, bufferBytes: 0, peakBytes: 0, storeBytes: 0 }).toEqual({ ...one, elapsedMs: 0, workers: 0, memoBytes: 0, bufferBytes: 0, peakBytes: 0, storeBytes: 0 });
    }
    expect(one.properties.map((p) => [p.name, p.verdict, p.path?.actions.length])).toEqual([['no-f31', 'violated', 1], ['no-f5', 'violated', 6], ['short', 'violated', 35]]);
  });

  it('a model without a recipe for workers is refused, not silently checked on one thread', () => {
    const model = buildIommuModel(v7, 1, []);
    expect(() => check(model, { workers: 2 })).toThrow(/no recipe/);
  });
});

describe('a worker writing over an earlier result', async () => {
  const v7 = (await loadDesigns()).find((d) => d.name === 'v7')!;
  const model = buildIommuModel(v7, 3, await loadInvariants());
  const props = new PropertySet(model.properties);
  const W = model.words;
  // The first 600 states in BFS order, found here with the model's successors and a Set.
  const rows: number[] = [...model.initialStates()];
  const seen = new Set<string>([rows.join(',')]);
  const succ = new Successors(W);
  for (let i = 0; i * W < rows.length && rows.length < 600 * W; i++) {
    succ.reset();
    model.successors(Uint32Array.from(rows.slice(i * W, (i + 1) * W)), succ);
    for (let k = 0; k < succ.count; k++) {
      const r = [...succ.states.subarray(k * W, (k + 1) * W)];
      if (!seen.has(r.join(',')) && rows.length < 600 * W) { seen.add(r.join(',')); rows.push(...r); }
    }
  }
  const chunk = (from: number, to: number) => Uint32Array.from(rows.slice(from * W, to * W));
  /** The part of a result that `counts` says is in use. */
  const used = (r: ExpandedChunk, n: number) => {
    let m = 0;
    for (let i = 0; i < n; i++) m += r.counts[i];
    return {
      bits: [...r.bits.subarray(0, n)], counts: [...r.counts.subarray(0, n)], actions: [...r.actions.subarray(0, m)],
      ids: [...r.ids.subarray(0, m)], flags: [...r.flags.subarray(0, m)], hashes: [...r.hashes.subarray(0, m)], rows: [...r.rows.subarray(0, m * W)],
    };
  };

  it('gives the same results as new arrays, whether the old ones are long enough or have to grow', () => {
    expect(rows.length).toBe(600 * W);
    const fresh = used(expandChunk(model, props, null, chunk(100, 600), 500), 500);
    expect(fresh.actions.length).toBeGreaterThan(500);
    // Long enough: an earlier chunk of as many states. Too short: a chunk of one state.
    for (const earlier of [expandChunk(model, props, null, chunk(0, 500), 500), expandChunk(model, props, null, chunk(0, 1), 1)]) {
      const again = expandChunk(model, props, null, chunk(100, 600), 500, null, -1, earlier);
      expect(used(again, 500)).toEqual(fresh);
    }
  });
});

describe('a worker thread that ends without a word', async () => {
  const v7 = (await loadDesigns()).find((d) => d.name === 'v7')!;

  const exiting = (silent: boolean) => ({ ...buildIommuModel(v7, 3, []), recipe: { module: join(__dirname, 'exitingWorkerModel.ts'), exportName: 'exitingWorkerModel', args: { silent } } });

  // Before, the merging thread waited for the first result inside one step, where the thread's
  // 'exit' event is never delivered: ten minutes of silence.
  it('stops checkAsync with a WorkerError naming it when the thread ends without a word', async () => {
    const model = exiting(true);
    const err = await checkAsync(model, { workers: 2 }).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(WorkerError);
    expect((err as Error).message).toBe('search worker 0 failed: the thread ended (exit code 3) before the search did');
  });

  it('stops the synchronous check too when the thread says so as it ends (process.exit)', () => {
    const model = exiting(false);
    expect(() => check(model, { workers: 2 })).toThrow(new WorkerError('search worker 0 failed: the thread ended (exit code 3) before the search did'));
  });

  // Before, the synchronous check, which never sees the thread's 'exit' event, waited ten
  // minutes. Now it gives a worker up after `liveness.silenceMs` without a beat (a minute;
  // shortened here).
  it('stops the synchronous check when the thread ends without a word, once it stops beating', () => {
    const model = exiting(true);
    const before = liveness.silenceMs;
    liveness.silenceMs = 1500;
    try {
      // Only the silence limit gives this message (the ten-minute limit names itself).
      expect(() => check(model, { workers: 2 })).toThrow(new WorkerError('search worker 0 failed: no sign of life from the thread for 1500ms (it ended without a word, or hangs)'));
    } finally {
      liveness.silenceMs = before;
    }
  });
});

describe('workers refuse a design or invariant that is not the registered object of its name', async () => {
  const designs = await loadDesigns();
  const invariants = await loadInvariants();
  const v7 = designs.find((d) => d.name === 'v7')!;
  const noMixed = invariants.find((i) => i.name === 'no-mixed-dma')!;

  it('a copy of v7 whose probe never happens: refused before any thread starts, not searched as v7', async () => {
    // Same name, same layout, actions and machine: only a function differs, which the
    // fingerprint does not see. On one thread it is searched as it is: with no device ever in
    // the group, vfio-pci cannot bind and no fd opens, so only a kernel driver can be bound to
    // each device or not: 2 x 2 states (v7 has 4,407 at 2 devices).
    const copy = { ...v7, driverCoreWaits: (_c: unknown, e: { type: string }) => (e.type === 'probe_device' ? 'never' : null) };
    expect(checkDesign(copy, 2, [noMixed]).result.states).toBe(4);
    expect(() => checkDesign(copy, 2, [noMixed], { workers: 2 })).toThrow(/design 'v7' is not machines\/'s object of that name/);
    await expect(checkDesignAsync(copy, 2, [noMixed], { workers: 2 })).rejects.toThrow(/design 'v7' is not machines\/'s object of that name/);
  });

  it('a copy of an invariant under its registered name is refused too; the registered ones run', () => {
    const copy = { ...noMixed, holds: () => true };
    expect(() => checkDesign(v7, 2, [copy], { workers: 2 })).toThrow(/invariant 'no-mixed-dma' is not invariants\/'s object of that name/);
    expect(checkDesign(v7, 2, [noMixed], { workers: 2 }).result.workers).toBe(2);
  });
});
