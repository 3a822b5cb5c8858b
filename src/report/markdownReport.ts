import { DECIDED_REASON, stoppedUndecided } from '../core/searchLoop';
import { sequenceMermaid } from '../diagram/sequenceMermaid';
import { expectedOf, outcomeOf, type CheckRun } from '../config/expectations';
import type { InvariantVerdict } from '../iommu/checkDesign';
import { DEVICES_LEGEND, symmetryLine, traceText } from './checkReport';
import { plural } from './plural';

const num = (n: number) => n.toLocaleString('en-US');
const ICON = { pass: '✅', fail: '❌', incomplete: '⚠️' } as const;
/** Markdown table cell text: pipes and line breaks would break the table. */
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\r\n|[\r\n]/g, ' ');
const title = (r: CheckRun) => `${r.dc.design.name} at ${plural(r.dc.devices, 'device')}`;

function verdictText(r: CheckRun, v: InvariantVerdict): string {
  const expected = expectedOf(r, v.name);
  const o = outcomeOf(v, expected);
  const note = v.verdict === 'violated' && expected === 'violated' ? ' (expected)' : o === 'fail' && v.verdict !== 'violated' ? ` (expected ${expected})` : '';
  return `${ICON[o]} ${v.verdict}${note}`;
}

function detailCell(v: InvariantVerdict): string {
  switch (v.verdict) {
    case 'holds': return '';
    case 'unknown': return 'search stopped early; nothing found so far';
    case 'n/a': return v.reason;
    case 'violated': return `${v.explanation} (${plural(v.counterexample.length, 'call')})`;
  }
}

function counterexample(r: CheckRun, v: Extract<InvariantVerdict, { verdict: 'violated' }>, open: boolean): string[] {
  const out = [`#### ${title(r)}: ${v.name} ${open ? 'violated' : 'violated, as expected'}`, '', `${v.explanation}.`, ''];
  const body = [
    '```mermaid',
    sequenceMermaid(r.dc.design, r.dc.devices, v).trimEnd(),
    '```',
    '',
    '<details><summary>Trace and replay events</summary>',
    '',
    '```text',
    ...traceText(r.dc, v.trace),
    '```',
    '',
    `${DEVICES_LEGEND}.`,
    '',
    `Replay with \`dmaown replay --design ${r.dc.design.name} --devices ${r.dc.devices}\`:`,
    '',
    '```json',
    JSON.stringify(v.counterexample),
    '```',
    '',
    '</details>',
  ];
  if (open) return [...out, ...body, ''];
  return [...out, '<details><summary>Counterexample</summary>', '', ...body, '', '</details>', ''];
}

/**
 * The markdown report of `dmaown check --format md`, one for any number of runs (designs and
 * bounds): a summary table, each run's verdicts, and each counterexample as a Mermaid sequence
 * diagram with its trace and replay events. Made for a CI step summary ($GITHUB_STEP_SUMMARY);
 * it carries no timings, so the same check gives the same report.
 */
export function checkMarkdown(runs: readonly CheckRun[]): string {
  const out = [runs.some((r) => r.shards !== undefined) ? '## dmaown merge' : '## dmaown check', ''];
  let failed = 0;
  let incomplete = 0;
  for (const r of runs) for (const v of r.dc.verdicts) {
    const o = outcomeOf(v, expectedOf(r, v.name));
    if (o === 'fail') failed++;
    if (o === 'incomplete') incomplete++;
  }
  const total = runs.reduce((n, r) => n + r.dc.verdicts.length, 0);
  // A search a budget stopped after deciding every verdict still makes the exit status 3.
  const stopped = runs.some((r) => stoppedUndecided(r.dc.result));
  out.push(failed > 0 ? `❌ **${failed} of ${total} verdicts are not as expected.**` : incomplete > 0 ? `⚠️ **${incomplete} of ${total} verdicts are undecided** (the search stopped early).`
    : stopped ? `⚠️ **All ${total} verdicts are as expected**, but a search stopped early.` : `✅ **All ${total} verdicts are as expected.**`, '');
  out.push('| design | devices | states | transitions | depth | holds | violated | n/a | result |', '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
  for (const r of runs) {
    const count = (k: InvariantVerdict['verdict']) => r.dc.verdicts.filter((v) => v.verdict === k).length;
    const outcomes = r.dc.verdicts.map((v) => outcomeOf(v, expectedOf(r, v.name)));
    const res = outcomes.includes('fail') ? ICON.fail : outcomes.includes('incomplete') || stoppedUndecided(r.dc.result) ? ICON.incomplete : ICON.pass;
    const res2 = r.dc.result;
    const summed = r.shards === undefined ? '' : ` (sum over ${r.shards} shards)`;
    out.push(`| ${r.dc.design.name} | ${r.dc.devices} | ${num(res2.states)}${summed}${stoppedUndecided(res2) ? ' (incomplete)' : ''} | ${num(res2.transitions)}${summed} | ${res2.depth} | ${count('holds')} | ${count('violated')} | ${count('n/a')} | ${res} |`);
  }
  out.push('');
  if (runs.some((r) => r.shards !== undefined)) out.push('States and transitions summed over shards are an upper bound on the distinct counts: shards overlap.', '');
  for (const r of runs) {
    out.push(`### ${title(r)}`, '', `${cell(r.dc.design.title)} (${cell(r.dc.design.source)}).`, '');
    if (r.dc.result.stopReason === DECIDED_REASON) out.push('Stopped once every invariant checked was decided (`--stop-when-decided`): the verdicts are final.', '');
    else if (!r.dc.result.complete) out.push(`Stopped early: ${r.dc.result.stopReason}; the verdicts are for the states explored so far.`, '');
    const sym = symmetryLine(r.dc);
    if (sym) out.push(`${cell(sym)}${r.dc.result.symmetry ? ' (states are classes of states equal up to it).' : '.'}`, '');
    out.push('| invariant | verdict | states | |', '| --- | --- | ---: | --- |');
    for (const v of r.dc.verdicts) out.push(`| ${v.name} | ${verdictText(r, v)} | ${v.verdict === 'n/a' ? '' : num(v.states)} | ${cell(detailCell(v))} |`);
    out.push('');
    for (const v of r.dc.verdicts) {
      // A loop, not push(...): a counterexample read from a shard file may be longer than a call's arguments.
      if (v.verdict === 'violated') for (const line of counterexample(r, v, expectedOf(r, v.name) !== 'violated')) out.push(line);
    }
  }
  return out.join('\n').trimEnd() + '\n';
}
