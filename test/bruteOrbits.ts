/**
 * Orbits counted by brute force, independently of the packed canonicalization: every reachable
 * state is enumerated without reduction (plain BFS over `referenceSuccessors` with a JS Set),
 * decoded to a context, and keyed by the smallest JSON text among all its images (the device
 * orders given, with and without the user swap file1/dom1 <-> file2/dom2).
 */
import { Successors } from '../src/core/model';
import type { IommuModel } from '../src/iommu/iommuModel';
import type { GroupContext } from '../src/model/context';

/** Every reachable row of `model`, in BFS order, or null once there are more than `max`. */
export function reachable(model: IommuModel, max: number): Uint32Array[] | null {
  const W = model.words;
  const seen = new Set<string>();
  const rows: Uint32Array[] = [];
  const add = (r: Uint32Array) => { const k = r.join(); if (!seen.has(k)) { seen.add(k); rows.push(r.slice()); } };
  add(model.initialStates().subarray(0, W));
  const out = new Successors(W);
  for (let i = 0; i < rows.length; i++) {
    if (rows.length > max) return null;
    out.reset();
    model.referenceSuccessors(rows[i], out);
    for (let k = 0; k < out.count; k++) add(out.states.subarray(k * W, (k + 1) * W));
  }
  return rows;
}

/** Every order of 0..n-1. */
export function permutations(n: number): number[][] {
  if (n === 0) return [[]];
  return permutations(n - 1).flatMap((p) => Array.from({ length: n }, (_, i) => [...p.slice(0, i), n - 1, ...p.slice(i)]));
}

/** The identity order of n devices alone. */
export function identity(n: number): number[][] {
  return [Array.from({ length: n }, (_, i) => i)];
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

/** How many orbits `rows` (rows of `model`) fall into under `perms` and, if `swapUsers`, the user swap. */
export function countOrbits(model: IommuModel, rows: readonly Uint32Array[], perms: number[][], swapUsers: boolean): number {
  const orbits = new Set<string>();
  for (const row of rows) {
    const { state, context } = model.decode(row);
    orbits.add(naiveKey(state, context, perms, swapUsers));
  }
  return orbits.size;
}
