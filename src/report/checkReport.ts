import { DECIDED_REASON, stoppedUndecided } from '../core/searchLoop';
import type { DesignCheck, InvariantVerdict } from '../iommu/checkDesign';
import { formatEvent } from '../iommu/events';
import { freshGroupSteps } from '../iommu/freshGroupSteps';
import type { TraceStep } from '../iommu/replay';
import { initialTraceState } from '../iommu/replay';
import { errnoName } from '../model/vocabulary';
import { devicesJson, devicesText, groupJson, groupText } from './stateJson';
import { plural } from './plural';
import { textTable } from './textTable';

const num = (n: number) => n.toLocaleString('en-US');

/**
 * One replay-format JSON object for a trace step (the format `dmaown replay` prints), with
 * `freshGroup: true` when the step takes the model's one-group shortcut (`freshGroupAt`).
 */
export function stepJson(dc: Pick<DesignCheck, 'design' | 'devices'>, s: TraceStep, freshGroup = false): Record<string, unknown> {
  const schema = dc.design.schema(dc.devices);
  return { step: s.step, event: s.event, ret: s.ret, warn: s.warn, ...(freshGroup ? { freshGroup: true } : {}), group: groupJson(schema, s.context), devices: devicesJson(schema, s.context) };
}

/**
 * A violated verdict's `trace` (every step as `stepJson`) and, when the trace takes the
 * model's one-group shortcut, its `freshGroupSteps` (docs/json-output.md), from one pass of
 * `freshGroupSteps`.
 */
export function violationTraceJson(dc: Pick<DesignCheck, 'design' | 'devices'>, trace: readonly TraceStep[]): { trace: Record<string, unknown>[]; freshGroupSteps?: number[] } {
  const fresh = freshGroupJson(dc, trace);
  const steps = fresh.freshGroupSteps ?? [];
  return { trace: trace.map((s) => stepJson(dc, s, steps.includes(s.step))), ...fresh };
}

/** The numbered calls of a counterexample with outcome and state after each, as text lines. */
export function traceText(dc: Pick<DesignCheck, 'design' | 'devices'>, trace: readonly TraceStep[]): string[] {
  const schema = dc.design.schema(dc.devices);
  const init = initialTraceState(dc.design, dc.devices);
  const rows: string[][] = [['step', 'call', 'ret', 'WARN', 'state', 'group', 'devices']];
  rows.push(['', '(initial)', '', '', init.state, groupText(schema, init.context), devicesText(init.context)]);
  for (const s of trace) {
    rows.push([String(s.step), formatEvent(s.event), errnoName(s.ret), s.warn ? 'WARN' : '', s.state, groupText(schema, s.context), devicesText(s.context)]);
  }
  return [...textTable(rows, '  '), ...freshGroupNotes(dc, trace)];
}

/**
 * One line per step at which the trace takes the model's group-lifetime shortcut
 * (`freshGroupSteps`), saying what the kernel does there instead; none for a trace the kernel
 * can follow as printed.
 */
function freshGroupNotes(dc: Pick<DesignCheck, 'design' | 'devices'>, trace: readonly TraceStep[]): string[] {
  const steps = freshGroupSteps(dc.design, dc.devices, trace);
  if (steps.length === 0) return [];
  const init = initialTraceState(dc.design, dc.devices);
  const schema = dc.design.schema(dc.devices);
  const fields = (g: Readonly<Record<string, unknown>>) => Object.keys(g).map((k) => `${k}=${g[k] === null ? 'null' : String(g[k])}`).join(' ');
  return steps.map((f) => {
    const who = f.devices.map((d) => `device ${d}`).join(' and ');
    return `  note: at step ${f.step} ${who} ${f.devices.length > 1 ? 'join' : 'joins'} the group after its last member left, and the group is not a fresh one (${f.before.state}, ${fields(f.before.group)}; fresh: ${init.state}, ${groupText(schema, init.context)}). The kernel gives a device probed then a fresh group, so from this step on the trace is the model's one-group shortcut, not a path the kernel takes (docs/model.md, "The group's lifetime")`;
  });
}

/** What the `devices` column of a trace (`devicesText`) writes, for the reader of a report. */
export const DEVICES_LEGEND = 'devices column: dN:out = device N is not in the group (out+DRIVER: DRIVER was bound before it joined); dN:DRIVER@DOMAIN = in the group, its driver (none: no driver) and the domain it is attached to (null: none)';

/**
 * Each violated invariant's explanation, counterexample trace and replay line, as text lines,
 * then (when there was one) a line that says how to read the devices column.
 */
export function counterexampleText(dc: Pick<DesignCheck, 'design' | 'devices' | 'verdicts'>): string[] {
  const out: string[] = [];
  for (const v of dc.verdicts) {
    if (v.verdict !== 'violated') continue;
    out.push('');
    out.push(`${v.name} violated: ${v.explanation}`);
    // Loops, not push(...): a counterexample read from a shard file may be longer than a call's arguments.
    for (const line of traceText(dc, v.trace)) out.push(line);
    out.push(`  replay: ${JSON.stringify(v.counterexample)}`);
  }
  if (out.length > 0) out.push('', DEVICES_LEGEND);
  return out;
}

function verdictCell(v: InvariantVerdict): [string, string, string] {
  switch (v.verdict) {
    case 'holds': return ['holds', num(v.states), ''];
    case 'unknown': return ['unknown', num(v.states), 'search stopped early; nothing found so far'];
    case 'violated': return ['violated', num(v.states), `shortest counterexample: ${plural(v.counterexample.length, 'call')}`];
    case 'n/a': return ['n/a', '', v.reason];
  }
}

/**
 * A violated verdict's `freshGroupSteps` field (docs/json-output.md): the steps at which its
 * trace takes the model's group-lifetime shortcut, present only when there are any.
 */
export function freshGroupJson(dc: Pick<DesignCheck, 'design' | 'devices'>, trace: readonly TraceStep[]): { freshGroupSteps?: number[] } {
  const steps = freshGroupSteps(dc.design, dc.devices, trace);
  return steps.length === 0 ? {} : { freshGroupSteps: steps.map((f) => f.step) };
}

/** The run object's `symmetry` field (docs/json-output.md), present only with symmetry asked for. */
export function symmetryJson(dc: DesignCheck): { symmetry?: { reduced: boolean; note: string } } {
  return dc.symmetryNote === undefined ? {} : { symmetry: { reduced: dc.result.symmetry !== undefined, note: dc.symmetryNote } };
}

/**
 * With symmetry asked for, what the search was reduced by (its states are then classes of
 * states equal up to those renumberings) or why it was not; otherwise null.
 */
export function symmetryLine(dc: DesignCheck): string | null {
  if (dc.symmetryNote === undefined) return null;
  return dc.result.symmetry ? `reduced by symmetry: ${dc.symmetryNote}` : `not reduced: ${dc.symmetryNote}`;
}

/** The human report of `dmaown check`. */
export function checkText(dc: DesignCheck): string {
  const r = dc.result;
  const rate = r.elapsedMs > 0 ? Math.round((r.states / r.elapsedMs) * 1000) : r.states;
  const out: string[] = [];
  out.push(`dmaown check: design ${dc.design.name} (${dc.design.source})`);
  out.push(`bound: ${plural(dc.devices, 'device')}, VFIO users file1 (dom1) and file2 (dom2)`);
  out.push(`${stoppedUndecided(r) ? 'INCOMPLETE: explored' : 'explored'} ${num(r.states)} distinct states${r.symmetry ? ' (classes up to symmetry)' : ''}, ${num(r.transitions)} transitions, depth ${r.depth}, in ${(r.elapsedMs / 1000).toFixed(2)} s (${num(rate)} states/s)`);
  const sym = symmetryLine(dc);
  if (sym) out.push(sym);
  if (r.stopReason === DECIDED_REASON) out.push(`stopped once every invariant checked was decided (--stop-when-decided): the verdicts below are final`);
  else if (!r.complete) out.push(`stopped early: ${r.stopReason}; verdicts below are for the states explored so far`);
  out.push('');
  const rows = [['invariant', 'verdict', 'states', ''], ...dc.verdicts.map((v) => [v.name, ...verdictCell(v)])];
  for (const line of textTable(rows)) out.push(line);
  for (const line of counterexampleText(dc)) out.push(line);
  return out.join('\n') + '\n';
}

/**
 * The machine-readable report of `dmaown check --format json` (schema in docs/json-output.md).
 * Counterexamples are replay events, so they can be fed to `dmaown replay` as they are.
 */
export function checkJson(dc: DesignCheck): Record<string, unknown> {
  const r = dc.result;
  return {
    design: dc.design.name,
    devices: dc.devices,
    complete: r.complete,
    ...(r.complete ? {} : { stopReason: r.stopReason }),
    states: r.states,
    transitions: r.transitions,
    depth: r.depth,
    elapsedMs: Math.round(r.elapsedMs),
    ...symmetryJson(dc),
    invariants: dc.verdicts.map((v) => {
      switch (v.verdict) {
        case 'n/a': return { name: v.name, verdict: 'n/a', reason: v.reason };
        case 'violated': return { name: v.name, verdict: 'violated', states: v.states, explanation: v.explanation, counterexample: v.counterexample, ...violationTraceJson(dc, v.trace) };
        default: return { name: v.name, verdict: v.verdict, states: v.states };
      }
    }),
  };
}
