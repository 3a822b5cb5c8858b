/**
 * CI reports of `dmaown check`: JUnit XML (src/report/junitReport.ts) and the markdown summary
 * (src/report/markdownReport.ts), over several runs, with expectations.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { design as v7 } from '../machines/v7';
import { exitCodeOf, expectationLine, type CheckRun } from '../src/config/expectations';
import { checkDesign } from '../src/iommu/checkDesign';
import type { Invariant } from '../src/iommu/invariant';
import { loadInvariants } from '../src/iommu/invariantRegistry';
import { checkJunit, xmlEscape, xmlText } from '../src/report/junitReport';
import { checkMarkdown } from '../src/report/markdownReport';

let invariants: Invariant[];
let runs: CheckRun[];
const pick = (...names: string[]) => invariants.filter((i) => names.includes(i.name));
/** v7 with one invariant declared not applicable, to see a skipped test case. */
const v7na = { ...v7, notApplicable: { 'owned-isolation': 'for the test' } };

beforeAll(async () => {
  invariants = await loadInvariants();
  runs = [
    { dc: checkDesign(v7, 2, invariants), expect: {} },
    { dc: checkDesign(v7na, 1, pick('no-warn', 'owned-isolation', 'type-ok')), expect: { 'no-warn': 'violated' } },
  ];
});

/** How many of a run's verdicts are `v`: the report's counts are checked against the run itself. */
const count = (r: CheckRun, v: string) => r.dc.verdicts.filter((x) => x.verdict === v).length;
const num = (n: number) => n.toLocaleString('en-US');

/** The XML with the time attributes, the only thing allowed to vary, blanked. */
const timeless = (xml: string) => xml.replace(/ time="[\d.]+"/g, ' time=""');

describe('JUnit report', () => {
  it('has one suite per run and one case per invariant, with the counterexample in the failure', () => {
    const xml = checkJunit(runs);
    // Run 0 expects nothing, so each violation is a failure; run 1 has 3 cases, one n/a (skipped).
    const n0 = runs[0].dc.verdicts.length;
    const v0 = count(runs[0], 'violated');
    expect(v0).toBeGreaterThan(0);
    expect(xml.startsWith(`<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="dmaown check" tests="${n0 + 3}" failures="${v0}" errors="0" skipped="1"`)).toBe(true);
    expect(xml).toContain(`<testsuite name="v7 (2 devices)" tests="${n0}" failures="${v0}" errors="0" skipped="0"`);
    expect(xml).toContain('<testsuite name="v7 (1 device)" tests="3" failures="0" errors="0" skipped="1"');
    expect(xml).toContain('<testcase classname="dmaown.v7.devices-2" name="type-ok" time="0"/>');
    const noWarn = xml.slice(xml.indexOf('name="no-warn"'), xml.indexOf('</testcase>', xml.indexOf('name="no-warn"')));
    expect(noWarn).toContain('<failure type="violated" message="WARN_ON fired in unbind_driver (unuse:WARN_ON(!owner_cnt))">');
    expect(noWarn).toContain('2     unbind_driver(dev=0)               0    WARN');
    expect(noWarn).toContain('replay: [{"type":"bind_driver","dev":0,"driver":"kernel"}');
    // An expected violation passes and keeps its counterexample in system-out; n/a is skipped.
    expect(xml).toMatch(/classname="dmaown\.v7\.devices-1" name="no-warn" time="0">\n\s+<system-out>violated, as expected\n/);
    expect(xml).toContain('<skipped message="n/a: for the test"/>');
    expect(timeless(checkJunit(runs))).toBe(timeless(xml));
  });

  it('fails a case whose expected violation does not happen, and marks an undecided one an error', () => {
    const holds = { dc: checkDesign(v7, 1, pick('owned-isolation')), expect: { 'owned-isolation': 'violated' as const } };
    expect(checkJunit([holds])).toContain('<failure type="holds" message="expected violated, got holds">');
    const cut = { dc: checkDesign(v7, 2, pick('owned-isolation'), { maxStates: 10 }), expect: {} };
    expect(checkJunit([cut])).toMatch(/<error type="incomplete" message="undecided: --max-states 10 reached"\/>/);
    expect(checkJunit([cut])).toContain('<property name="stopped" value="--max-states 10 reached"/>');
    // A complete search has no `stopped` property; one --stop-when-decided ended says its verdicts are final.
    expect(checkJunit([holds])).not.toContain('name="stopped"');
    const decided = { dc: checkDesign(v7, 3, pick('no-warn'), { stopWhenDecided: true }), expect: {} };
    expect([decided.dc.result.complete, decided.dc.verdicts[0].verdict]).toEqual([false, 'violated']);
    const dx = checkJunit([decided]);
    expect(dx).toContain('<property name="complete" value="false"/>');
    expect(dx).toContain('<property name="stopped" value="every property checked was decided (--stop-when-decided): the verdicts are final"/>');
    expect(dx).toMatch(/errors="0"/);
    expect(exitCodeOf([holds])).toBe(1);
    expect(exitCodeOf([cut])).toBe(3);
    expect(exitCodeOf([runs[1]])).toBe(0);
    expect(exitCodeOf(runs)).toBe(1);
    // The text report of a config run says the same, in one line.
    expect(expectationLine(holds)).toBe('config: NOT AS EXPECTED: owned-isolation holds (expected violated)');
    expect(expectationLine(cut)).toBe('config: 1 undecided');
    // Every verdict decided and as expected, but a budget stopped the search: exit 3, and the
    // reports say why rather than an unqualified success.
    const early = { dc: checkDesign(v7, 3, pick('no-warn'), { maxStates: 200 }), expect: { 'no-warn': 'violated' as const } };
    expect([early.dc.result.complete, early.dc.verdicts[0].verdict]).toEqual([false, 'violated']);
    expect(exitCodeOf([early])).toBe(3);
    expect(checkMarkdown([early])).toContain('⚠️ **All 1 verdicts are as expected**, but a search stopped early.');
    expect(expectationLine(early)).toBe('config: every verdict as expected, but the search stopped early; violated as expected: no-warn');
  });

  it('escapes what XML 1.0 cannot hold: U+FFFE/U+FFFF and lone surrogates dropped, tabs and CRs in attributes kept as references', () => {
    expect(xmlText('a\uffffb\ufffec\ud800d\udc00e\ud83d\ude00f & <g>')).toBe('abcde\ud83d\ude00f &amp; &lt;g&gt;');
    expect(xmlEscape('x\ty\rz\n"')).toBe('x&#9;y&#13;z&#10;&quot;');
  });
});

describe('markdown report', () => {
  it('summarises every run and embeds each counterexample as a sequence diagram, without timings', () => {
    const md = checkMarkdown(runs);
    expect(md).toBe(checkMarkdown(runs));
    const r0 = runs[0];
    const total = r0.dc.verdicts.length + runs[1].dc.verdicts.length;
    expect(md.startsWith(`## dmaown check\n\n❌ **${count(r0, 'violated')} of ${total} verdicts are not as expected.**\n`)).toBe(true);
    const res = r0.dc.result;
    expect(md).toContain(`| v7 | 2 | ${num(res.states)} | ${num(res.transitions)} | ${res.depth} | ${count(r0, 'holds')} | ${count(r0, 'violated')} | ${count(r0, 'n/a')} | ❌ |`);
    expect(md).toContain('| no-warn | ✅ violated (expected) |');
    expect(md).toContain('| owned-isolation | ✅ n/a |');
    expect(md).toContain('#### v7 at 2 devices: no-mixed-dma violated\n\ndevice 1 has a kernel DMA-API driver bound while file1 owns the group.\n\n```mermaid\nsequenceDiagram\n');
    // The expected violation's counterexample is folded away.
    expect(md).toContain('#### v7 at 1 device: no-warn violated, as expected\n\nWARN_ON fired in unbind_driver (unuse:WARN_ON(!owner_cnt)).\n\n<details><summary>Counterexample</summary>');
    expect(md).toContain('Replay with `dmaown replay --design v7 --devices 2`:');
    expect(md).not.toMatch(/\d+(\.\d+)? ?(ms|s)\b/);
    expect(md).not.toMatch(/states\/s/);
  });
});
