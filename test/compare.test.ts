/**
 * `dmaown compare`: the JSON fields docs/compare.md promises, agreement with `check` and with
 * replay, the markdown matrix and counterexamples, n/a reasons, determinism, exit codes and
 * one-line errors for bad input.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { design as v7 } from '../machines/v7';
import { compareOutput } from '../src/cli/compareCommand';
import { main } from '../src/cli/main';
import { checkDesign } from '../src/iommu/checkDesign';
import type { Design } from '../src/iommu/design';
import { loadDesigns } from '../src/iommu/designRegistry';
import { parseEvent } from '../src/iommu/events';
import { loadInvariants } from '../src/iommu/invariantRegistry';
import { replayEvents } from '../src/iommu/replay';
import { loadScenarios } from '../src/iommu/scenarioRegistry';
import { runCli } from './cliRun';
import { DECIDED_REASON } from '../src/core/searchLoop';
import { compareDesignsAsync, comparisonIncomplete, comparisonJson, comparisonJsonText, comparisonMarkdown } from '../src/report/compareReport';

/** Runs the CLI in-process; returns exit code, stdout and stderr. */
async function cli(args: string[]) {
  let out = '';
  let err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => { out += String(s); return true; });
  vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => { err += String(s); return true; });
  try {
    const code = await main(args);
    return { code, out, err };
  } finally {
    vi.restoreAllMocks();
  }
}

afterEach(() => vi.restoreAllMocks());

describe('compare --format json', () => {
  it('has, per design and invariant, verdict, states and counterexample; and every scenario', async () => {
    const { text, code } = await compareOutput(['--devices', '2', '--design', 'v7', '--format', 'json']);
    expect(code).toBe(0);
    const j = JSON.parse(text);
    const invariants = (await loadInvariants()).map((i) => i.name);
    const scenarios = loadScenarios().map((s) => s.name);
    expect(j.devices).toBe(2);
    expect(j.invariants).toEqual(invariants);
    expect(j.scenarios).toEqual(scenarios);
    expect(Object.keys(j.designs)).toEqual(['v7']);
    const d = j.designs.v7;
    expect(d).toMatchObject({ complete: true, states: expect.any(Number), transitions: expect.any(Number), depth: expect.any(Number) });
    expect(Object.keys(d.invariants)).toEqual(invariants);
    for (const [name, v] of Object.entries<Record<string, unknown>>(d.invariants)) {
      expect(['holds', 'violated', 'n/a'], name).toContain(v.verdict);
      expect(v).toHaveProperty('states');
      expect(v).toHaveProperty('counterexample');
      if (v.verdict === 'holds') expect(v).toMatchObject({ states: d.states, counterexample: null });
      if (v.verdict === 'violated') {
        const ce = v.counterexample as unknown[];
        expect(ce.length).toBe(v.length);
        // Events in replay's format: each parses as a replay event unchanged.
        for (const e of ce) expect(parseEvent(e, 2, name)).toEqual(e);
      }
      if (v.verdict === 'n/a') expect(v).toMatchObject({ states: null, counterexample: null, reason: expect.any(String) });
    }
    expect(Object.keys(d.scenarios)).toEqual(scenarios);
    for (const s of Object.values<Record<string, unknown>>(d.scenarios)) expect(['passes', 'fails', 'n/a']).toContain(s.verdict);
    // v7 shares a kernel driver's domain through iommu_attach_group() (upstream Tegra's way).
    expect(d.scenarios['shared-private-domain']).toMatchObject({ verdict: 'passes', variant: 'kernel, attach_group' });
    // Eric Auger's report: the late-joined driver's unbind WARNs.
    expect(d.scenarios['late-join-unbind']).toMatchObject({ verdict: 'fails', variant: null, failure: { step: 2, ret: 0, warn: true, expected: [0] } });
    expect(text).not.toMatch(/elapsed/i);
  });

  it('agrees with check, and each counterexample replays to a state that breaks its invariant', async () => {
    const j = JSON.parse((await compareOutput(['--devices', '2', '--design', 'v7', '--format', 'json'])).text);
    const invariants = await loadInvariants();
    const dc = checkDesign(v7, 2, invariants);
    for (const v of dc.verdicts) expect(j.designs.v7.invariants[v.name].verdict, v.name).toBe(v.verdict);
    // no-warn: the last call of its counterexample fires a WARN_ON.
    const trace = replayEvents(v7, 2, j.designs.v7.invariants['no-warn'].counterexample);
    expect(trace[trace.length - 1].warn).toBe(true);
    // An always-invariant breaks in the counterexample's last state and in no earlier one.
    const mixed = invariants.find((i) => i.name === 'no-mixed-dma')!;
    if (mixed.kind !== 'always') throw new Error('no-mixed-dma is a state invariant');
    const t2 = replayEvents(v7, 2, j.designs.v7.invariants['no-mixed-dma'].counterexample);
    expect(t2.map((s) => mixed.holds(s.context, { design: v7, state: s.state }))).toEqual([...t2.slice(1).map(() => true), false]);
  });

  it('reports n/a with the reason, from the design or the invariant', async () => {
    const tricky = 'fixture: "quoted": {a, b}, [c]';
    const noCount: Design = { ...v7, name: 'v7-uncounted', expectedOwnerCnt: undefined, notApplicable: { viability: tricky } };
    const c = await compareDesignsAsync({ designs: [noCount], devices: 1, invariants: await loadInvariants(), invariantsChosen: false, scenarios: loadScenarios(), command: 'test' });
    const j = comparisonJson(c) as { designs: Record<string, { invariants: Record<string, { verdict: string; reason?: string }>; scenarios: Record<string, { verdict: string; reason?: string }> }> };
    const inv = j.designs['v7-uncounted'].invariants;
    expect(inv['refcount-balance']).toMatchObject({ verdict: 'n/a', reason: 'the design keeps no owner_cnt' });
    expect(inv.viability).toMatchObject({ verdict: 'n/a', reason: tricky });
    // The compact JSON text is the same JSON, strings untouched.
    expect(JSON.parse(comparisonJsonText(c))).toEqual(j);
    // At one device, the two-device scenarios are n/a, with the reason.
    expect(j.designs['v7-uncounted'].scenarios['vfio-takeover']).toEqual({ verdict: 'n/a', reason: 'needs 2 devices, the group has 1' });
    const md = comparisonMarkdown(c);
    expect(md).toMatch(/\| refcount-balance \| n\/a \(note \d+\) \|/);
    expect(md).toContain('v7-uncounted / refcount-balance: the design keeps no owner_cnt');
    expect(md).toContain('v7-uncounted / vfio-takeover: needs 2 devices, the group has 1');
  });
});

describe('compare --symmetry', () => {
  it('gives the same verdicts and counterexample lengths from fewer states, and says so', async () => {
    const plain = JSON.parse((await compareOutput(['--devices', '2', '--design', 'v7', '--format', 'json'])).text);
    const sym = JSON.parse((await compareOutput(['--devices', '2', '--design', 'v7', '--symmetry', '--format', 'json'])).text);
    expect(plain.symmetry).toBe(false);
    expect(plain.designs.v7).not.toHaveProperty('symmetry');
    expect(sym.symmetry).toBe(true);
    expect(sym.designs.v7.symmetry).toMatchObject({ reduced: true, note: expect.stringContaining('devices') });
    expect(sym.designs.v7.states).toBeLessThan(plain.designs.v7.states);
    for (const [name, v] of Object.entries<{ verdict: string; length?: number }>(plain.designs.v7.invariants)) {
      expect({ verdict: sym.designs.v7.invariants[name].verdict, length: sym.designs.v7.invariants[name].length }, name).toEqual({ verdict: v.verdict, length: v.length });
    }
    expect(sym.designs.v7.scenarios).toEqual(plain.designs.v7.scenarios);
    const md = (await compareOutput(['--devices', '2', '--design', 'v7', '--symmetry'])).text;
    expect(md).toContain('Generated by `dmaown compare --devices 2 --design v7 --symmetry --format md`');
    expect(md).toMatch(/- `v7`: .*; symmetry: reduced by devices/);
  });
});

describe('compare --format md', () => {
  it('prints the matrix, one column per design, and each counterexample as numbered calls', async () => {
    const { text, code } = await compareOutput(['--devices', '2', '--design', 'v7']);
    expect(code).toBe(0);
    expect(text).toContain('Generated by `dmaown compare --devices 2 --design v7 --format md`');
    expect(text).toContain('| invariant | v7 |');
    expect(text).toContain('| scenario | v7 |');
    const dc = checkDesign(v7, 2, await loadInvariants());
    for (const v of dc.verdicts) {
      if (v.verdict === 'holds') expect(text).toContain(`| ${v.name} | holds, ${v.states.toLocaleString('en-US')} states |`);
      if (v.verdict === 'violated') {
        expect(text).toContain(`| ${v.name} | **violated**, ${v.counterexample.length} calls |`);
        expect(text).toContain(`### v7: ${v.name} (${v.counterexample.length} calls)`);
        expect(text).toContain(`replay: \`${JSON.stringify(v.counterexample)}\``);
      }
    }
    expect(text).toMatch(/\n {2}0 {5}probe_device\(dev=0\)/);
    expect(text).toContain('| shared-private-domain | passes (kernel, attach_group) |');
    expect(text).toContain('| late-join-unbind | **fails** at step 2: WARN_ON |');
    expect(text).toContain('step 2: unbind_driver(dev=0) returned 0 but a WARN_ON fired.');
  });

  it('is deterministic, and compares every design by default', async () => {
    const a = await compareOutput(['--devices', '1']);
    const b = await compareOutput(['--devices', '1']);
    expect(a.text).toBe(b.text);
    const names = (await loadDesigns()).map((d) => d.name);
    expect(a.text).toContain(`| invariant | ${names.join(' | ')} |`);
  });

  it('takes designs in the order given, once each', async () => {
    const { text } = await compareOutput(['--devices', '1', '--design', 'v7,v7', '--format', 'json']);
    expect(Object.keys(JSON.parse(text).designs)).toEqual(['v7']);
  });
});

describe('compare budgets, workers and interrupts', () => {
  it('--max-states stops each search there: unknown where undecided, the full run\'s counterexamples where found, exit 3', async () => {
    const args = ['--devices', '3', '--design', 'v7,v8', '--max-states', '5000'];
    const { text, code } = await compareOutput([...args, '--format', 'json']);
    expect(code).toBe(3);
    const j = JSON.parse(text);
    const full = JSON.parse((await compareOutput(['--devices', '3', '--design', 'v7,v8', '--format', 'json'])).text);
    expect(j.designs.v7).toMatchObject({ complete: false, stopReason: '--max-states 5000 reached' });
    expect(full.designs.v7.states).toBeGreaterThan(5000);
    const verdicts = Object.entries<{ verdict: string; counterexample: unknown }>(j.designs.v7.invariants);
    expect(verdicts.map(([, v]) => v.verdict)).toContain('unknown');
    for (const [name, v] of verdicts) {
      const f = full.designs.v7.invariants[name];
      if (v.verdict === 'unknown') expect(['holds', 'violated'], name).toContain(f.verdict);
      else expect(v, name).toEqual(f);
    }
    // v8 has fewer states than the budget: the same as without it.
    expect(j.designs.v8).toEqual(full.designs.v8);
    expect(j).not.toHaveProperty('notRun');
    const md = (await compareOutput(args)).text;
    expect(md).toContain('Generated by `dmaown compare --devices 3 --design v7,v8 --max-states 5000 --format md`');
    expect(md).toContain('INCOMPLETE: the search of v7 was stopped (--max-states 5000 reached)');
  });

  it('--invariant and --stop-when-decided: the whole search\'s verdicts and counterexamples; designs that break every one stop early, exit 0', async () => {
    const args = ['--devices', '3', '--invariant', 'no-mixed-dma,viability', '--format', 'json'];
    const whole = await compareOutput(args);
    const early = await compareOutput([...args, '--stop-when-decided']);
    expect([whole.code, early.code]).toEqual([0, 0]);
    const w = JSON.parse(whole.text);
    const e = JSON.parse(early.text);
    expect(e.invariants).toEqual(['no-mixed-dma', 'viability']);
    expect(Object.keys(e.designs)).toEqual(Object.keys(w.designs));
    let stopped = 0;
    for (const [name, d] of Object.entries<{ states: number; invariants: Record<string, { verdict: string; counterexample: unknown }> }>(w.designs)) {
      const x = e.designs[name];
      expect(Object.keys(x.invariants), name).toEqual(['no-mixed-dma', 'viability']);
      for (const [inv, v] of Object.entries(d.invariants)) {
        expect(x.invariants[inv].verdict, `${name} ${inv}`).toBe(v.verdict);
        expect(x.invariants[inv].counterexample, `${name} ${inv}`).toEqual(v.counterexample);
      }
      const vs = Object.values(d.invariants).map((v) => v.verdict);
      if (vs.includes('violated') && vs.every((v) => v === 'violated' || v === 'n/a')) {
        expect(x, name).toMatchObject({ complete: false, stopReason: DECIDED_REASON });
        expect(x.states, name).toBeLessThan(d.states);
        stopped++;
      } else {
        expect(x, name).toMatchObject({ complete: true, states: d.states });
      }
    }
    // At 3 devices no-mixed-dma holds in iommufd and v8, viability in attach-cnt (docs/comparison.md).
    expect(stopped).toBe(Object.keys(w.designs).length - 3);
    const md = await compareOutput(['--devices', '3', '--invariant', 'no-mixed-dma', 'viability', '--stop-when-decided']);
    expect(md.code).toBe(0);
    expect(md.text).toContain('Generated by `dmaown compare --devices 3 --invariant no-mixed-dma,viability --stop-when-decided --format md`');
    expect(md.text).toContain('checked exhaustively against the invariants below');
    expect(md.text).toMatch(/Stopped once decided \(`--stop-when-decided`\): the search of jgg-draft ended at [\d,]+ states, /);
    expect(md.text).not.toContain('INCOMPLETE');
  });

  it('--workers 2 gives the same bytes as one thread', async () => {
    const one = await compareOutput(['--devices', '3', '--design', 'v7,jgg-draft', '--format', 'json']);
    const two = await compareOutput(['--devices', '3', '--design', 'v7,jgg-draft', '--format', 'json', '--workers', '2']);
    expect(two).toEqual(one);
  });

  it('interrupted: the design being checked stops (unknown verdicts), the rest are listed as not run', async () => {
    const designs = await loadDesigns();
    const pick = (n: string) => designs.find((d) => d.name === n)!;
    const invariants = await loadInvariants();
    const controller = new AbortController();
    const started: string[] = [];
    const c = await compareDesignsAsync({ designs: [pick('v8'), pick('v7'), pick('iommufd')], devices: 4, invariants, invariantsChosen: false, scenarios: loadScenarios(), command: 'test' }, {
      signal: controller.signal,
      sliceMs: 1,
      progressEvery: 1 << 12,
      onProgress: (p) => { if (p.states >= 40_000) controller.abort('SIGINT'); },
    }, (d) => started.push(d.name));
    expect(started).toEqual(['v8', 'v7']);
    expect(c.designs.map((d) => d.check.design.name)).toEqual(['v8', 'v7']);
    expect(c.notRun.map((d) => d.name)).toEqual(['iommufd']);
    expect(comparisonIncomplete(c)).toBe(true);
    expect(c.designs[0].check.result.complete).toBe(true);
    const v7run = c.designs[1].check;
    expect(v7run.result).toMatchObject({ complete: false, stopReason: 'interrupted by SIGINT' });
    // What was found is what the whole search finds; scenarios still ran.
    const full = checkDesign(pick('v7'), 4, invariants);
    expect(v7run.result.states).toBeLessThan(full.result.states);
    const decided = v7run.verdicts.filter((v, i) => { if (v.verdict === 'unknown') return false; expect(v, v.name).toEqual(full.verdicts[i]); return true; });
    expect(decided.length).toBeGreaterThan(0);
    expect(c.designs[1].scenarios).toHaveLength(loadScenarios().length);
    const j = comparisonJson(c);
    expect(j.notRun).toEqual(['iommufd']);
    expect(Object.keys(j.designs as object)).toEqual(['v8', 'v7']);
    const md = comparisonMarkdown(c);
    expect(md).toContain('INCOMPLETE: the search of v7 was stopped (interrupted by SIGINT)');
    expect(md).toContain('NOT RUN: interrupted before `iommufd` was checked; it is not in the matrix.');
    expect(md).toContain('| invariant | v8 | v7 |');
  });

  it('aborted before it starts: nothing checked, every design not run, exit 3', async () => {
    const controller = new AbortController();
    controller.abort('SIGTERM');
    const { text, code } = await compareOutput(['--devices', '2', '--design', 'v7,v8', '--format', 'json'], controller.signal);
    expect(code).toBe(3);
    expect(JSON.parse(text)).toMatchObject({ designs: {}, notRun: ['v7', 'v8'] });
  });
});

describe('compare exit codes', () => {
  it('exits 0 when it ran, even with violations', async () => {
    const r = await cli(['compare', '--devices', '2', '--design', 'v7']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('**violated**');
    expect(r.err).toBe('');
  });

  it.each([
    [['--design', 'no-such-design'], /unknown design 'no-such-design' \(known: .*v7/],
    [['--devices', '0'], /--devices 0 is out of range/],
    [['--devices', '9'], /--devices 9 is out of range/],
    [['--devices', 'two'], /--devices must be a whole number/],
    [['--format', 'xml'], /--format must be one of md, json, got 'xml'/],
    [['--invariant', 'nope'], /unknown invariant 'nope' \(known: type-ok, /],
    [['--stop-when-decided=maybe'], /--stop-when-decided takes no value \(or true\/false\), got 'maybe'/],
    [['--max-states', '0'], /--max-states must be a positive whole number, got '0'/],
    [['--max-time', 'soon'], /--max-time must be a duration/],
    [['--workers', '0'], /--workers 0 is out of range/],
    [['extra'], /unexpected argument 'extra'/],
  ])('bad input %j: one line on stderr, exit 2', async (args, msg) => {
    const r = await cli(['compare', ...args]);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    const lines = r.err.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^dmaown: /);
    expect(lines[0]).toMatch(msg);
  });

  it('is listed in dmaown --help and has its own --help', async () => {
    expect((await cli(['--help'])).out).toMatch(/\n {2}compare +check every design/);
    const h = await cli(['compare', '--help']);
    expect(h.code).toBe(0);
    expect(h.out).toContain('usage: dmaown compare [--devices N] [--design NAME ...] [--invariant NAME ...]');
    expect(h.out).toContain('[--symmetry] [--workers N] [--stop-when-decided]');
  });
});

// The compiled CLI reads scenarios/ from the repository (they are JSON, not compiled).
describe('compiled CLI', () => {
  it('finds the scenario files from dist/', () => {
    const r = runCli(['compare', '--devices', '1', '--design', 'v7', '--format', 'json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).scenarios).toEqual(loadScenarios().map((s) => s.name));
  });
});
