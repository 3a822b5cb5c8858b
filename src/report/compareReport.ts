import type { CheckAsyncOptions } from '../core/check';
import { DECIDED_REASON, stoppedUndecided } from '../core/searchLoop';
import { checkDesignAsync, type DesignCheck, type InvariantVerdict } from '../iommu/checkDesign';
import type { Design } from '../iommu/design';
import { freshGroupSteps } from '../iommu/freshGroupSteps';
import type { Invariant } from '../iommu/invariant';
import { failureText, runScenario, type Scenario, type ScenarioResult } from '../iommu/scenario';
import { errnoName } from '../model/vocabulary';
import { DEVICES_LEGEND, freshGroupJson, traceText } from './checkReport';
import { plural } from './plural';

/**
 * `dmaown compare`: every design against every invariant (one exhaustive search per design) and
 * every usage scenario, at one bound, and the two reports of it: a markdown matrix with the
 * counterexamples below it, and JSON (schema in docs/compare.md). Both are deterministic: no
 * timings, designs in the order given, invariants and scenarios in registry order.
 */

/** One design's column of the matrix. */
export interface DesignComparison {
  readonly check: DesignCheck;
  readonly scenarios: readonly ScenarioResult[];
}

export interface Comparison {
  readonly devices: number;
  readonly invariants: readonly Invariant[];
  readonly scenarios: readonly Scenario[];
  readonly designs: readonly DesignComparison[];
  /** The command line that produces this comparison (printed in the markdown header). */
  readonly command: string;
  /** Whether the searches were asked to reduce by symmetry (`--symmetry`). */
  readonly symmetry: boolean;
  /** Whether the invariants were chosen (`--invariant`) rather than all of them. */
  readonly invariantsChosen: boolean;
  /**
   * Designs asked for but never checked, because the comparison was interrupted (Ctrl-C) before
   * their turn; in the order asked. Empty when every design was checked.
   */
  readonly notRun: readonly Design[];
}

/** What `compareDesignsAsync` compares: the designs, at one bound, against which invariants and scenarios. */
export interface ComparisonRequest {
  readonly designs: readonly Design[];
  readonly devices: number;
  readonly invariants: readonly Invariant[];
  /** Whether `invariants` were chosen (`--invariant`) rather than all of them (the report says so). */
  readonly invariantsChosen: boolean;
  readonly scenarios: readonly Scenario[];
  /** The command line that produces this comparison (Comparison.command). */
  readonly command: string;
}

/**
 * Runs the checker (`checkDesignAsync`, with `options`) and the scenarios for every design of
 * `req`, one design after the other: the event loop turns while each searches. `onDesign` is
 * told before each design's search starts. Once `options.signal` is aborted, the search in
 * progress stops (its verdicts not reached are 'unknown'), its scenarios still run, and the
 * designs after it are listed in `notRun`.
 */
export async function compareDesignsAsync(req: ComparisonRequest, options: CheckAsyncOptions = {}, onDesign?: (d: Design, index: number) => void): Promise<Comparison> {
  const { designs, devices, invariants, scenarios } = req;
  const done: DesignComparison[] = [];
  for (const [i, d] of designs.entries()) {
    if (options.signal?.aborted) break;
    onDesign?.(d, i);
    done.push({ check: await checkDesignAsync(d, devices, invariants, options), scenarios: scenarios.map((s) => runScenario(d, devices, s)) });
  }
  return {
    devices, invariants, scenarios, command: req.command, symmetry: options.symmetry === true, invariantsChosen: req.invariantsChosen,
    designs: done, notRun: designs.slice(done.length),
  };
}

/**
 * True when some verdict is missing: a design's search was stopped (by a budget or an
 * interrupt; some verdicts are 'unknown') or a design was never checked. A search that
 * `stopWhenDecided` ended has every verdict: it is not incomplete.
 */
export function comparisonIncomplete(c: Comparison): boolean {
  return c.notRun.length > 0 || c.designs.some((d) => stoppedUndecided(d.check.result));
}

const num = (n: number) => n.toLocaleString('en-US');

/** Numbers the distinct n/a reasons so table cells can point to them. */
class Notes {
  readonly list: string[] = [];
  ref(text: string): string {
    let i = this.list.indexOf(text);
    if (i < 0) i = this.list.push(text) - 1;
    return `n/a (note ${i + 1})`;
  }
}

function invariantCell(v: InvariantVerdict, dc: DesignCheck, notes: Notes): string {
  const design = dc.design.name;
  switch (v.verdict) {
    case 'holds': return `holds, ${num(v.states)} states`;
    case 'unknown': return `unknown, ${num(v.states)} states`;
    case 'violated': return `**violated**, ${plural(v.counterexample.length, 'call')}${freshGroupSteps(dc.design, dc.devices, v.trace).length > 0 ? ' (one-group shortcut)' : ''}`;
    case 'n/a': return notes.ref(`${design} / ${v.name}: ${v.reason}`);
  }
}

function scenarioCell(r: ScenarioResult, design: string, notes: Notes): string {
  switch (r.verdict) {
    case 'passes': {
      const notes = [...(r.variant ? [r.variant] : []), ...(r.skipped.length ? [`step${r.skipped.length > 1 ? 's' : ''} ${r.skipped.join(', ')} skipped`] : [])];
      return notes.length ? `passes (${notes.join('; ')})` : 'passes';
    }
    case 'fails': {
      const f = r.failure;
      let what: string;
      if (f.ret === null) what = 'call impossible';
      else if (!f.expected.includes(f.ret)) what = f.ret === 0 ? `0, expected ${f.expected.map(errnoName).join('/')}` : errnoName(f.ret);
      else if (f.warn) what = 'WARN_ON';
      else what = 'wrong state';
      return `**fails** at step ${f.step}: ${what}`;
    }
    case 'n/a': return notes.ref(`${design} / ${r.name}: ${r.reason}`);
  }
}

function table(header: string[], rows: string[][]): string[] {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  return [
    `| ${header.map(esc).join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ];
}

/** The markdown report: the matrix, the n/a reasons, scenario failures and counterexamples. */
export function comparisonMarkdown(c: Comparison): string {
  const names = c.designs.map((d) => d.check.design.name);
  const notes = new Notes();
  const out: string[] = [];
  out.push(`# Design comparison at ${plural(c.devices, 'device')}`, '');
  out.push(`Generated by \`${c.command}\`; do not edit by hand (docs/compare.md explains the output).`, '');
  const group = `one iommu group of ${plural(c.devices, 'device')} and two VFIO users`;
  out.push(
    `Every design is checked exhaustively against ${c.invariantsChosen ? 'the invariants below' : 'every invariant'} on ${group},`,
    'with the same modelled callers, and plays every usage scenario. "holds, N states": the invariant',
    'holds in all N reachable states; "violated, K calls": the shortest counterexample has K calls',
    '(printed below); "n/a": the invariant or scenario cannot apply to the design (the note says why).',
    '',
  );
  if (c.symmetry) out.push('States are counted up to renumbering interchangeable devices and users (`--symmetry`); each design says below what it was reduced by.', '');
  out.push('## Designs', '');
  for (const d of c.designs) {
    const sym = c.symmetry ? `; symmetry: ${d.check.result.symmetry ? `reduced by ${d.check.symmetryNote}` : d.check.symmetryNote ?? 'none'}` : '';
    out.push(`- \`${d.check.design.name}\`: ${d.check.design.title} (${d.check.design.source})${sym}`);
  }
  out.push('', '## Invariants', '');
  out.push(...table(['invariant', ...names], c.invariants.map((inv, i) => [inv.name, ...c.designs.map((d) => invariantCell(d.check.verdicts[i], d.check, notes))])));
  out.push('');
  for (const inv of c.invariants) out.push(`- \`${inv.name}\`: ${inv.summary}`);
  const decided = c.designs.filter((d) => d.check.result.stopReason === DECIDED_REASON);
  if (decided.length > 0) {
    out.push('', 'Stopped once decided (`--stop-when-decided`): the search of ' + decided.map((d) => `${d.check.design.name} ended at ${num(d.check.result.states)} states`).join(', ') + ', once every invariant it checks was violated; those verdicts and counterexamples are final.');
  }
  const stopped = c.designs.filter((d) => stoppedUndecided(d.check.result));
  if (stopped.length > 0) {
    out.push('', 'INCOMPLETE: the search of ' + stopped.map((d) => `${d.check.design.name} was stopped (${d.check.result.stopReason})`).join(', ') + '; "unknown" means nothing was found in the states explored.');
  }
  if (c.notRun.length > 0) {
    out.push('', `NOT RUN: interrupted before ${c.notRun.map((d) => `\`${d.name}\``).join(', ')} ${c.notRun.length === 1 ? 'was' : 'were'} checked; ${c.notRun.length === 1 ? 'it is' : 'they are'} not in the matrix.`);
  }
  out.push('', '## Usage scenarios', '');
  out.push(...table(['scenario', ...names], c.scenarios.map((s, i) => [s.name, ...c.designs.map((d) => scenarioCell(d.scenarios[i], d.check.design.name, notes))])));
  out.push('');
  for (const s of c.scenarios) out.push(`- \`${s.name}\`: ${s.summary}`);
  if (notes.list.length > 0) {
    out.push('', '## Notes (n/a)', '');
    notes.list.forEach((n, i) => out.push(`${i + 1}. ${n}`));
  }
  const failures = c.designs.flatMap((d) => d.scenarios.filter((r) => r.verdict === 'fails').map((r) => ({ d, r })));
  if (failures.length > 0) {
    out.push('', '## Scenario failures', '');
    for (const { d, r } of failures) {
      if (r.verdict !== 'fails') continue;
      out.push(`### ${d.check.design.name}: ${r.name}${r.variant ? ` (variant ${r.variant})` : ''}`, '');
      out.push(`${failureText(r.failure)}.`, '');
      if (r.trace.length > 0) out.push('```text', ...traceText(d.check, r.trace), '```', '');
    }
    out.pop();
  }
  const violations = c.designs.flatMap((d) => d.check.verdicts.filter((v) => v.verdict === 'violated').map((v) => ({ d, v })));
  if (violations.length > 0) {
    out.push('', '## Counterexamples', '', `${DEVICES_LEGEND}.`, '');
    for (const { d, v } of violations) {
      if (v.verdict !== 'violated') continue;
      out.push(`### ${d.check.design.name}: ${v.name} (${plural(v.counterexample.length, 'call')})`, '');
      out.push(`${v.explanation}.`, '');
      out.push('```text', ...traceText(d.check, v.trace), '```', '');
      out.push(`replay: \`${JSON.stringify(v.counterexample)}\``, '');
    }
    out.pop();
  }
  return out.join('\n') + '\n';
}

function invariantJson(v: InvariantVerdict, dc: DesignCheck): Record<string, unknown> {
  switch (v.verdict) {
    case 'holds':
    case 'unknown':
      return { verdict: v.verdict, states: v.states, counterexample: null };
    case 'violated':
      return { verdict: 'violated', states: v.states, counterexample: v.counterexample, length: v.counterexample.length, explanation: v.explanation, ...freshGroupJson(dc, v.trace) };
    case 'n/a':
      return { verdict: 'n/a', states: null, counterexample: null, reason: v.reason };
  }
}

function scenarioJson(r: ScenarioResult): Record<string, unknown> {
  switch (r.verdict) {
    case 'passes':
      return { verdict: 'passes', variant: r.variant, steps: r.trace.length, skipped: r.skipped };
    case 'fails': {
      const f = r.failure;
      return {
        verdict: 'fails',
        variant: r.variant,
        skipped: r.skipped,
        failure: { step: f.step, event: f.event, ret: f.ret, warn: f.warn, expected: f.expected, problem: f.problem },
      };
    }
    case 'n/a':
      return { verdict: 'n/a', reason: r.reason };
  }
}

/** The JSON report (schema in docs/compare.md). Keyed by name, in the matrix's order. */
export function comparisonJson(c: Comparison): Record<string, unknown> {
  const designs: Record<string, unknown> = {};
  for (const d of c.designs) {
    const r = d.check.result;
    designs[d.check.design.name] = {
      title: d.check.design.title,
      source: d.check.design.source,
      complete: r.complete,
      ...(r.complete ? {} : { stopReason: r.stopReason }),
      states: r.states,
      transitions: r.transitions,
      depth: r.depth,
      ...(c.symmetry ? { symmetry: { reduced: r.symmetry !== undefined, note: d.check.symmetryNote ?? null } } : {}),
      invariants: Object.fromEntries(d.check.verdicts.map((v) => [v.name, invariantJson(v, d.check)])),
      scenarios: Object.fromEntries(d.scenarios.map((s) => [s.name, scenarioJson(s)])),
    };
  }
  return {
    devices: c.devices,
    symmetry: c.symmetry,
    invariants: c.invariants.map((i) => i.name),
    scenarios: c.scenarios.map((s) => s.name),
    designs,
    ...(c.notRun.length > 0 ? { notRun: c.notRun.map((d) => d.name) } : {}),
  };
}

/**
 * `comparisonJson` as text: indented like `JSON.stringify(x, null, 2)`, except that an object or
 * array holding only plain values or empty lists (an event, a list of codes) stays on one line.
 */
export function comparisonJsonText(c: Comparison): string {
  return compactJson(comparisonJson(c), '') + '\n';
}

function compactJson(v: unknown, indent: string): string {
  if (typeof v !== 'object' || v === null) return JSON.stringify(v);
  const plain = (x: unknown) => typeof x !== 'object' || x === null || Object.keys(x).length === 0;
  const flat = (Array.isArray(v) ? v : Object.values(v)).every(plain);
  if (flat && Array.isArray(v)) return `[${v.map((x) => JSON.stringify(x)).join(', ')}]`;
  if (flat) return `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}: ${JSON.stringify(x)}`).join(', ')}}`;
  const inner = indent + '  ';
  if (Array.isArray(v)) return `[\n${v.map((x) => inner + compactJson(x, inner)).join(',\n')}\n${indent}]`;
  const entries = Object.entries(v as Record<string, unknown>);
  if (entries.length === 0) return '{}';
  return `{\n${entries.map(([k, x]) => `${inner}${JSON.stringify(k)}: ${compactJson(x, inner)}`).join(',\n')}\n${indent}}`;
}
