import type { Fired } from '../machine/compileMachine';
import { cloneContext, type GroupContext } from '../model/context';
import type { GroupStateName } from '../model/vocabulary';
import { driversOf, type Design } from './design';
import { InputError, type IommuEvent } from './events';
import { compiledOf } from './iommuModel';

/** One step of a replayed or counterexample trace: the call, its outcome, the state after it. */
export interface TraceStep {
  readonly step: number;
  readonly event: IommuEvent;
  readonly ret: number;
  readonly warn: boolean;
  readonly state: GroupStateName;
  readonly context: GroupContext;
  /** The machine transition that handled the call (its guard names the seed branch taken). */
  readonly fired: Fired | null;
}

/**
 * Why a driver-core event makes no sense in this state, or null. Kernel functions are accepted
 * in any state (they behave as the seed code does); driver-core events must be possible. vfio-pci
 * binds only to a member of the group, unless `design.bindJoinsGroup` (then the bind puts it in);
 * a call the design says would block (`design.driverCoreWaits`) cannot be made yet.
 */
export function driverCoreProblem(c: GroupContext, e: IommuEvent, design?: Design): string | null {
  return basicDriverCoreProblem(c, e, design) ?? design?.driverCoreWaits?.(c, e) ?? null;
}

function basicDriverCoreProblem(c: GroupContext, e: IommuEvent, design?: Design): string | null {
  switch (e.type) {
    case 'bind_driver':
      if (c.devices[e.dev].driver !== 'none') return `device ${e.dev} already has a driver (${c.devices[e.dev].driver}) bound`;
      // vfio_pci_core_register_device(): vfio_iommu_group_get() fails for a device with no
      // iommu group (noiommu mode is not modelled), so vfio-pci's probe refuses it.
      if (e.driver === 'vfio' && !c.devices[e.dev].in_group && !design?.bindJoinsGroup) return `device ${e.dev} is not in the group; vfio-pci refuses a device without an iommu group`;
      return null;
    case 'unbind_driver':
      return c.devices[e.dev].driver === 'none' ? `device ${e.dev} has no driver bound` : null;
    case 'probe_device':
      return c.devices[e.dev].in_group ? `device ${e.dev} is already in the group` : null;
    case 'release_device':
      if (!c.devices[e.dev].in_group) return `device ${e.dev} is not in the group`;
      return c.devices[e.dev].driver !== 'none' ? `device ${e.dev} still has a driver (${c.devices[e.dev].driver}) bound; unbind it first` : null;
    default:
      return null;
  }
}

/** The start of every trace: the design's initial context at `devices` devices. */
export function initialTraceState(design: Design, devices: number): { state: GroupStateName; context: GroupContext } {
  const m = compiledOf(design);
  return { state: m.stateNames[m.initialState] as GroupStateName, context: design.initialContext(devices) };
}

/**
 * Runs `events` from the initial state through the design's compiled machine, yielding each
 * step as it is made and keeping none of them (a replay of a long input runs in the memory of
 * one step, if its caller keeps none either). Throws InputError naming the step when an event
 * is not one the design has or a driver-core event makes no sense; the steps before it have
 * been yielded by then.
 */
export function* replaySteps(design: Design, devices: number, events: readonly IommuEvent[]): Generator<TraceStep, void, undefined> {
  const m = compiledOf(design);
  let { state, context } = initialTraceState(design, devices);
  for (let i = 0; i < events.length; i++) {
    const event = events[i];
    if (!design.events.includes(event.type)) throw new InputError(`step ${i}: design ${design.name} has no '${event.type}' call (it has: ${design.events.join(', ')})`);
    if (event.type === 'bind_driver' && !driversOf(design).includes(event.driver)) {
      throw new InputError(`step ${i}: bind_driver: design ${design.name} has no '${event.driver}' driver (it has: ${driversOf(design).join(', ')})`);
    }
    const problem = driverCoreProblem(context, event, design);
    if (problem) throw new InputError(`step ${i}: ${event.type}: ${problem}`);
    const c = cloneContext(context);
    c.ret = 0;
    c.warn = false;
    const r = m.explain(m.stateNames.indexOf(state), c, event);
    state = m.stateNames[r.state] as GroupStateName;
    context = c;
    yield { step: i, event, ret: c.ret, warn: c.warn, state, context: cloneContext(c), fired: r.fired };
  }
}

/**
 * Every step of `replaySteps`, kept: the trace, in order (`onStep` also sees each as it is
 * made). Throws as `replaySteps` does.
 */
export function replayEvents(design: Design, devices: number, events: readonly IommuEvent[], onStep?: (s: TraceStep) => void): TraceStep[] {
  const steps: TraceStep[] = [];
  for (const s of replaySteps(design, devices, events)) {
    steps.push(s);
    onStep?.(s);
  }
  return steps;
}
