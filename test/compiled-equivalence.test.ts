/**
 * The compiled transition function (what the checker runs) must equal XState's own
 * `transition()` (the machine definition, the source of truth) on every reachable state at small
 * bounds: same finite state, same context, same return code and WARN, for every caller action
 * and every kernel call the design has. Reachable states are enumerated here by a plain BFS over
 * the packed model with a JS Set, independently of the checker's store.
 */
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { transition } from 'xstate';
import { Successors } from '../src/core/model';
import { check } from '../src/core/check';
import { loadDesigns } from '../src/iommu/designRegistry';
import { buildIommuModel, compiledOf } from '../src/iommu/iommuModel';
import type { IommuEvent } from '../src/iommu/events';
import { cloneContext } from '../src/model/context';
import { USERS } from '../src/model/vocabulary';

function reachableRows(model: ReturnType<typeof buildIommuModel>): Uint32Array[] {
  const seen = new Set<string>();
  const rows: Uint32Array[] = [];
  const push = (r: Uint32Array) => {
    const k = r.join(',');
    if (!seen.has(k)) { seen.add(k); rows.push(r.slice()); }
  };
  push(model.initialStates());
  const out = new Successors(model.words);
  for (let i = 0; i < rows.length; i++) {
    out.reset();
    model.successors(rows[i], out);
    for (let k = 0; k < out.count; k++) push(out.states.subarray(k * model.words, (k + 1) * model.words));
  }
  return rows;
}

/** Every call the design's machine handles, with arguments spread over the bound. */
function allEvents(devices: number, types: readonly string[]): IommuEvent[] {
  const evs: IommuEvent[] = [];
  const doms = ['priv', 'dom1', 'dom2'] as const;
  for (const type of types) {
    switch (type) {
      case 'claim': case 'release': for (const owner of USERS) evs.push({ type, owner }); break;
      case 'attach_group': case 'detach_group': for (const domain of doms) evs.push({ type, domain }); break;
      case 'owner_claimed': evs.push({ type }); break;
      default:
        for (let dev = 0; dev < devices; dev++) {
          if (type === 'bind_driver') { evs.push({ type, dev, driver: 'kernel' }, { type, dev, driver: 'vfio' }); }
          else if (type === 'attach_device' || type === 'detach_device' || type === 'attach_device_shared' || type === 'detach_device_shared') { for (const domain of doms) evs.push({ type, dev, domain } as IommuEvent); }
          else evs.push({ type, dev } as IommuEvent);
        }
    }
  }
  return evs;
}

describe('compiled transition function equals xstate transition()', async () => {
  const designs = await loadDesigns();
  for (const design of designs) {
    // One device: every call the design has, from every reachable state. Two devices: every
    // caller action from every reachable state (v7 also every call).
    for (const [devices, everyCall] of [[1, true], [2, design.name === 'v7']] as const) {
      it(`${design.name} at ${devices} device(s)${everyCall ? ', every call' : ', caller actions'}`, () => {
        const model = buildIommuModel(design, devices, []);
        const compiled = compiledOf(design);
        const rows = reachableRows(model);
        // The independent enumeration agrees with the checker's count.
        expect(check(model).states).toBe(rows.length);
        // Each event with the caller action it is (caller actions only: its precondition filters).
        const events = everyCall ? allEvents(devices, design.events).map((event) => ({ event, action: undefined }))
          : model.actions.map((action) => ({ event: action.event, action }));
        const view = model.layout.createView();
        const expected = new Uint32Array(model.words);
        let compared = 0;
        for (const row of rows) {
          const { state, context } = model.decode(row);
          const snapshot = design.machine.resolveState({ value: state, context: cloneContext(context) });
          for (const { event, action } of events) {
            if (action && !action.enabled(context)) continue;
            const [next] = transition(design.machine, snapshot, event);
            const c = cloneContext(context);
            const s = compiled.step(compiled.stateNames.indexOf(state), c, event);
            // Node's strict deep equality is stricter than toEqual, so a pair it accepts passes
            // toEqual; expect decides (and prints the difference) only where it does not. This
            // keeps three deep expects per pair out of a loop of hundreds of thousands.
            const got = { value: compiled.stateNames[s], context: c };
            const want = { value: next.value, context: next.context };
            if (!isDeepStrictEqual(got, want)) expect(got).toEqual(want);
            // The packed view (what the checker really runs) gives the same row as encoding XState's result.
            view.buf.set(row);
            view.ret = 0; view.warn = false;
            view.$state = compiled.step(view.$state, view, event);
            model.layout.encode(next.value as string, next.context, expected);
            if (!isDeepStrictEqual(view.buf, expected)) expect(Array.from(view.buf)).toEqual(Array.from(expected));
            if (view.ret !== next.context.ret || view.warn !== next.context.warn) expect([view.ret, view.warn]).toEqual([next.context.ret, next.context.warn]);
            compared++;
          }
        }
        expect(compared).toBeGreaterThan(rows.length);
        // lu-owner-param at 2 devices: 31,353 states, 222,284 calls of xstate's transition().
      }, 600_000);
    }
  }
});
