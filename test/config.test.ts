/**
 * dmaown.config.json (src/config/): validation with one-line errors, discovery by `dmaown check`,
 * several designs and bounds in one report, and expectations deciding the exit code.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { validateConfig } from '../src/config/validateConfig';
import { runCli } from './cliRun';
import { main } from '../src/cli/main';
import type { Design } from '../src/iommu/design';
import { loadDesigns } from '../src/iommu/designRegistry';
import type { Invariant } from '../src/iommu/invariant';
import { loadInvariants } from '../src/iommu/invariantRegistry';

let designs: Design[];
let invariants: Invariant[];
const dir = mkdtempSync(join(tmpdir(), 'dmaown-config-'));
const home = process.cwd();

beforeAll(async () => {
  designs = await loadDesigns();
  invariants = await loadInvariants();
});
afterAll(() => {
  process.chdir(home);
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the CLI in-process in `cwd`; returns the exit code and what it printed. */
async function run(args: string[], cwd = dir) {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => { out += String(s); return true; });
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => { err += String(s); return true; });
  process.chdir(cwd);
  try {
    const code = await main(args);
    return { code, out, err };
  } finally {
    process.chdir(home);
    o.mockRestore();
    e.mockRestore();
  }
}

const errorOf = (raw: unknown) => {
  try {
    validateConfig(raw, 'dmaown.config.json', designs, invariants);
  } catch (e) {
    return (e as Error).message;
  }
  return null;
};

describe('config validation', () => {
  it('expands designs x bounds in order, with all invariants by default', () => {
    const plan = validateConfig({ checks: [{ design: ['v7', 'v8'], devices: [1, 2] }, { design: 'v7', devices: 3, invariants: ['no-warn'], expect: { 'no-warn': 'violated' } }], maxStates: 1000, maxMemory: '64M', maxTime: '10m' }, 'c.json', designs, invariants);
    expect(plan.runs.map((r) => `${r.design.name}@${r.devices}`)).toEqual(['v7@1', 'v7@2', 'v8@1', 'v8@2', 'v7@3']);
    expect(plan.runs[0].invariants.length).toBe(invariants.length);
    expect(plan.runs[4].invariants.map((i) => i.name)).toEqual(['no-warn']);
    expect(plan.runs[4].expect).toEqual({ 'no-warn': 'violated' });
    expect([plan.maxStates, plan.maxMemory, plan.maxTimeMs]).toEqual([1000, 64 * 1024 * 1024, 600_000]);
    // Budgets as numbers: bytes and seconds, as --max-memory and --max-time take bare numbers.
    const numeric = validateConfig({ checks: [{ design: 'v7' }], maxMemory: 64 * 1024 * 1024, maxTime: 600 }, 'c.json', designs, invariants);
    expect([numeric.maxMemory, numeric.maxTimeMs]).toEqual([64 * 1024 * 1024, 600_000]);
  });

  it('symmetry allows bounds up to 16; the command line\'s --symmetry decides over the file\'s', () => {
    const raw = { checks: [{ design: 'v7', devices: [9, 16] }], symmetry: true, workers: 2 };
    const plan = validateConfig(raw, 'c.json', designs, invariants);
    expect(plan.runs.map((r) => r.devices)).toEqual([9, 16]);
    expect([plan.symmetry, plan.workers]).toEqual([true, 2]);
    expect(() => validateConfig(raw, 'c.json', designs, invariants, { symmetry: false })).toThrow('c.json: checks[0].devices: 9 is out of range (1 to 8, or to 16 with symmetry)');
    const plain = { checks: [{ design: 'v7', devices: 9 }] };
    expect(() => validateConfig(plain, 'c.json', designs, invariants)).toThrow(/9 is out of range/);
    expect(validateConfig(plain, 'c.json', designs, invariants, { symmetry: true }).runs[0].devices).toBe(9);
    expect(validateConfig({ checks: [{ design: 'v7' }] }, 'c.json', designs, invariants).symmetry).toBeUndefined();
  });

  it('refuses anything malformed or unknown in one line naming the entry', () => {
    const cases: [unknown, string][] = [
      [[], 'dmaown.config.json: must be a JSON object with a "checks" list, got an array'],
      [{ checks: [] }, 'dmaown.config.json: checks: must be a non-empty list'],
      [{ checks: [{ design: 'v7' }], extra: 1 }, "dmaown.config.json: unknown key 'extra'"],
      [{ checks: [{ design: 'v7', devics: 2 }] }, "dmaown.config.json: checks[0]: unknown key 'devics' (known: design, devices, invariants, expect)"],
      [{ checks: [{ devices: 2 }] }, 'dmaown.config.json: checks[0]: needs a "design"'],
      [{ checks: [{ design: 'v99' }] }, "dmaown.config.json: checks[0].design: unknown design 'v99' (known: "],
      [{ checks: [{ design: ['v7', 'nope'] }] }, "dmaown.config.json: checks[0].design[1]: unknown design 'nope'"],
      [{ checks: [{ design: 'v7', devices: 9 }] }, 'dmaown.config.json: checks[0].devices: 9 is out of range (1 to 8, or to 16 with symmetry)'],
      [{ checks: [{ design: 'v7', devices: 17 }], symmetry: true }, 'dmaown.config.json: checks[0].devices: 17 is out of range (1 to 16 with symmetry)'],
      [{ checks: [{ design: 'v7' }], symmetry: 'yes' }, 'dmaown.config.json: symmetry: must be true or false, got "yes"'],
      [{ checks: [{ design: 'v7' }], workers: 0 }, 'dmaown.config.json: workers: must be a whole number from 1 to 64, got 0'],
      [{ checks: [{ design: 'v7' }], stopWhenDecided: 1 }, 'dmaown.config.json: stopWhenDecided: must be true or false, got 1'],
      [{ checks: [{ design: 'v7' }], workers: 2.5 }, 'dmaown.config.json: workers: must be a whole number from 1 to 64, got 2.5'],
      [{ checks: [{ design: 'v7', devices: '2' }] }, 'dmaown.config.json: checks[0].devices: must be a whole number or a list of them, got "2"'],
      [{ checks: [{ design: 'v7', invariants: ['no-such'] }] }, 'dmaown.config.json: checks[0].invariants: unknown invariant "no-such"'],
      [{ checks: [{ design: 'v7', invariants: ['no-warn'], expect: { 'type-ok': 'violated' } }] }, "dmaown.config.json: checks[0].expect: 'type-ok' is not an invariant this entry checks (no-warn)"],
      [{ checks: [{ design: 'v7', expect: { 'no-warn': 'broken' } }] }, 'dmaown.config.json: checks[0].expect.no-warn: must be "holds" or "violated", got "broken"'],
      [{ checks: [{ design: 'v7' }, { design: 'v7', devices: 3 }] }, 'dmaown.config.json: checks[1]: v7 at 3 devices is already checked by an earlier entry'],
      [{ checks: [{ design: 'v7', devices: [2, 2] }] }, 'dmaown.config.json: checks[0]: v7 at 2 devices is already checked by this entry'],
      [{ checks: [{ design: 'v7', invariants: ['no-warn', 'no-warn'] }] }, 'dmaown.config.json: checks[0].invariants: "no-warn" is named twice'],
      [{ checks: [{ design: 'v7' }], maxMemory: 12 }, 'dmaown.config.json: maxMemory: must be a size of at least 1M'],
      // Malformed is not "too small": an exponent is not read, and a boolean is no size.
      [{ checks: [{ design: 'v7' }], maxMemory: '1.5e3G' }, 'dmaown.config.json: maxMemory: must be a size like "512M", "8G" or "1.5GiB" (no exponents), or a number of bytes, got "1.5e3G"'],
      [{ checks: [{ design: 'v7' }], maxMemory: true }, 'dmaown.config.json: maxMemory: must be a size like "512M"'],
      // More than any machine here has (the command line refuses --max-memory 999T alike).
      [{ checks: [{ design: 'v7' }], maxMemory: '999T' }, 'dmaown.config.json: maxMemory: "999T" is more than this machine\'s'],
      [{ checks: [{ design: 'v7' }], maxTime: true }, 'dmaown.config.json: maxTime: must be a duration like "90s", "10m" or "2h", got true'],
      [{ checks: [{ design: 'v7' }], maxTime: 'soon' }, 'dmaown.config.json: maxTime: must be a duration like "90s", "10m" or "2h", got "soon"'],
      [{ checks: [{ design: 'v7' }], maxTime: '0s' }, 'dmaown.config.json: maxTime: "0s" is under a millisecond'],
    ];
    for (const [raw, msg] of cases) {
      const m = errorOf(raw);
      expect(m, JSON.stringify(raw)).not.toBeNull();
      expect(m!.startsWith(msg), `${m} should start with ${msg}`).toBe(true);
      expect(m).not.toContain('\n');
    }
  });
});

describe('dmaown check with a config file', () => {
  it('reads dmaown.config.json from the current directory: one report over every run', async () => {
    writeFileSync(join(dir, 'dmaown.config.json'), JSON.stringify({
      checks: [
        { design: 'v7', devices: [1, 2], invariants: ['no-warn', 'owned-isolation'], expect: { 'no-warn': 'violated' } },
      ],
    }));
    const json = await run(['check', '--format', 'json']);
    expect(json.err).toBe('');
    expect(json.code).toBe(0);
    const doc = JSON.parse(json.out);
    expect(doc.config).toBe('dmaown.config.json');
    expect(doc.runs.map((r: { design: string; devices: number }) => `${r.design}@${r.devices}`)).toEqual(['v7@1', 'v7@2']);
    expect(doc.runs[0].expect).toEqual({ 'no-warn': 'violated' });
    expect(doc.runs[1].invariants.map((i: { verdict: string }) => i.verdict)).toEqual(['violated', 'holds']);

    const junit = await run(['check', '--format', 'junit', '--report', `md=${join(dir, 'summary.md')}`]);
    expect(junit.code).toBe(0);
    expect(junit.out).toContain('<testsuite name="v7 (1 device)"');
    expect(junit.out).toContain('<testsuite name="v7 (2 devices)"');
    expect(readFileSync(join(dir, 'summary.md'), 'utf8')).toContain('✅ **All 4 verdicts are as expected.**');

    // Command-line run flags win over the file found here.
    const flags = await run(['check', '--devices', '1', '--invariant', 'no-warn']);
    expect(flags.code).toBe(1);
    expect(flags.out).toContain('no-warn violated');
  });

  it('--config FILE: an unexpected verdict exits 1; malformed or conflicting input exits 2 in one line', async () => {
    const f = join(dir, 'strict.json');
    writeFileSync(f, JSON.stringify({ checks: [{ design: 'v7', devices: 1, invariants: ['no-warn'] }] }));
    const r = await run(['check', '--config', f, '--format', 'md']);
    expect(r.code).toBe(1);
    expect(r.out).toContain('❌ **1 of 1 verdicts are not as expected.**');

    writeFileSync(join(dir, 'bad.json'), '{"checks": [');
    const bad = await run(['check', '--config', 'bad.json']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/^dmaown: bad\.json: malformed JSON \(.*\)\n$/);

    const both = await run(['check', '--config', f, '--design', 'v7']);
    expect(both.code).toBe(2);
    expect(both.err).toMatch(/^dmaown: check: --config names the designs, bounds and invariants; drop --design/);

    const missing = await run(['check', '--config', 'nope.json']);
    expect(missing.err).toBe("dmaown: config file 'nope.json' not found\n");

    const unknown = await run(['check', '--format', 'xml']);
    expect(unknown.code).toBe(2);
  });

  it("a config's symmetry and workers apply unless the command line says otherwise, and the reports say what states counted", () => {
    const f = join(dir, 'reduced.json');
    writeFileSync(f, JSON.stringify({ checks: [{ design: 'v7', devices: 3, invariants: ['owned-isolation'] }], symmetry: true, workers: 2 }));
    const reduced = runCli(['check', '--config', f, '--format', 'json']);
    expect(reduced.code).toBe(0);
    const run0 = JSON.parse(reduced.out).runs[0];
    expect(run0.symmetry.reduced).toBe(true);
    expect(run0.symmetry.note).toMatch(/^devices \(any of 3! orders\), users/);
    const text = runCli(['check', '--config', f]);
    expect(text.out).toMatch(/distinct states \(classes up to symmetry\)/);
    expect(text.out).toMatch(/\nreduced by symmetry: devices \(any of 3! orders\)/);
    expect(runCli(['check', '--config', f, '--format', 'junit']).out).toMatch(/<property name="symmetry" value="reduced by symmetry: devices/);
    expect(runCli(['check', '--config', f, '--format', 'md']).out).toMatch(/\nreduced by symmetry: devices .* \(states are classes of states equal up to it\)\./);
    // --symmetry=false searches every state; the reduced count is the smaller one.
    const full = runCli(['check', '--config', f, '--format', 'json', '--symmetry=false']);
    const fullRun = JSON.parse(full.out).runs[0];
    expect(fullRun.symmetry).toBeUndefined();
    expect(run0.states).toBeLessThan(fullRun.states);
    // The file's workers: 2 and --workers 1 give the same report but for the search's time.
    const untimed = (out: string) => out.replace(/"elapsedMs": \d+/g, '');
    expect(untimed(runCli(['check', '--config', f, '--format', 'json', '--workers', '1']).out)).toBe(untimed(reduced.out));
    // Without symmetry asked for, the reports say nothing of it. (Spawned: worker threads need the compiled modules.)
    expect(runCli(['check', '--devices', '2', '--invariant', 'type-ok']).out).not.toMatch(/symmetry/);
  });

  it("stopWhenDecided: expected violations end the search once decided, with exit 0 and final verdicts; --stop-when-decided=false searches the whole bound", async () => {
    const f = join(dir, 'decided.json');
    writeFileSync(f, JSON.stringify({ checks: [{ design: 'v7', devices: 4, invariants: ['no-mixed-dma', 'no-warn'], expect: { 'no-mixed-dma': 'violated', 'no-warn': 'violated' } }], stopWhenDecided: true }));
    const full = await run(['check', '--config', f, '--format', 'json', '--stop-when-decided=false']);
    const fullRun = JSON.parse(full.out).runs[0];
    expect([full.code, fullRun.complete]).toEqual([0, true]);
    const json = await run(['check', '--config', f, '--format', 'json']);
    expect(json.code).toBe(0);
    const run0 = JSON.parse(json.out).runs[0];
    expect([run0.complete, run0.stopReason]).toEqual([false, 'every property checked was decided']);
    expect(run0.states).toBeLessThan(fullRun.states);
    // The verdicts, the states at which each was decided and the counterexamples: the whole search's.
    expect(run0.invariants).toEqual(fullRun.invariants);
    const text = await run(['check', '--config', f]);
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/\nexplored [\d,]+ distinct states/);
    expect(text.out).toMatch(/\nstopped once every invariant checked was decided \(--stop-when-decided\): the verdicts below are final\n/);
    expect(text.out).toMatch(/config: every verdict as expected; violated as expected: no-mixed-dma, no-warn/);
    expect(text.out).not.toMatch(/INCOMPLETE|stopped early/);
    const md = await run(['check', '--config', f, '--format', 'md']);
    expect(md.out).toMatch(/✅ \*\*All 2 verdicts are as expected\.\*\*/);
    expect(md.out).toMatch(/Stopped once every invariant checked was decided/);
    expect(md.out).not.toMatch(/\(incomplete\)/);
    // A states budget reached once every verdict is decided, before the level that decides them
    // begins, ends it as decided too: each verdict's `states` is the count stored when it was
    // reached, so a budget of the largest stops past both counterexamples and before that level.
    const last = Math.max(...run0.invariants.map((i: { states: number }) => i.states));
    const budgeted = await run(['check', '--config', f, '--format', 'json', '--max-states', String(last)]);
    const budgetedRun = JSON.parse(budgeted.out).runs[0];
    expect(budgeted.code).toBe(0);
    expect(budgetedRun.stopReason).toBe('every property checked was decided');
    expect(budgetedRun.states).toBeLessThan(run0.states);
    expect(budgetedRun.invariants).toEqual(fullRun.invariants);
    // Without the flag the same budget is the budget's stop (exit 3: nothing unexpected found).
    const plain = await run(['check', '--config', f, '--format', 'json', '--max-states', String(last), '--stop-when-decided=false']);
    expect([plain.code, JSON.parse(plain.out).runs[0].stopReason]).toEqual([3, `--max-states ${last} reached`]);
    // An invariant that holds keeps the search going to the end of the bound.
    writeFileSync(f, JSON.stringify({ checks: [{ design: 'v7', devices: 3, invariants: ['no-mixed-dma', 'type-ok'], expect: { 'no-mixed-dma': 'violated' } }], stopWhenDecided: true }));
    expect(JSON.parse((await run(['check', '--config', f, '--format', 'json'])).out).runs[0].complete).toBe(true);
  });

  it('reads a .js config (default export)', async () => {
    const sub = mkdtempSync(join(dir, 'js-'));
    writeFileSync(join(sub, 'dmaown.config.js'), "module.exports = { checks: [{ design: 'v7', devices: 1, invariants: ['owned-isolation'] }] };\n");
    const r = await run(['check', '--format', 'json'], sub);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).config).toBe('dmaown.config.js');
  });

  it("reads a config exported as 'config' from .cjs and .mjs", async () => {
    const sub = mkdtempSync(join(dir, 'named-'));
    const checks = "{ checks: [{ design: 'v7', devices: 1, invariants: ['owned-isolation'] }] }";
    writeFileSync(join(sub, 'a.cjs'), `exports.config = ${checks};\n`);
    writeFileSync(join(sub, 'b.mjs'), `export const config = ${checks};\n`);
    // An ES module may await at its top level (Node's own import() loads it, not require()).
    writeFileSync(join(sub, 'c.mjs'), `const c = await Promise.resolve(${checks});\nexport default c;\n`);
    for (const f of ['a.cjs', 'b.mjs', 'c.mjs']) {
      const r = await run(['check', '--config', f, '--format', 'json'], sub);
      expect(r.err, f).toBe('');
      expect(r.code, f).toBe(0);
      expect(JSON.parse(r.out).runs).toHaveLength(1);
    }
  });
});
