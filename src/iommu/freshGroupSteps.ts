import type { GroupContext } from '../model/context';
import type { GroupStateName } from '../model/vocabulary';
import { groupJson } from '../report/stateJson';
import type { Design } from './design';
import type { IommuEvent } from './events';
import { initialTraceState, type TraceStep } from './replay';

/** A step of a trace at which the model's one group stands in for a fresh group (`freshGroupSteps`). */
export interface FreshGroupStep {
  /** The step's index in the trace. */
  readonly step: number;
  /** The devices that joined the group at that step. */
  readonly devices: readonly number[];
  /** The machine's state and the group's schema fields just before the step. */
  readonly before: { readonly state: GroupStateName; readonly group: Readonly<Record<string, unknown>> };
}

/**
 * Where a trace takes the model's group-lifetime shortcut (docs/model.md, "The group's
 * lifetime"): the steps at which a device joins the group while it has no member and is not in
 * a fresh group's state (the design's initial state: its machine state and every group field
 * of its schema). The kernel gives such a device a fresh group (`pci_device_group()` finds a
 * group only through another member; the emptied one lives on only for whoever still holds it),
 * so from such a step on the trace is the model's, not the kernel's. Empty for a trace the
 * kernel can follow as printed. Pure and deterministic.
 */
export function freshGroupSteps(design: Design, devices: number, trace: readonly TraceStep[]): FreshGroupStep[] {
  const out: FreshGroupStep[] = [];
  let before: { state: GroupStateName; context: GroupContext } = initialTraceState(design, devices);
  for (const s of trace) {
    const f = freshGroupAt(design, devices, before, s);
    if (f) out.push(f);
    before = s;
  }
  return out;
}

/**
 * `freshGroupSteps` for one step: the step `after`, taken from the state `before`, as a
 * FreshGroupStep when it takes the shortcut, else null. Pure.
 */
export function freshGroupAt(design: Design, devices: number, before: { readonly state: GroupStateName; readonly context: GroupContext }, after: TraceStep): FreshGroupStep | null {
  if (before.context.devices.some((d) => d.in_group)) return null;
  const joined = after.context.devices.flatMap((d, i) => (d.in_group && !before.context.devices[i].in_group ? [i] : []));
  if (joined.length === 0) return null;
  if (before.state === initialTraceState(design, devices).state && staleGroupFields(design, devices, before.context).length === 0) return null;
  return { step: after.step, devices: joined, before: { state: before.state, group: groupJson(design.schema(devices), before.context) } };
}

/** The group fields of the design's schema whose value in `context` is not the initial one. */
function staleGroupFields(design: Design, devices: number, context: GroupContext): string[] {
  const init = design.initialContext(devices);
  return Object.keys(design.schema(devices).group).filter((k) => context[k] !== init[k]);
}

/**
 * `design` with the shortcut's joins left out: the modelled callers never make a device join
 * the group while it has no member and its group fields (every field of the schema's group) are
 * not the initial ones; replay refuses such a join with a reason. The kernel would give the
 * device a fresh group there, which this model cannot hold beside the emptied one, so the
 * variant has fewer behaviours than the kernel: a violation it finds is one the shortcut does
 * not cause, and one it loses is one that at this bound only the shortcut shows. For
 * measurements (bench/freshGroupStudy.ts); the checker's designs keep the shortcut. Its name is
 * the design's with `-without-shortcut` added: worker threads rebuild a model from the
 * registered design of a name, so they refuse it (search it on one thread) instead of searching
 * the design with the shortcut.
 */
export function withoutShortcut(design: Design): Design {
  const own = design.driverCoreWaits?.bind(design);
  return {
    ...design,
    name: `${design.name}-without-shortcut`,
    driverCoreWaits(c: GroupContext, event: IommuEvent): string | null {
      const waits = own?.(c, event) ?? null;
      if (waits !== null) return waits;
      const joins = event.type === 'probe_device' || (event.type === 'bind_driver' && event.driver === 'vfio' && design.bindJoinsGroup === true);
      if (!joins || ('dev' in event && c.devices[event.dev].in_group) || c.devices.some((d) => d.in_group)) return null;
      const stale = staleGroupFields(design, c.devices.length, c);
      return stale.length === 0 ? null : `the group has no member and is not fresh (${stale.map((k) => `${k}=${String(c[k])}`).join(' ')}): the kernel would give the device a fresh group, which this variant leaves out`;
    },
  };
}
