/**
 * The group-lifetime shortcut (docs/model.md, "The group's lifetime"): `freshGroupSteps` flags
 * the steps at which a device joins an emptied group that is not fresh, the reports say so, and
 * `withoutShortcut` leaves exactly those joins out. The sequences and the steps expected are
 * read off v7's seed code (claim sets owner_cnt 1 and the owner; release_device empties the
 * group but leaves both; release puts them back to 0 and null and re-attaches the default domain).
 */
import { describe, expect, it } from 'vitest';
import { design as v7 } from '../machines/v7';
import { loadDesigns } from '../src/iommu/designRegistry';
import { checkDesign } from '../src/iommu/checkDesign';
import type { IommuEvent } from '../src/iommu/events';
import { freshGroupSteps, withoutShortcut } from '../src/iommu/freshGroupSteps';
import { loadInvariants } from '../src/iommu/invariantRegistry';
import { replayEvents } from '../src/iommu/replay';
import { runCli } from './cliRun';
import { successorsApi } from '../src/explore/api';
import { sequenceMermaid } from '../src/diagram/sequenceMermaid';
import { invariant as noMixed } from '../invariants/no-mixed-dma';

const probe = (dev: number): IommuEvent => ({ type: 'probe_device', dev });
const leave = (dev: number): IommuEvent => ({ type: 'release_device', dev });
const bind = (dev: number, driver: 'kernel' | 'vfio'): IommuEvent => ({ type: 'bind_driver', dev, driver });
const unbind = (dev: number): IommuEvent => ({ type: 'unbind_driver', dev });
const claim: IommuEvent = { type: 'claim', owner: 'file1' };
const release: IommuEvent = { type: 'release', owner: 'file1' };

/** file1 claims the group through the fd vfio-pci's bind opened, then its only member leaves. */
const emptiedWhileOwned = [probe(0), bind(0, 'vfio'), unbind(0), claim, leave(0)];

const flagged = (devices: number, events: IommuEvent[]) => freshGroupSteps(v7, devices, replayEvents(v7, devices, events));

describe('freshGroupSteps', () => {
  it('flags a probe into the emptied group file1 still owns, with the state before it', () => {
    const f = flagged(1, [...emptiedWhileOwned, bind(0, 'kernel'), probe(0)]);
    expect(f).toEqual([{ step: 6, devices: [0], before: { state: 'user-owned', group: { owner_cnt: 1, owner: 'file1', domain: null, fd_openable: false } } }]);
  });

  it('flags nothing while another member keeps the group', () => {
    expect(flagged(2, [probe(1), ...emptiedWhileOwned, probe(0)])).toEqual([]);
  });

  it('flags nothing where the emptied group is as fresh: never owned, or released before the probe', () => {
    expect(flagged(1, [probe(0), leave(0), probe(0)])).toEqual([]);
    expect(flagged(1, [...emptiedWhileOwned, release, probe(0)])).toEqual([]);
  });

  it('flags every such join, not only the first', () => {
    const f = flagged(1, [...emptiedWhileOwned, probe(0), leave(0), probe(0)]);
    expect(f.map((s) => s.step)).toEqual([5, 7]);
  });
});

describe('withoutShortcut', () => {
  it('refuses the flagged join in replay, and allows the others', () => {
    const d = withoutShortcut(v7);
    expect(() => replayEvents(d, 1, [...emptiedWhileOwned, probe(0)])).toThrow(/not fresh/);
    expect(replayEvents(d, 2, [probe(1), ...emptiedWhileOwned, probe(0)])).toHaveLength(7);
    expect(replayEvents(d, 1, [...emptiedWhileOwned, release, probe(0)])).toHaveLength(7);
  });

  it('has a name of its own, so that worker threads refuse it instead of searching the registered design', async () => {
    const d = withoutShortcut(v7);
    expect(d.name).toBe('v7-without-shortcut');
    await Promise.all([loadDesigns(), loadInvariants()]);
    expect(() => checkDesign(d, 2, [noMixed], { workers: 2 })).toThrow(/no design named 'v7-without-shortcut'.*workers can only check registered designs/);
  });

  it('loses every counterexample the reports flag, and only flagged ones, at 1 and 2 devices (every design)', async () => {
    const invariants = await loadInvariants();
    for (const design of await loadDesigns()) {
      for (const n of [1, 2]) {
        const as = checkDesign(design, n, invariants);
        const without = checkDesign(withoutShortcut(design), n, invariants);
        expect(without.result.states, `${design.name} at ${n}`).toBeLessThanOrEqual(as.result.states);
        as.verdicts.forEach((v, i) => {
          const w = without.verdicts[i];
          const at = `${design.name} at ${n}: ${v.name}`;
          if (v.verdict !== 'violated') {
            // Fewer behaviours: nothing new is violated.
            expect(w.verdict, at).toBe(v.verdict);
            return;
          }
          const uses = freshGroupSteps(design, n, v.trace).length > 0;
          // A shortest counterexample that avoids the shortcut is one the variant keeps, as short.
          if (!uses) expect(w.verdict === 'violated' && w.counterexample.length, at).toBe(v.counterexample.length);
          // One that takes it is not the variant's (it may still find a longer one).
          else expect(w.verdict !== 'violated' || w.counterexample.length > v.counterexample.length, at).toBe(true);
        });
      }
    }
  });
});

describe('reports', () => {
  it('check: a note under the trace naming the step, and freshGroupSteps in JSON', () => {
    const text = runCli(['check', '--devices', '1', '--invariant', 'no-mixed-dma']);
    expect(text.code).toBe(1);
    const note = text.out.split('\n').filter((l) => l.includes('note: at step'));
    expect(note).toHaveLength(1);
    expect(note[0]).toMatch(/^ {2}note: at step 6 device 0 joins the group after its last member left, .*\(user-owned, owner_cnt=1 owner=file1 domain=null fd_openable=false; fresh: unowned, owner_cnt=0 owner=null domain=default fd_openable=false\)/);
    const json = runCli(['check', '--devices', '1', '--invariant', 'no-mixed-dma', '--format', 'json']);
    const inv = (JSON.parse(json.out) as { invariants: { freshGroupSteps?: number[]; trace: { step: number; freshGroup?: boolean }[] }[] }).invariants[0];
    expect(inv.freshGroupSteps).toEqual([6]);
    expect(inv.trace.filter((t) => 'freshGroup' in t).map((t) => [t.step, t.freshGroup])).toEqual([[6, true]]);
  });

  it('replay: freshGroup on the step line that takes the shortcut, and only on it', () => {
    const lines = (events: IommuEvent[], devices: number) => runCli(['replay', '--devices', String(devices), '-'], { input: JSON.stringify(events) }).out.trim().split('\n').map((l) => JSON.parse(l) as { step: number; freshGroup?: boolean });
    const owned = lines([...emptiedWhileOwned, bind(0, 'kernel'), probe(0)], 1);
    expect(owned).toHaveLength(7);
    expect(owned.filter((l) => 'freshGroup' in l).map((l) => [l.step, l.freshGroup])).toEqual([[6, true]]);
    expect(lines([probe(1), ...emptiedWhileOwned, probe(0)], 2).filter((l) => 'freshGroup' in l)).toEqual([]);
  });

  it('check: no note and no field where no counterexample takes the shortcut', () => {
    const json = runCli(['check', '--devices', '2', '--format', 'json']);
    const invs = (JSON.parse(json.out) as { invariants: Record<string, unknown>[] }).invariants;
    expect(invs.some((v) => v.verdict === 'violated')).toBe(true);
    expect(invs.filter((v) => 'freshGroupSteps' in v)).toEqual([]);
    expect(runCli(['check', '--devices', '2']).out).not.toContain('note: at step');
  });

  it('compare: the matrix marks a counterexample that takes the shortcut, and its JSON says where', () => {
    const md = runCli(['compare', '--devices', '1', '--design', 'v7,v8']);
    expect(md.code).toBe(0);
    const row = md.out.split('\n').find((l) => l.startsWith('| no-mixed-dma |'));
    expect(row).toMatch(/^\| no-mixed-dma \| \*\*violated\*\*, 7 calls \(one-group shortcut\) \| holds, /);
    const json = JSON.parse(runCli(['compare', '--devices', '1', '--design', 'v7', '--format', 'json']).out) as { designs: Record<string, { invariants: Record<string, { freshGroupSteps?: number[] }> }> };
    expect(json.designs.v7.invariants['no-mixed-dma'].freshGroupSteps).toEqual([6]);
  });
});

describe('explorer and sequence diagrams', () => {
  const path = [...emptiedWhileOwned, bind(0, 'kernel'), probe(0)];

  it('the explorer marks the step that takes the shortcut, and only it', async () => {
    const r = await successorsApi({ design: 'v7', devices: 1, path });
    const states = r.states as { step: number | null; shortcut?: string }[];
    expect(states.filter((s) => s.shortcut).map((s) => s.step)).toEqual([6]);
    expect(states[7].shortcut).toMatch(/^device 0 joined the group after its last member left, but the group is not a fresh one/);
    const kept = await successorsApi({ design: 'v7', devices: 2, path: [probe(1), ...path] });
    expect((kept.states as { shortcut?: string }[]).filter((s) => s.shortcut)).toEqual([]);
  });

  it('the sequence diagram has a note after the call that takes it', () => {
    const v = checkDesign(v7, 1, [noMixed]).verdicts[0];
    if (v.verdict !== 'violated') throw new Error('no-mixed-dma holds for v7 at 1 device');
    const lines = sequenceMermaid(v7, 1, v).split('\n');
    const at = lines.findIndex((l) => l.includes('one-group shortcut'));
    expect(at).toBeGreaterThan(0);
    expect(lines[at - 2]).toMatch(new RegExp(`^ {2}DC->>IO: ${freshGroupSteps(v7, 1, v.trace)[0].step}\\. probe_device`));
    expect(lines.filter((l) => l.includes('one-group shortcut'))).toHaveLength(1);
  });
});
