/**
 * Budgets stop a search cleanly, never by running out of memory: the result says it is
 * incomplete, how far it got and why, keeps the violations found so far (with replayable
 * counterexamples), leaves the rest unknown, and the CLI exits 3 when nothing was violated.
 * The models' decision trees count against the budget too. Also the memory target: at most 40
 * bytes per stored state at 8 devices, unreduced.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkDesign, checkDesignAsync } from '../src/iommu/checkDesign';
import { exploreGraph } from '../src/diagram/exploreGraph';
import { statesWithin } from '../src/diagram/reachableGraph';
import { loadDesigns } from '../src/iommu/designRegistry';
import { loadInvariants } from '../src/iommu/invariantRegistry';
import { replayEvents } from '../src/iommu/replay';
import { BudgetExceeded, MemoryBudget } from '../src/core/memoryBudget';
import { check, UnsupportedOptionError } from '../src/core/check';
import type { PackedModel } from '../src/core/model';
import { runCli } from './cliRun';

describe('budgets', async () => {
  const v7 = (await loadDesigns()).find((d) => d.name === 'v7')!;
  const invariants = await loadInvariants();

  it('a memory budget stops v7 at 7 devices cleanly: incomplete, within budget, violations kept', () => {
    const limit = 10 * 1024 * 1024;
    const dc = checkDesign(v7, 7, invariants, { maxMemory: limit });
    const r = dc.result;
    expect(r.complete).toBe(false);
    expect(r.stopReason).toMatch(/max-memory/);
    expect(r.peakBytes).toBeLessThanOrEqual(limit);
    expect(r.states).toBeGreaterThan(50_000);
    expect(r.expanded).toBeLessThan(r.states);
    expect(r.depth).toBeGreaterThan(5);
    for (const v of dc.verdicts) {
      expect(v.verdict).not.toBe('holds');
      if (v.verdict === 'violated') expect(replayEvents(v7, 7, v.counterexample)).toHaveLength(v.counterexample.length);
    }
    expect(dc.verdicts.find((v) => v.name === 'no-warn')!.verdict).toBe('violated');
    // Its first stuck state is a few calls deep, so found before the budget stopped the search.
    expect(dc.verdicts.find((v) => v.name === 'viability')!.verdict).toBe('violated');
  });

  it('--max-states N completes a search of exactly N states and stops one of N + 1, on 1 or 2 threads, with or without symmetry', () => {
    // The whole bound's count from the diagram's plain graph search, not from the checker.
    const all = statesWithin(v7, 3, Number.POSITIVE_INFINITY, 1_000_000)!;
    for (const workers of [1, 2]) {
      const exact = checkDesign(v7, 3, invariants, { maxStates: all, workers }).result;
      expect(exact.complete, `${workers} thread(s)`).toBe(true);
      expect(exact.states).toBe(all);
      const short = checkDesign(v7, 3, invariants, { maxStates: all - 1, workers }).result;
      expect(short.complete).toBe(false);
      expect(short.stopReason).toBe(`--max-states ${all - 1} reached`);
    }
    // With symmetry the budget counts orbits: the reduced search's own count is the bound.
    const orbits = checkDesign(v7, 4, invariants, { symmetry: true }).result.states;
    for (const workers of [1, 2]) {
      expect(checkDesign(v7, 4, invariants, { symmetry: true, workers, maxStates: orbits }).result.complete, `${workers} thread(s)`).toBe(true);
      expect(checkDesign(v7, 4, invariants, { symmetry: true, workers, maxStates: orbits - 1 }).result.complete).toBe(false);
    }
  });

  it('a stopped search reports the depth of its deepest stored state, whichever budget stopped it, on 1 or 2 threads', async () => {
    // States are stored in BFS order, so S stored states reach the first level whose states
    // within it number at least S; those numbers come from the diagram's plain graph search
    // (the depth of each state it finds), searched again twice as deep when a deeper level is
    // asked for.
    const searched = new Map<number, { maxDepth: number; depth: readonly number[] }>();
    const within = (devices: number, d: number) => {
      let g = searched.get(devices);
      if (!g || d > g.maxDepth) {
        const maxDepth = Math.max(d, 2 * (g?.maxDepth ?? 8));
        const graph = exploreGraph(v7, devices, [], { maxDepth, maxStates: 1_000_000, keepEdges: false });
        g = { maxDepth, depth: graph.depth };
        searched.set(devices, g);
      }
      return g.depth.filter((x) => x <= d).length;
    };
    const levelOf = (stored: number, devices = 3) => { let d = 0; while (within(devices, d) < stored) d++; return d; };
    let compared = 0;
    for (const maxStates of [2, 7, 8, 10, 100, 1000, 5000]) {
      for (const workers of [1, 2]) {
        const r = checkDesign(v7, 3, invariants, { maxStates, workers }).result;
        expect(r.complete).toBe(false);
        expect(r.depth, `--max-states ${maxStates}, ${workers} thread(s)`).toBe(levelOf(r.states));
        compared++;
      }
    }
    // Interrupted between steps (SearchRun.stop) and stopped by the memory budget, too.
    const ctl = new AbortController();
    const cut = (await checkDesignAsync(v7, 3, invariants, { sliceMs: 0, signal: ctl.signal, progressEvery: 256, onProgress: (p) => { if (p.states >= 3000) ctl.abort('SIGINT'); } })).result;
    expect(cut.stopReason).toBe('interrupted by SIGINT');
    expect(cut.depth).toBe(levelOf(cut.states));
    const mem = checkDesign(v7, 4, invariants, { maxMemory: 2 * 1024 * 1024 }).result;
    expect(mem.stopReason).toMatch(/max-memory/);
    expect(mem.depth).toBe(levelOf(mem.states, 4));
    expect(compared).toBe(14);
  });

  it("the model's memo (its decision trees) counts against the memory budget", async () => {
    const v8 = (await loadDesigns()).find((d) => d.name === 'v8')!;
    const free = checkDesign(v8, 8, invariants);
    expect(free.result.complete).toBe(true);
    const memo = free.result.memoBytes!;
    expect(memo).toBeGreaterThan(0);
    // A budget as large as the arrays' own peak: the arrays alone fit in it, the arrays and
    // the trees do not, so the search must stop, cleanly.
    const limit = free.result.peakBytes;
    expect(free.result.storeBytes + memo).toBeGreaterThan(limit);
    const cut = checkDesign(v8, 8, invariants, { maxMemory: limit });
    expect(cut.result.complete).toBe(false);
    expect(cut.result.stopReason).toMatch(/max-memory/);
    expect(cut.result.storeBytes + cut.result.memoBytes!).toBeLessThanOrEqual(limit);
    // With worker threads, the workers' trees are charged as they report them.
    const cutWorkers = checkDesign(v8, 8, invariants, { maxMemory: limit, workers: 2 });
    expect(cutWorkers.result.complete).toBe(false);
    expect(cutWorkers.result.stopReason).toMatch(/max-memory/);
  });

  it('MemoryBudget: arrays are reserved before they exist, holders charged after they grew; peak counts arrays only', () => {
    const b = new MemoryBudget(100);
    b.reserve(40);
    b.charge('trees', 30);
    expect([b.used, b.charged, b.peak]).toEqual([70, 30, 40]);
    b.charge('trees', 10);
    expect([b.used, b.charged]).toEqual([50, 10]);
    expect(() => b.charge('trees', 61)).toThrow(BudgetExceeded);
    expect(() => b.reserve(51)).toThrow(BudgetExceeded);
    expect([b.used, b.charged, b.peak]).toEqual([50, 10, 40]);
    b.charge('other', 50);
    expect(b.used).toBe(100);
  });

  it('MemoryBudget: holders charged as buffers are counted apart from the memo, and keep their kind', () => {
    const b = new MemoryBudget(100);
    b.charge('trees', 30);
    b.charge('cache', 20, 'buffers');
    expect([b.used, b.charged, b.buffers]).toEqual([50, 50, 20]);
    b.charge('cache', 35);
    expect([b.used, b.charged, b.buffers]).toEqual([65, 65, 35]);
    expect(() => b.charge('cache', 80, 'buffers')).toThrow(BudgetExceeded);
    expect(b.buffers).toBe(35);
  });

  it("the search's caches and the workers' chunk buffers count against the memory budget", async () => {
    const v8 = (await loadDesigns()).find((d) => d.name === 'v8')!;
    const one = checkDesign(v8, 8, invariants).result;
    const two = checkDesign(v8, 8, invariants, { workers: 2 });
    expect(two.result.complete).toBe(true);
    const r = two.result;
    // One thread: the recent-row cache. Two: also the chunks the worker holds, megabytes each.
    expect(one.bufferBytes!).toBeGreaterThan(0);
    expect(r.bufferBytes! - one.bufferBytes!).toBeGreaterThan(3 * 1024 * 1024);
    // A budget that the arrays and the trees fit in, with room to spare, but not the buffers too:
    // the search must stop, cleanly, and what it holds stays within the budget.
    const limit = r.peakBytes + r.memoBytes! + Math.floor(r.bufferBytes! / 2);
    expect(r.storeBytes + r.memoBytes! + r.bufferBytes!).toBeGreaterThan(limit);
    const cut = checkDesign(v8, 8, invariants, { workers: 2, maxMemory: limit }).result;
    expect(cut.complete).toBe(false);
    expect(cut.stopReason).toMatch(/max-memory/);
    expect(cut.storeBytes + cut.memoBytes! + cut.bufferBytes!).toBeLessThanOrEqual(limit);
  });

  it('a memory budget below 1 MiB is refused before the search starts', () => {
    expect(() => checkDesign(v7, 3, invariants, { maxMemory: 64 * 1024 })).toThrow(/maxMemory must be at least 1\.0 MiB, got 65536/);
  });

  it("a budget too small for a model's first arrays is refused, not thrown from inside the search", () => {
    // 63-word rows: the recent-rows cache alone (4,096 rows) needs about 1 MiB.
    const wide: PackedModel = {
      words: 63, actionCount: 1, transitionFlags: [], properties: [],
      initialStates: () => new Uint32Array(63), successors: () => {},
    };
    expect(() => check(wide, { maxMemory: 1 << 20 })).toThrow(UnsupportedOptionError);
    expect(() => check(wide, { maxMemory: 1 << 20 })).toThrow(/maxMemory 1\.0 MiB is too small for this model's first arrays/);
    // Its first page of rows is 65,536 rows of 252 bytes: 16 MiB.
    expect(check(wide, { maxMemory: 64 << 20 }).states).toBe(1);
  });

  it('a budget stop while the action numbers widen leaves no state half added (its counterexample stays right)', () => {
    // State [0,0] goes by action 300 (the first past one byte) to [1,0], which breaks 'bad-free'.
    const model: PackedModel = {
      words: 2, actionCount: 301, transitionFlags: [],
      initialStates: () => new Uint32Array(2),
      successors(s, out) { if (s[0] === 0) { const o = out.push(300, 0); out.states[o] = 1; out.states[o + 1] = 0; } },
      properties: [{ kind: 'always', name: 'bad-free', holds: (s) => s[0] !== 1 }],
    };
    const full = check(model);
    expect(full.properties[0].path?.actions).toEqual([300]);
    // With a budget that leaves no room to widen, the stop comes before the state is stored.
    for (let mb = 1; mb <= 4; mb++) {
      const cut = check(model, { maxMemory: mb << 20 });
      const p = cut.properties[0];
      if (p.verdict === 'violated') expect(p.path?.actions).toEqual([300]);
      // The transition whose target could not be stored is not counted either.
      else expect([cut.complete, cut.states, cut.transitions, p.verdict]).toEqual([false, 1, 0, 'unknown']);
    }
    expect(check(model, { maxMemory: 1 << 20 }).complete).toBe(false);
  });

  it('at most 40 bytes per stored state at 8 devices (peak, growth included)', () => {
    const dc = checkDesign(v7, 8, invariants, { maxStates: 300_000 });
    expect(dc.result.complete).toBe(false);
    expect(dc.result.peakBytes / dc.result.states).toBeLessThanOrEqual(40);
  });

  it('CLI: exit 3 with a labelled incomplete result, also with --symmetry and --workers', () => {
    for (const extra of [[], ['--symmetry', '--workers', '2']]) {
      const r = runCli(['check', '--devices', '7', '--invariant', 'type-ok,owned-isolation', '--max-states', '20000', ...extra]);
      expect(r.code).toBe(3);
      const counted = extra.length > 0 ? ' \\(classes up to symmetry\\)' : '';
      expect(r.out).toMatch(new RegExp(`INCOMPLETE: explored [\\d,]+ distinct states${counted}, [\\d,]+ transitions, depth \\d+`));
      expect(r.out).toMatch(/stopped early: --max-states 20000 reached/);
      expect(r.out).toMatch(/type-ok\s+unknown/);
    }
  });

  it('CLI: --max-time stops check and shard with a labelled incomplete result (exit 3); a config\'s maxTime too; a bad duration is a one-line error', () => {
    const r = runCli(['check', '--devices', '6', '--invariant', 'type-ok', '--max-time', '1s']);
    expect(r.code).toBe(3);
    expect(r.out).toMatch(/stopped early: --max-time 1s reached/);
    expect(r.out).toMatch(/type-ok\s+unknown/);
    const s = runCli(['shard', '--shards', '2', '--index', '0', '--devices', '6', '--invariant', 'type-ok', '--max-time', '500ms', '--format', 'json']);
    expect(s.code).toBe(0);
    expect(JSON.parse(s.out)).toMatchObject({ complete: false, stopReason: '--max-time 500ms reached' });
    const dir = mkdtempSync(join(tmpdir(), 'dmaown-maxtime-'));
    const config = join(dir, 'dmaown.config.json');
    writeFileSync(config, JSON.stringify({ checks: [{ design: 'v7', devices: 6, invariants: ['type-ok'] }], maxTime: '1s' }));
    const c = runCli(['check', '--config', config]);
    expect(c.code).toBe(3);
    expect(c.out).toMatch(/stopped early: --max-time 1s reached/);
    for (const bad of ['soon', '-5s']) {
      const e = runCli(['check', '--max-time', bad]);
      expect(e.code).toBe(2);
      expect(e.err).toBe(`dmaown: --max-time must be a duration like 90s, 10m or 2h (a bare number is seconds), got '${bad}'\n`);
    }
    const zero = runCli(['check', '--max-time', '0']);
    expect([zero.code, zero.err]).toEqual([2, "dmaown: --max-time 0 is under a millisecond: a search needs at least 1ms\n"]);
  });

  it('CLI: --devices above 8 needs --symmetry, and 16 is the most', () => {
    expect(runCli(['check', '--devices', '9']).err).toMatch(/1 to 8 \(up to 16 with --symmetry\)/);
    expect(runCli(['check', '--devices', '17', '--symmetry']).code).toBe(2);
    const r = runCli(['check', '--devices', '16', '--symmetry', '--invariant', 'type-ok', '--max-states', '2000']);
    expect(r.code).toBe(3);
    // The text report says what symmetry was used; stderr repeats it only for other formats.
    expect(r.out).toMatch(/reduced by symmetry: devices/);
    expect(r.err).not.toMatch(/reduced by symmetry/);
    const j = runCli(['check', '--devices', '16', '--symmetry', '--invariant', 'type-ok', '--max-states', '2000', '--format', 'json']);
    expect(j.code).toBe(3);
    expect(j.err).toMatch(/^dmaown: v7 at 16 devices: reduced by symmetry: devices/m);
  });
});
