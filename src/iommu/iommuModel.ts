import type { PackedModel, Property } from '../core/model';
import { Successors } from '../core/model';
import { compileMachine, type CompiledMachine } from '../machine/compileMachine';
import { cloneContext, type GroupContext } from '../model/context';
import { PackedLayout, type PackedView } from '../model/packedLayout';
import { GROUP_STATES, USERS, type GroupStateName } from '../model/vocabulary';
import { callerActions, type CallerAction } from './callers';
import type { Design } from './design';
import type { IommuEvent } from './events';
import type { Invariant, Probe } from './invariant';

/** An invariant that cannot apply to a design, and why. */
export interface NotApplicable {
  readonly name: string;
  readonly reason: string;
}

/** A design at one bound, ready for the checker, plus what reports need to explain its states. */
export interface IommuModel extends PackedModel {
  readonly design: Design;
  readonly devices: number;
  readonly layout: PackedLayout;
  readonly compiled: CompiledMachine;
  readonly actions: readonly CallerAction[];
  readonly invariants: readonly Invariant[];
  readonly notApplicable: readonly NotApplicable[];
  /** The context and finite state of a packed row. */
  decode(row: Uint32Array): { state: GroupStateName; context: GroupContext };
}

const FLAG_WARN = 0;

const compiledCache = new WeakMap<object, CompiledMachine>();
/** The compiled transition function of a design's machine (compiled once per machine). */
export function compiledOf(design: Design): CompiledMachine {
  let c = compiledCache.get(design.machine);
  if (!c) {
    c = compileMachine(design.machine);
    for (const s of c.stateNames) if (!GROUP_STATES.includes(s as GroupStateName)) throw new Error(`design ${design.name}: state '${s}' is not one of ${GROUP_STATES.join(', ')}`);
    compiledCache.set(design.machine, c);
  }
  return c;
}

/** Runs one event on a plain context in place; returns the new finite state. */
export function stepContext(design: Design, state: GroupStateName, c: GroupContext, event: IommuEvent): GroupStateName {
  const m = compiledOf(design);
  c.ret = 0;
  c.warn = false;
  return m.stateNames[m.step(m.stateNames.indexOf(state), c, event)] as GroupStateName;
}

/**
 * Builds the checker's model of `design` at `devices` devices: the modelled callers' actions
 * drive the compiled machine over packed states; each applicable invariant becomes a property.
 */
export function buildIommuModel(design: Design, devices: number, invariants: readonly Invariant[]): IommuModel {
  const compiled = compiledOf(design);
  const layout = new PackedLayout(design.schema(devices), devices, USERS.length, compiled.stateNames);
  const actions = design.callers?.(devices) ?? callerActions(devices);
  const W = layout.words;

  const notApplicable: NotApplicable[] = [];
  const applicable: Invariant[] = [];
  for (const inv of invariants) {
    const reason = design.notApplicable?.[inv.name] ?? inv.notApplicable?.(design);
    if (reason) notApplicable.push({ name: inv.name, reason });
    else applicable.push(inv);
  }

  const work = layout.createView();
  const look = layout.createView();
  const probeView = layout.createView();
  const stateName = (v: PackedView) => compiled.stateNames[v.$state] as GroupStateName;

  const probe: Probe = {
    context: look,
    tryEvent(event) {
      probeView.buf.set(look.buf);
      probeView.ret = 0;
      probeView.warn = false;
      compiled.step(probeView.$state, probeView, event);
      return { ret: probeView.ret, warn: probeView.warn };
    },
  };

  const properties: Property[] = applicable.map((inv): Property => {
    switch (inv.kind) {
      case 'always':
        return {
          kind: 'always',
          name: inv.name,
          holds: (row) => { look.buf.set(row); return inv.holds(look, { design, state: stateName(look) }); },
        };
      case 'never-flag':
        return { kind: 'never-flag', name: inv.name, flag: FLAG_WARN };
      case 'recoverable':
        return {
          kind: 'recoverable',
          name: inv.name,
          via: (a) => inv.via(actions[a]),
          goal: (row) => { look.buf.set(row); return inv.goal(probe); },
        };
    }
  });

  const init = new Uint32Array(W);
  layout.encode(compiled.stateNames[compiled.initialState], design.initialContext(devices), init);

  return {
    design,
    devices,
    layout,
    compiled,
    actions,
    invariants: applicable,
    notApplicable,
    words: W,
    actionCount: actions.length,
    transitionFlags: ['warn'],
    properties,
    initialStates: () => init.slice(),
    successors(state: Uint32Array, out: Successors) {
      for (let a = 0; a < actions.length; a++) {
        work.buf.set(state);
        const act = actions[a];
        if (!act.enabled(work)) continue;
        work.ret = 0;
        work.warn = false;
        work.$state = compiled.step(work.$state, work, act.event);
        const off = out.push(a, work.warn ? 1 << FLAG_WARN : 0);
        out.states.set(work.buf, off);
      }
    },
    decode(row) {
      const { state, context } = layout.decode(row);
      return { state: state as GroupStateName, context: cloneContext(context) };
    },
  };
}
