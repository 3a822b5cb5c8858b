/**
 * The reduced search stores exactly one state per orbit. Orbits are counted here by brute force,
 * independently of the packed canonicalization: every reachable state is enumerated without
 * reduction (plain BFS with a JS Set), decoded to a context, and keyed by the smallest JSON text
 * among all its images (every order of the devices, with and without the user swap
 * file1/dom1 <-> file2/dom2 when the design's users are interchangeable).
 */
import { describe, expect, it } from 'vitest';
import { check } from '../src/core/check';
import { Successors } from '../src/core/model';
import { loadDesigns } from '../src/iommu/designRegistry';
import { loadInvariants } from '../src/iommu/invariantRegistry';
import { buildIommuModel, type IommuModel } from '../src/iommu/iommuModel';
import type { GroupContext } from '../src/model/context';

/** Largest unreduced state space enumerated here. */
const MAX = 60_000;

function reachable(model: IommuModel): Uint32Array[] | null {
  const W = model.words;
  const seen = new Set<string>();
  const rows: Uint32Array[] = [];
  const add = (r: Uint32Array) => { const k = r.join(); if (!seen.has(k)) { seen.add(k); rows.push(r.slice()); } };
  add(model.initialStates().subarray(0, W));
  const out = new Successors(W);
  for (let i = 0; i < rows.length; i++) {
    if (rows.length > MAX) return null;
    out.reset();
    model.referenceSuccessors(rows[i], out);
    for (let k = 0; k < out.count; k++) add(out.states.subarray(k * W, (k + 1) * W));
  }
  return rows;
}

function permutations(n: number): number[][] {
  if (n === 0) return [[]];
  return permutations(n - 1).flatMap((p) => Array.from({ length: n }, (_, i) => [...p.slice(0, i), n - 1, ...p.slice(i)]));
}

const SWAP: Record<string, string> = { file1: 'file2', file2: 'file1', dom1: 'dom2', dom2: 'dom1' };
const swapValue = (v: unknown) => (typeof v === 'string' && v in SWAP ? SWAP[v] : v);
const swapRecord = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, swapValue(v)]));

/** The orbit's key: the least JSON text over every image of the state. */
function naiveKey(state: string, c: GroupContext, perms: number[][], swapUsers: boolean): string {
  const { devices, users, ret: _r, warn: _w, ...group } = c;
  let best: string | null = null;
  for (const swap of swapUsers ? [false, true] : [false]) {
    const g = swap ? swapRecord(group) : group;
    const us = swap ? [...users].reverse().map(swapRecord) : users;
    const ds = swap ? devices.map(swapRecord) : devices;
    for (const p of perms) {
      const key = JSON.stringify([state, g, p.map((i) => ds[i]), us]);
      if (best === null || key < best) best = key;
    }
  }
  return best!;
}

describe('reduced state counts equal orbit counts by brute force', async () => {
  const designs = await loadDesigns();
  const invariants = await loadInvariants();
  for (const design of designs) {
    it(`${design.name} at 2 and 3 devices`, () => {
      let counted = 0;
      for (let n = 2; n <= 3; n++) {
        // Both generators, unverified: this test counts orbits of the group; whether the design
        // really has that symmetry is test/symmetry-soundness's business.
        const model = buildIommuModel(design, n, invariants, { symmetry: true, symmetryVerified: { devices: true, users: true } });
        const rows = reachable(model);
        if (!rows) continue;
        const g = model.symmetryGenerators!;
        const perms = g.devices ? permutations(n) : [Array.from({ length: n }, (_, i) => i)];
        const orbits = new Set<string>();
        for (const row of rows) {
          const { state, context } = model.decode(row);
          orbits.add(naiveKey(state, context, perms, g.users));
        }
        const reduced = check(model, { symmetry: model.symmetry !== undefined, properties: [] });
        expect(reduced.states).toBe(orbits.size);
        if (n > 1 && g.devices) expect(orbits.size).toBeLessThan(rows.length);
        counted++;
      }
      expect(counted).toBeGreaterThanOrEqual(1);
    });
  }
});
