import type { GroupContext } from '../model/context';
import { errnoName } from '../model/vocabulary';
import { driversOf, type Design } from './design';
import { formatEvent, type IommuEvent } from './events';
import { driverCoreProblem, initialTraceState, replayEvents, type TraceStep } from './replay';

/**
 * Usage scenarios: safety alone is not enough, since a design that refuses every call keeps
 * every invariant. A scenario is a named sequence of caller actions (replay events) that a
 * usable design must let through: every call returns what the step expects (0 unless the step
 * says otherwise) and no WARN_ON fires. Scenarios live one per file in `scenarios/` (see
 * `scenarioRegistry.ts` for the file format).
 *
 * Limits: a scenario is one fixed interleaving, not a property over all of them, and it checks
 * only return codes, WARN_ON and the state fields its steps name; the invariants cover the rest.
 */

/** What a step expects of one state field: that value, any value but one, or one of a list. */
export type FieldMatcher = unknown | { readonly not: unknown } | { readonly oneOf: readonly unknown[] };

/** Expectations on the state after a step: group fields, and fields of devices by index. */
export interface StateExpectation {
  readonly group?: Readonly<Record<string, FieldMatcher>>;
  readonly devices?: Readonly<Record<number, Readonly<Record<string, FieldMatcher>>>>;
}

export interface ScenarioStep {
  readonly event: IommuEvent;
  /** Return codes the step accepts (default: only 0). A step expected to fail lists its error. */
  readonly ret: readonly number[];
  /** Checked on the state after the step, when given. */
  readonly after?: StateExpectation;
  /**
   * Skip the step when the driver core cannot make it on this design (e.g. a late
   * `probe_device` on a design whose bind already put the device in its group).
   */
  readonly optional?: boolean;
}

/**
 * One way of playing a scenario. A scenario with several variants (e.g. a Tegra-like driver
 * using `attach_device_shared` where the design has it, else `attach_device`) runs the first
 * variant whose calls and drivers the design has.
 */
export interface ScenarioVariant {
  /** null for a scenario with a single sequence of steps. */
  readonly name: string | null;
  readonly steps: readonly ScenarioStep[];
}

export interface Scenario {
  /** Name used in reports; equals the file's base name. */
  readonly name: string;
  /** One line: what must work. */
  readonly summary: string;
  /** Where the use comes from (a seed message, an upstream commit), quoted. */
  readonly source: string;
  readonly variants: readonly ScenarioVariant[];
}

/** Why a scenario failed: the step, the call and what came back. */
export interface ScenarioFailure {
  readonly step: number;
  readonly event: IommuEvent;
  /** The call's return code, or null when the driver core could not make the call at all. */
  readonly ret: number | null;
  readonly warn: boolean;
  readonly expected: readonly number[];
  /** One sentence, e.g. `returned -EINVAL, expected 0`. */
  readonly problem: string;
}

export type ScenarioResult =
  | {
      readonly name: string;
      readonly verdict: 'passes';
      readonly variant: string | null;
      /** Optional steps left out because the driver core could not make them. */
      readonly skipped: readonly number[];
      /** Every step played, numbered as in the scenario. */
      readonly trace: readonly TraceStep[];
    }
  | {
      readonly name: string;
      readonly verdict: 'fails';
      readonly variant: string | null;
      readonly failure: ScenarioFailure;
      readonly skipped: readonly number[];
      /** The steps played up to and including the failing one (without it when it could not be made). */
      readonly trace: readonly TraceStep[];
    }
  | { readonly name: string; readonly verdict: 'n/a'; readonly reason: string };

/** Devices a variant needs: one more than the highest device index it names. */
export function devicesNeeded(v: ScenarioVariant): number {
  let n = 0;
  for (const s of v.steps) {
    if ('dev' in s.event) n = Math.max(n, s.event.dev + 1);
    // A device an expectation names must be there too.
    for (const i of Object.keys(s.after?.devices ?? {})) n = Math.max(n, Number(i) + 1);
  }
  return n;
}

/**
 * What a variant uses that `design` does not have, in order of first use: calls (event types),
 * drivers it binds (as `driver tegra`), and a kernel driver's `attach_group` / `detach_group` of
 * its private domain where the design's are not the kernel's `iommu_attach_group()` (as `kernel
 * attach_group`, Design.kernelAttachGroup).
 */
export function missingCalls(design: Design, v: ScenarioVariant): string[] {
  const out: string[] = [];
  const drivers = driversOf(design);
  for (const s of v.steps) {
    const e = s.event;
    const kernelGroupCall = (e.type === 'attach_group' || e.type === 'detach_group') && e.domain === 'priv';
    const lack = !design.events.includes(e.type) ? e.type
      : e.type === 'bind_driver' && !drivers.includes(e.driver) ? `driver ${e.driver}`
        : kernelGroupCall && design.kernelAttachGroup !== true ? `kernel ${e.type}` : null;
    if (lack && !out.includes(lack)) out.push(lack);
  }
  return out;
}

function matches(value: unknown, m: FieldMatcher): boolean {
  if (typeof m === 'object' && m !== null && !Array.isArray(m)) {
    if ('not' in m) return value !== (m as { not: unknown }).not;
    if ('oneOf' in m) return (m as { oneOf: readonly unknown[] }).oneOf.includes(value);
  }
  return value === m;
}

function showMatcher(m: FieldMatcher): string {
  if (typeof m === 'object' && m !== null && !Array.isArray(m)) {
    if ('not' in m) return `anything but ${JSON.stringify((m as { not: unknown }).not)}`;
    if ('oneOf' in m) return `one of ${(m as { oneOf: readonly unknown[] }).oneOf.map((x) => JSON.stringify(x)).join(', ')}`;
  }
  return JSON.stringify(m);
}

/**
 * The first expectation `c` breaks, as a sentence, or null. A field the design's context does
 * not have (a misspelt name, or a field of other designs) breaks any expectation, `{"not": v}`
 * included, so that a typo cannot pass silently.
 */
export function expectationProblem(c: GroupContext, e: StateExpectation): string | null {
  const groupFields = Object.keys(c).filter((k) => k !== 'devices');
  for (const [k, m] of Object.entries(e.group ?? {})) {
    if (k === 'devices' || !Object.hasOwn(c, k)) return `the group has no field '${k}' on this design (it has ${groupFields.join(', ')})`;
    if (!matches(c[k], m)) return `group ${k} is ${JSON.stringify(c[k] ?? null)}, expected ${showMatcher(m)}`;
  }
  for (const [i, fields] of Object.entries(e.devices ?? {})) {
    const d = c.devices[Number(i)];
    for (const [k, m] of Object.entries(fields)) {
      if (!Object.hasOwn(d, k)) return `device ${i} has no field '${k}' on this design (it has ${Object.keys(d).join(', ')})`;
      if (!matches(d[k], m)) return `device ${i} ${k} is ${JSON.stringify(d[k] ?? null)}, expected ${showMatcher(m)}`;
    }
  }
  return null;
}

const expectedText = (codes: readonly number[]) => codes.map(errnoName).join(' or ');

/**
 * Plays `scenario` on `design` with a group of `devices` devices. The result is n/a (with the
 * reason) when no variant's calls and drivers are all the design's, or the group is too small;
 * otherwise `passes`, or `fails` naming the first step whose return code, WARN_ON or state is not
 * what the step expects, or that the driver core cannot make. Each step is replayed with
 * `replayEvents` from the start (scenarios are short), so it runs exactly as `dmaown replay`.
 */
export function runScenario(design: Design, devices: number, scenario: Scenario): ScenarioResult {
  const variant = scenario.variants.find((v) => missingCalls(design, v).length === 0);
  if (!variant) {
    const why = scenario.variants.map((v) => {
      const m = missingCalls(design, v).join(', ');
      return scenario.variants.length === 1 ? m : `${m} (variant ${v.name})`;
    });
    return { name: scenario.name, verdict: 'n/a', reason: `design ${design.name} lacks ${why.join(' and ')}` };
  }
  const need = devicesNeeded(variant);
  if (need > devices) return { name: scenario.name, verdict: 'n/a', reason: `needs ${need} devices, the group has ${devices}` };

  const trace: TraceStep[] = [];
  const skipped: number[] = [];
  const played: IommuEvent[] = [];
  let context = initialTraceState(design, devices).context;
  const fails = (failure: ScenarioFailure): ScenarioResult => ({ name: scenario.name, verdict: 'fails', variant: variant.name, failure, skipped, trace });
  for (let i = 0; i < variant.steps.length; i++) {
    const s = variant.steps[i];
    const impossible = driverCoreProblem(context, s.event, design);
    if (impossible && s.optional) {
      skipped.push(i);
      continue;
    }
    // The driver core cannot make the call (e.g. unbind a driver whose bind failed).
    if (impossible) return fails({ step: i, event: s.event, ret: null, warn: false, expected: s.ret, problem: `cannot be made: ${impossible}` });
    played.push(s.event);
    const replayed = replayEvents(design, devices, played);
    const t: TraceStep = { ...replayed[replayed.length - 1], step: i };
    trace.push(t);
    context = t.context;
    const base = { step: i, event: t.event, ret: t.ret, warn: t.warn, expected: s.ret };
    if (!s.ret.includes(t.ret)) return fails({ ...base, problem: `returned ${errnoName(t.ret)}, expected ${expectedText(s.ret)}` });
    if (t.warn) return fails({ ...base, problem: `returned ${errnoName(t.ret)} but a WARN_ON fired` });
    const p = s.after ? expectationProblem(t.context, s.after) : null;
    if (p) return fails({ ...base, problem: `returned ${errnoName(t.ret)}, but then ${p}` });
  }
  return { name: scenario.name, verdict: 'passes', variant: variant.name, skipped, trace };
}

/** `step 4: attach_device(domain=priv, dev=0) returned -EINVAL, expected 0` */
export function failureText(f: ScenarioFailure): string {
  return `step ${f.step}: ${formatEvent(f.event)} ${f.problem}`;
}
