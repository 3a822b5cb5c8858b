import { DECIDED_REASON } from '../core/searchLoop';
import { expectedOf, outcomeOf, type CheckRun } from '../config/expectations';
import type { InvariantVerdict } from '../iommu/checkDesign';
import { DEVICES_LEGEND, symmetryLine, traceText } from './checkReport';
import { plural } from './plural';

/**
 * Text escaped for XML element content. Characters XML 1.0 forbids are dropped: control
 * characters, U+FFFE and U+FFFF, and halves of surrogate pairs that stand alone.
 */
export function xmlText(s: string): string {
  return s
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '')
    .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Text escaped for a double-quoted XML attribute: newlines, tabs and carriage returns kept as
 * character references (a parser turns them into spaces otherwise).
 */
export function xmlEscape(s: string): string {
  return xmlText(s).replace(/"/g, '&quot;').replace(/\n/g, '&#10;').replace(/\t/g, '&#9;').replace(/\r/g, '&#13;');
}

const seconds = (ms: number) => (ms / 1000).toFixed(3);

/** A stop reason as the `stopped` property says it: the decided one says its verdicts are final. */
const stopLine = (reason: string) => reason === DECIDED_REASON ? `${reason} (--stop-when-decided): the verdicts are final` : reason;
const suiteName = (r: CheckRun) => `${r.dc.design.name} (${plural(r.dc.devices, 'device')})`;

/** The counterexample as text: the numbered calls with the state after each, then the replay events. */
function counterexampleText(r: CheckRun, v: Extract<InvariantVerdict, { verdict: 'violated' }>): string {
  return [`${v.name} violated: ${v.explanation}`, ...traceText(r.dc, v.trace), `  replay: ${JSON.stringify(v.counterexample)}`, DEVICES_LEGEND].join('\n');
}

function testcase(r: CheckRun, v: InvariantVerdict): string[] {
  const expected = expectedOf(r, v.name);
  const o = outcomeOf(v, expected);
  const open = `    <testcase classname="${xmlEscape(`dmaown.${r.dc.design.name}.devices-${r.dc.devices}`)}" name="${xmlEscape(v.name)}" time="0">`;
  if (v.verdict === 'n/a' && o === 'pass') return [open, `      <skipped message="${xmlEscape(`n/a: ${v.reason}`)}"/>`, '    </testcase>'];
  if (o === 'incomplete') return [open, `      <error type="incomplete" message="${xmlEscape(`undecided: ${r.dc.result.stopReason ?? 'the search stopped early'}`)}"/>`, '    </testcase>'];
  if (o === 'fail') {
    const message = v.verdict === 'violated' ? v.explanation : `expected ${expected}, got ${v.verdict}${v.verdict === 'n/a' ? `: ${v.reason}` : ''}`;
    const body = v.verdict === 'violated' ? counterexampleText(r, v) : message;
    return [open, `      <failure type="${xmlEscape(v.verdict)}" message="${xmlEscape(message)}">${xmlText(body)}</failure>`, '    </testcase>'];
  }
  // As expected. An expected violation keeps its counterexample in the output for the record.
  if (v.verdict === 'violated') return [open, `      <system-out>${xmlText(`violated, as expected\n${counterexampleText(r, v)}`)}</system-out>`, '    </testcase>'];
  return [open.replace(/>$/, '/>')];
}

/**
 * The JUnit XML report of `dmaown check --format junit`: one test suite per design and bound,
 * one test case per invariant. A verdict other than the expected one (by default: holds) is a
 * failure whose message says why and whose text is the counterexample; n/a is skipped; a
 * verdict a budget left undecided is an error. Only the `time` attributes vary between runs.
 */
export function checkJunit(runs: readonly CheckRun[]): string {
  const suites: string[] = [];
  let tests = 0;
  let failures = 0;
  let errors = 0;
  let skipped = 0;
  let ms = 0;
  for (const r of runs) {
    const outcomes = r.dc.verdicts.map((v) => ({ v, o: outcomeOf(v, expectedOf(r, v.name)) }));
    const f = outcomes.filter((x) => x.o === 'fail').length;
    const e = outcomes.filter((x) => x.o === 'incomplete').length;
    const s = outcomes.filter((x) => x.o === 'pass' && x.v.verdict === 'n/a').length;
    tests += outcomes.length;
    failures += f;
    errors += e;
    skipped += s;
    ms += r.dc.result.elapsedMs;
    suites.push(
      `  <testsuite name="${xmlEscape(suiteName(r))}" tests="${outcomes.length}" failures="${f}" errors="${e}" skipped="${s}" time="${seconds(r.dc.result.elapsedMs)}">`,
      '    <properties>',
      `      <property name="design" value="${xmlEscape(r.dc.design.name)}"/>`,
      `      <property name="devices" value="${r.dc.devices}"/>`,
      `      <property name="states" value="${r.dc.result.states}"/>`,
      // A merged run's counts are the shards' sums (an upper bound on the distinct states).
      ...(r.shards === undefined ? [] : [`      <property name="states-summed-over-shards" value="${r.shards}"/>`]),
      `      <property name="complete" value="${r.dc.result.complete}"/>`,
      // Why a search ended before it was complete: a budget or interrupt (its undecided verdicts
      // are errors), or --stop-when-decided (every verdict final).
      ...(r.dc.result.complete || r.dc.result.stopReason === undefined ? [] : [`      <property name="stopped" value="${xmlEscape(stopLine(r.dc.result.stopReason))}"/>`]),
      // With symmetry asked for: what states were counted up to (or why nothing was reduced).
      ...(r.dc.symmetryNote === undefined ? [] : [`      <property name="symmetry" value="${xmlEscape(symmetryLine(r.dc)!)}"/>`]),
      '    </properties>',
      ...r.dc.verdicts.flatMap((v) => testcase(r, v)),
      '  </testsuite>',
    );
  }
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${runs.some((r) => r.shards !== undefined) ? 'dmaown merge' : 'dmaown check'}" tests="${tests}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${seconds(ms)}">`,
    ...suites,
    '</testsuites>',
    '',
  ].join('\n');
}
