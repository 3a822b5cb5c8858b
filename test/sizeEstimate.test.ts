/**
 * Refusing bounds too large for memory: the size estimate is the state count of the largest
 * bound it searched, grown by the last growth per device, which changes each device by the
 * square root of its last change; it lands near the real count on the designs measured; its
 * bytes per state are a lower bound of what a search stores; and the CLI refuses a bound whose
 * estimate is over the memory budget with one line and exit 2, before searching, unless
 * --max-states asks for a part that fits.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { approx } from '../src/cli/sizeCheck';
import { checkDesign } from '../src/iommu/checkDesign';
import { loadDesigns } from '../src/iommu/designRegistry';
import { loadInvariants } from '../src/iommu/invariantRegistry';
import { buildIommuModel } from '../src/iommu/iommuModel';
import { CHEAP_SHARE, estimateSize, extrapolate, FURTHER_SAMPLE_STATES, MAX_TREND, MIN_TREND, minBytesPerState } from '../src/iommu/sizeEstimate';
import { runCli } from './cliRun';

describe('estimateSize', async () => {
  const designs = await loadDesigns();
  const design = (n: string) => designs.find((d) => d.name === n)!;
  const invariants = await loadInvariants();
  const states = (name: string, devices: number, symmetry = false) => checkDesign(design(name), devices, [], { symmetry }).result.states;

  it('has nothing to extrapolate at 3 devices or fewer', () => {
    for (const n of [1, 2, 3]) expect(estimateSize(design('v7'), n, invariants)).toBeNull();
  });

  it('extrapolates the last three bounds it searched, searching on while the next is predicted small', () => {
    const e = estimateSize(design('v8'), 8, invariants)!;
    expect(e.from).toHaveLength(3);
    const [lo, mid, hi] = e.from;
    expect([mid, hi]).toEqual([lo + 1, lo + 2]);
    expect(e.sampled).toEqual([states('v8', lo), states('v8', mid), states('v8', hi)]);
    const [a, b, c] = e.sampled;
    expect(e.growth).toBeCloseTo(c / b, 12);
    expect(e.trend).toBeCloseTo(Math.sqrt((c / b) / (b / a)), 12);
    // By hand: each device more multiplies by the growth, which changes by the trend first.
    let want = c;
    for (let k = hi + 1, g = c / b; k <= 8; k++) { g *= e.trend; want *= g; }
    expect(e.states / want).toBeCloseTo(1, 9);
    // It stopped because the next bound was predicted above FURTHER_SAMPLE_STATES, not before.
    expect(hi).toBeLessThan(8);
    if (hi < 7) expect(c * (c / b)).toBeGreaterThan(FURTHER_SAMPLE_STATES);
    expect(b * (b / a)).toBeLessThanOrEqual(FURTHER_SAMPLE_STATES);
  });

  it('extrapolates constant growth from two bounds, holds the trend in its range and the growth at 1 or more', () => {
    // Two counts: constant growth.
    expect(extrapolate([10, 30], 2)).toEqual({ states: 270, growth: 3, trend: 1 });
    // A growth from x1.1 to x10: the trend would be sqrt(10 / 1.1) = 3.0, held at MAX_TREND.
    const up = extrapolate([10, 11, 110], 2);
    expect(up.trend).toBe(MAX_TREND);
    expect(up.states).toBeCloseTo(110 * (10 * MAX_TREND) * (10 * MAX_TREND * MAX_TREND), 6);
    // Counts that shrink: the trend is held at MIN_TREND, the growth at 1 (a count never falls).
    const down = extrapolate([100, 50, 10], 3);
    expect(down.trend).toBe(MIN_TREND);
    expect(down.states).toBe(10);
  });

  it('lands within 0.9x to 1.2x of the real count on the designs measured (v8 at 8, singleton at 5, v7 by symmetry at 7 and 8, iommufd by symmetry at 10)', () => {
    for (const [name, n, sym] of [['v8', 8, false], ['singleton', 5, false], ['v7', 7, true], ['v7', 8, true], ['iommufd', 10, true]] as const) {
      const e = estimateSize(design(name), n, invariants, { symmetry: sym })!;
      expect(e.symmetry).toBe(sym);
      const real = states(name, n, sym);
      const what = `${name} at ${n}${sym ? ' by symmetry' : ''}`;
      expect(e.states / real, what).toBeGreaterThan(0.9);
      expect(e.states / real, what).toBeLessThan(1.2);
      // By symmetry, where the growth falls fast, the trend brings the estimate nearer than
      // constant growth (without, the two are within about a percent of each other here).
      const constant = extrapolate(e.sampled.slice(-2), n - e.from[e.from.length - 1]).states;
      if (sym) expect(Math.abs(Math.log(e.states / real)), what).toBeLessThan(Math.abs(Math.log(constant / real)));
    }
  });

  it('with enoughBelow, stops at 2 and 3 devices when even faster growth stays below it, unless 4 devices is cheap beside the bound', () => {
    const full = estimateSize(design('v7'), 5, invariants)!;
    const quick = estimateSize(design('v7'), 5, invariants, { enoughBelow: 2 ** 40 })!;
    expect(full.from).toEqual([2, 3, 4]);
    expect(quick.from).toEqual([2, 3]);
    // 4 devices is predicted at more than CHEAP_SHARE of the 5-device estimate, so skipped ...
    const [a, b] = quick.sampled;
    expect(b * (b / a)).toBeGreaterThan(CHEAP_SHARE * quick.states);
    // ... and at less than that share of the 6-device one, so searched there.
    expect(estimateSize(design('v7'), 6, invariants, { enoughBelow: 2 ** 40 })!.from).toEqual([2, 3, 4]);
    // A budget the bound is near keeps it searching.
    expect(estimateSize(design('v7'), 5, invariants, { enoughBelow: full.bytes })!.from).toEqual([2, 3, 4]);
  });

  it('counts at most the bytes a search really stores per state', () => {
    for (const [name, n, max] of [['v7', 8, 100_000], ['v7', 8, 300_000], ['lu-owner-param', 5, 200_000], ['v4-shared', 8, 150_000]] as const) {
      const r = checkDesign(design(name), n, invariants, { maxStates: max }).result;
      const words = buildIommuModel(design(name), n, invariants).words;
      expect(r.storeBytes / r.states, `${name} at ${n}, ${max} states`).toBeGreaterThanOrEqual(minBytesPerState(words));
    }
  });

  it('writes counts as a reader says them', () => {
    expect([approx(999_999), approx(17_300_759), approx(1_279_730_021), approx(597_443_003_049), approx(55_387_000_000_000), approx(2.4e17), approx(1e15)])
      .toEqual(['999,999', 'about 17 million', 'about 1.3 billion', 'about 597 billion', 'about 55 trillion', 'about 2.4e17', 'about 1e15']);
  });
});

describe('CLI: bounds too large for the memory budget', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dmaown-size-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const oneLine = (err: string) => {
    const lines = err.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    return lines[0];
  };

  it('check refuses them up front: one line naming the design, the estimate and the budget, exit 2', () => {
    const r = runCli(['check', '--design', 'v7', '--devices', '8', '--max-memory', '4G']);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    const line = oneLine(r.err);
    // v7's counts at 2, 3 and 4 devices are 4,407, 36,245 and 302,927, as SPIN counts them too
    // (bench/spin.ts on bench/promela.ts's model, run by hand): growths x8.22 and x8.36.
    expect(line).toMatch(/^dmaown: check: too large for --max-memory 4\.0 GiB by estimate: v7 at 8 devices: about [\d.]+ billion states \(302,927 at 4 devices, x8\.22 then x8\.36 per device\), at least [\d.]+ GiB; try --symmetry, /);
    // A part of it can decide violations (viability's too): --stop-when-decided is offered,
    // unless already asked for.
    const plainOffer = /, --max-states N to search part of it, or a larger --max-memory \(docs\/scaling\.md\)$/;
    const stopOffer = /, --max-states N to search part of it \(with --stop-when-decided, enough to decide its violations\), or a larger --max-memory \(docs\/scaling\.md\)$/;
    expect(line).toMatch(stopOffer);
    const refusal = (...more: string[]) => oneLine(runCli(['check', '--design', 'v7', '--devices', '8', '--max-memory', '4G', ...more]).err);
    expect(refusal('--invariant', 'no-mixed-dma,type-ok')).toMatch(stopOffer);
    expect(refusal('--invariant', 'no-mixed-dma', '--stop-when-decided')).toMatch(plainOffer);
    expect(refusal('--invariant', 'no-mixed-dma,viability')).toMatch(stopOffer);
    expect(refusal('--stop-when-decided')).toMatch(plainOffer);
    // The same bound with symmetry fits, and a part of it asked for with --max-states runs.
    expect(runCli(['check', '--design', 'v7', '--devices', '8', '--max-memory', '4G', '--symmetry', '--invariant', 'type-ok', '--max-states', '2000']).code).toBe(3);
    expect(runCli(['check', '--design', 'v7', '--devices', '8', '--max-memory', '4G', '--invariant', 'type-ok', '--max-states', '20000']).code).toBe(3);
    // A --max-states too large for the budget does not make it fit.
    expect(runCli(['check', '--design', 'v7', '--devices', '8', '--max-memory', '4G', '--max-states', '1000000000']).code).toBe(2);
  });

  it('a bound that fits runs as before (until its time budget here)', () => {
    const r = runCli(['check', '--design', 'v7', '--devices', '6', '--max-memory', '1G', '--invariant', 'type-ok', '--max-time', '300ms']);
    expect(r.code).toBe(3);
    expect(r.out).toMatch(/--max-time 300ms reached/);
    const small = runCli(['check', '--design', 'v7', '--devices', '6', '--max-memory', '100M']);
    expect(small.code).toBe(2);
    expect(oneLine(small.err)).toMatch(/too large for --max-memory 100 MiB by estimate: v7 at 6 devices: about \d+ million states/);
  });

  it('compare names every design that does not fit, and only those; shard and a config file refuse too', () => {
    const c = runCli(['compare', '--devices', '6', '--design', 'v8,v7,vfio-per-device', '--max-memory', '2G']);
    expect(c.code).toBe(2);
    const line = oneLine(c.err);
    expect(line).toMatch(/^dmaown: compare: too large for --max-memory 2\.0 GiB by estimate: vfio-per-device at 6 devices: .*; try leaving those designs out with --design, /);
    expect(line).not.toMatch(/v8 at|v7 at/);
    const s = runCli(['shard', '--shards', '2', '--index', '0', '--design', 'v7', '--devices', '8', '--max-memory', '4G']);
    expect(s.code).toBe(2);
    expect(oneLine(s.err)).toMatch(/^dmaown: shard: too large for --max-memory 4\.0 GiB by estimate: v7 at 8 devices/);
    const config = join(dir, 'dmaown.config.json');
    writeFileSync(config, JSON.stringify({ checks: [{ design: 'v8', devices: 4 }, { design: 'v7', devices: 8 }], maxMemory: '4G' }));
    const k = runCli(['check', '--config', config]);
    expect(k.code).toBe(2);
    expect(oneLine(k.err)).toMatch(new RegExp(`v7 at 8 devices: .*; try leaving that run out of .*dmaown\\.config\\.json, --symmetry`));
  });
});
