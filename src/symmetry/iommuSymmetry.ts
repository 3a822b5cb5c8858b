import { Successors } from '../core/model';
import { StateStore } from '../core/stateStore';
import type { Design } from '../iommu/design';
import type { Invariant } from '../iommu/invariant';
import { buildIommuModel, type IommuModel } from '../iommu/iommuModel';
import type { PackedLayout } from '../model/packedLayout';
import { USER_DOMAIN, USERS } from '../model/vocabulary';
import { DeviceUserSymmetry, rawValueMaps } from './deviceUserSymmetry';

/** The symmetry a design admits at a bound, and what to tell the user about it. */
export interface IommuSymmetry {
  readonly symmetry?: DeviceUserSymmetry;
  /** Which generators it has. */
  readonly generators?: { readonly devices: boolean; readonly users: boolean };
  /** What is reduced by, or why nothing is. */
  readonly note: string;
}

/** The user swap: file1 <-> file2 and their domains dom1 <-> dom2. */
export const USER_VALUE_PAIRS: readonly (readonly [unknown, unknown])[] = [
  [USERS[0], USERS[1]],
  [USER_DOMAIN[USERS[0]], USER_DOMAIN[USERS[1]]],
];

/** Bounds at which a candidate symmetry is verified exhaustively (the larger one only when small). */
const VERIFY_DEVICES = [2, 3];
const VERIFY_MAX_STATES = 60_000;
/**
 * At a larger bound, the symmetry is also checked at that bound on its first this many states
 * (breadth first): a design that singles out a device the small bounds lack (device 3, say)
 * shows it within a few calls.
 */
export const BOUND_SAMPLE_STATES = 2_000;

/** A permutation of the model's rows and actions: device `d` becomes `devices[d]`, users swapped or not. */
interface Permutation {
  readonly name: string;
  readonly devices: readonly number[];
  readonly swapUsers: boolean;
}

function permuteRowFn(layout: PackedLayout, p: Permutation): (src: Uint32Array, dst: Uint32Array, off?: number) => void {
  const maps = p.swapUsers ? rawValueMaps(layout, USER_VALUE_PAIRS) : layout.slots.map(() => null);
  const nd = layout.deviceKeys.length;
  const nu = layout.userKeys.length;
  const target = layout.slots.map((_, i) => {
    if (i >= layout.deviceSlot0 && i < layout.userSlot0) {
      const d = Math.floor((i - layout.deviceSlot0) / nd);
      return layout.deviceSlot0 + p.devices[d] * nd + ((i - layout.deviceSlot0) % nd);
    }
    if (i >= layout.userSlot0 && p.swapUsers) {
      const u = Math.floor((i - layout.userSlot0) / nu);
      return layout.userSlot0 + (1 - u) * nu + ((i - layout.userSlot0) % nu);
    }
    return i;
  });
  // Per slot: source word, shift, mask, then target word and shift (the row is read as raw bits).
  const n = layout.slots.length;
  const plan = new Int32Array(n * 5);
  layout.slots.forEach((s, i) => {
    const t = layout.slots[target[i]];
    plan.set([s.word, s.shift, s.bits >= 32 ? -1 : (1 << s.bits) - 1, t.word, t.shift], i * 5);
  });
  return (src, dst, off = 0) => {
    dst.fill(0);
    for (let i = 0; i < n; i++) {
      const at = i * 5;
      let v = (src[off + plan[at]] >>> plan[at + 1]) & plan[at + 2];
      const m = maps[i];
      if (m) v = m[v];
      dst[plan[at + 3]] |= v << plan[at + 4];
    }
  };
}

function eventKey(e: object): string {
  return JSON.stringify(Object.keys(e).sort().map((k) => [k, (e as Record<string, unknown>)[k]]));
}

function permuteEvent(e: Record<string, unknown>, p: Permutation): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(e)) {
    let w = v;
    if (k === 'dev' && typeof v === 'number') w = p.devices[v];
    else if (p.swapUsers) for (const [a, b] of USER_VALUE_PAIRS) { if (v === a) w = b; else if (v === b) w = a; }
    out[k] = w;
  }
  return out;
}

/**
 * Every state reachable in `model` (rows), or null when there are more than `max`; with
 * `prefix`, the first `max` of them in breadth-first order instead of null.
 */
function reachable(model: IommuModel, max: number, prefix = false): Uint32Array[] | null {
  const W = model.words;
  const seen = new StateStore(W);
  const rows: Uint32Array[] = [];
  const add = (buf: Uint32Array, off: number) => {
    if (seen.add(buf, off) >= 0) rows.push(buf.slice(off, off + W));
  };
  const init = model.initialStates();
  for (let i = 0; i * W < init.length; i++) add(init, i * W);
  const out = new Successors(W);
  for (let i = 0; i < rows.length; i++) {
    if (rows.length > max) return prefix ? rows.slice(0, max) : null;
    out.reset();
    model.successors(rows[i], out);
    for (let k = 0; k < out.count; k++) add(out.states, k * W);
  }
  return rows;
}

/** What checking a permutation's image of a state needs. */
interface Prepared {
  readonly permute: (src: Uint32Array, dst: Uint32Array, off?: number) => void;
  /** Action index -> the index of its image action. */
  readonly actionMap: readonly number[];
}

/**
 * Why `p` cannot be a symmetry of `model` whatever the states (its row or action map fails, an
 * action's image treats a recoverable property differently, the initial state is not mapped to
 * itself), or what checking it on states needs.
 */
function preparePermutation(model: IommuModel, p: Permutation): string | Prepared {
  const W = model.words;
  let permute: Prepared['permute'];
  try {
    permute = permuteRowFn(model.layout, p);
  } catch (e) {
    return (e as Error).message;
  }
  // Several actions may send the same event (two drivers using one call): the k-th action with
  // an event maps to the k-th action with the permuted event.
  const nth = new Map<string, number>();
  const keyed = model.actions.map((a) => {
    const k = eventKey(a.event);
    const i = nth.get(k) ?? 0;
    nth.set(k, i + 1);
    return `${k}#${i}`;
  });
  const keyToAction = new Map(keyed.map((k, i) => [k, i] as const));
  const actionMap = model.actions.map((a, i) => {
    const k = keyed[i];
    return keyToAction.get(`${eventKey(permuteEvent(a.event as unknown as Record<string, unknown>, p))}#${k.slice(k.lastIndexOf('#') + 1)}`) ?? -1;
  });
  const missing = actionMap.indexOf(-1);
  if (missing >= 0) return `no caller action matches ${JSON.stringify(permuteEvent(model.actions[missing].event as unknown as Record<string, unknown>, p))}`;
  for (const prop of model.properties) {
    if (prop.kind !== 'recoverable') continue;
    for (let a = 0; a < actionMap.length; a++) if (prop.via(a) !== prop.via(actionMap[a])) return `${prop.name} treats ${JSON.stringify(model.actions[a].event)} differently from its image`;
  }
  const g = new Uint32Array(W);
  const init = model.initialStates().subarray(0, W);
  permute(init, g);
  if (g.join() !== init.join()) return 'the initial state is not mapped to itself';
  return { permute, actionMap };
}

/**
 * For each of `perms`, why it is not a symmetry of `model` on the states in `rows`, or null if
 * it is: it must map the initial state to itself, every transition s -a-> t (with its flags) to
 * a transition p(s) -p(a)-> p(t) with the same flags, and keep every property's answer and
 * `via` action. Each permutation's answer is the first failure in `rows` order; a state's own
 * answers and successors are computed once for all the permutations.
 */
function violations(model: IommuModel, rows: readonly Uint32Array[], perms: readonly Permutation[]): (string | null)[] {
  const W = model.words;
  const out: (string | null)[] = perms.map(() => null);
  const active: (Prepared & { readonly at: number })[] = [];
  perms.forEach((p, at) => {
    const r = preparePermutation(model, p);
    if (typeof r === 'string') out[at] = r;
    else active.push({ ...r, at });
  });
  const props = model.properties;
  /** A property's answer on a row: holds for state properties, the goal for recoverable ones, null for the others. */
  const answer = (prop: (typeof props)[number], row: Uint32Array): boolean | null =>
    prop.kind === 'always' || prop.kind === 'sometimes' ? prop.holds(row) : prop.kind === 'recoverable' ? prop.goal(row) : null;
  const g = new Uint32Array(W);
  const gt = new Uint32Array(W);
  const a = new Successors(W);
  const b = new Successors(W);
  // image[action] = 1 + the index of that action among the image state's successors (0: none).
  const image = new Int32Array(model.actions.length);
  const own: (boolean | null)[] = props.map(() => null);
  /** Why `q` fails on state `s` (its answers in `own`, its successors in `a`), or null. */
  const imageViolation = (q: Prepared, s: Uint32Array): string | null => {
    q.permute(s, g);
    for (let i = 0; i < props.length; i++) {
      if (own[i] === null || own[i] === answer(props[i], g)) continue;
      return props[i].kind === 'recoverable'
        ? `the goal of ${props[i].name} differs on ${JSON.stringify(model.decode(s))} and its image`
        : `${props[i].name} differs on ${JSON.stringify(model.decode(s))} and its image`;
    }
    b.reset();
    model.successors(g, b);
    if (a.count !== b.count) return `${JSON.stringify(model.decode(s))} and its image have ${a.count} and ${b.count} successors`;
    for (let k = 0; k < b.count; k++) image[b.actions[k]] = k + 1;
    try {
      for (let k = 0; k < a.count; k++) {
        const j = image[q.actionMap[a.actions[k]]] - 1;
        const ev = () => JSON.stringify(model.actions[a.actions[k]].event);
        if (j < 0) return `${ev()} is enabled in ${JSON.stringify(model.decode(s))} but its image is not enabled in the image state`;
        q.permute(a.states, gt, k * W);
        let same = a.flags[k] === b.flags[j];
        for (let w = 0; w < W && same; w++) same = gt[w] === b.states[j * W + w];
        if (!same) return `${ev()} from ${JSON.stringify(model.decode(s))} does not commute with the permutation`;
      }
      return null;
    } finally {
      for (let k = 0; k < b.count; k++) image[b.actions[k]] = 0;
    }
  };
  for (const s of rows) {
    if (active.length === 0) break;
    for (let i = 0; i < props.length; i++) own[i] = answer(props[i], s);
    a.reset();
    model.successors(s, a);
    for (let q = 0; q < active.length;) {
      const why = imageViolation(active[q], s);
      if (why === null) { q++; continue; }
      out[active[q].at] = why;
      active.splice(q, 1);
    }
  }
  return out;
}

/**
 * The first failure among the device permutations of `perms` on `rows`, and the first among the
 * user ones, each as `where: why`; null for a kind none of which fails.
 */
function generatorFailures(model: IommuModel, rows: readonly Uint32Array[], perms: readonly Permutation[], where: string): { devices: string | null; users: string | null } {
  let devices: string | null = null;
  let users: string | null = null;
  violations(model, rows, perms).forEach((why, i) => {
    if (why === null) return;
    if (perms[i].name === 'devices') devices ??= `${where}: ${why}`;
    else users ??= `${where}: ${why}`;
  });
  return { devices, users };
}

/** Why devices / users are not interchangeable (null: they are, as far as checked), and the largest bound checked exhaustively. */
interface Verification {
  readonly devices: string | null;
  readonly users: string | null;
  readonly exhaustiveTo: number;
}

const cache = new WeakMap<Design, Map<string, Verification>>();

/** The permutations that generate the symmetries checked at `n` devices (a transposition and a cycle; the user swap). */
function generators(n: number, devices: boolean, users: boolean): Permutation[] {
  const id = Array.from({ length: n }, (_, d) => d);
  const perms: Permutation[] = [];
  if (devices) {
    perms.push({ name: 'devices', devices: [1, 0, ...id.slice(2)], swapUsers: false });
    if (n > 2) perms.push({ name: 'devices', devices: [...id.slice(1), 0], swapUsers: false });
  }
  if (users) perms.push({ name: 'users', devices: id, swapUsers: true });
  return perms;
}

/**
 * Checks, exhaustively on every reachable state at 2 (and, when small, 3) devices, whether the
 * design's devices are interchangeable and whether its two users are (file1/dom1 <-> file2/dom2),
 * for these invariants. Cached per design and invariant set. A bound-independent proof is out
 * of reach of this test: a design that singles out device 3, say, would pass it (`iommuSymmetry`
 * therefore also checks the run's own bound on its first states); the soundness test
 * (test/symmetry-soundness) compares verdicts with and without reduction up to 5 devices.
 */
export function interchangeable(design: Design, invariants: readonly Invariant[]): Verification {
  let byInv = cache.get(design);
  if (!byInv) { byInv = new Map(); cache.set(design, byInv); }
  const key = invariants.map((i) => i.name).sort().join(',');
  const hit = byInv.get(key);
  if (hit) return hit;
  let devices: string | null = null;
  let users: string | null = null;
  let exhaustiveTo = 0;
  for (const n of VERIFY_DEVICES) {
    const model = buildIommuModel(design, n, invariants);
    const rows = reachable(model, n === VERIFY_DEVICES[0] ? Number.POSITIVE_INFINITY : VERIFY_MAX_STATES);
    if (!rows) break;
    exhaustiveTo = n;
    const found = generatorFailures(model, rows, generators(n, devices === null, users === null), `${n} devices`);
    devices ??= found.devices;
    users ??= found.users;
  }
  const result = { devices, users, exhaustiveTo };
  byInv.set(key, result);
  return result;
}

const boundCache = new WeakMap<Design, Map<string, { devices: string | null; users: string | null }>>();

/**
 * The generators `want` names, checked at `n` devices on the first BOUND_SAMPLE_STATES states
 * in breadth-first order (all of them when there are fewer): why each fails, or null. Cached
 * per design, invariant set and bound.
 */
function interchangeableAt(design: Design, n: number, invariants: readonly Invariant[], want: { devices: boolean; users: boolean }): { devices: string | null; users: string | null } {
  let byKey = boundCache.get(design);
  if (!byKey) { byKey = new Map(); boundCache.set(design, byKey); }
  const key = `${n}/${want.devices}/${want.users}/${invariants.map((i) => i.name).sort().join(',')}`;
  const hit = byKey.get(key);
  if (hit) return hit;
  const model = buildIommuModel(design, n, invariants);
  const rows = reachable(model, BOUND_SAMPLE_STATES, true)!;
  const where = `${n} devices, first ${rows.length.toLocaleString('en-US')} states`;
  const result = generatorFailures(model, rows, generators(n, want.devices, want.users), where);
  byKey.set(key, result);
  return result;
}

/**
 * The symmetry to reduce `design` by at this layout, verified for these invariants (or, when
 * `verified` is given, the generators it names, taken as verified elsewhere).
 */
export function iommuSymmetry(design: Design, layout: PackedLayout, invariants: readonly Invariant[], verified?: { readonly devices: boolean; readonly users: boolean }): IommuSymmetry {
  let why: { devices: string | null; users: string | null };
  if (verified) why = { devices: verified.devices ? null : 'not asked for', users: verified.users ? null : 'not asked for' };
  else {
    const small = interchangeable(design, invariants);
    why = small;
    // Past the bounds checked exhaustively: the run's own bound, on its first states.
    if (layout.devices > small.exhaustiveTo && (small.devices === null || small.users === null)) {
      const at = interchangeableAt(design, layout.devices, invariants, { devices: small.devices === null && layout.deviceChunks !== null && layout.devices > 1, users: small.users === null });
      why = { devices: small.devices ?? at.devices, users: small.users ?? at.users };
    }
  }
  const devices = why.devices === null && layout.deviceChunks !== null && layout.devices > 1;
  const users = why.users === null;
  const notes: string[] = [];
  if (why.devices !== null) notes.push(`devices are not interchangeable (${why.devices})`);
  if (why.users !== null) notes.push(`users are not interchangeable (${why.users})`);
  if (!devices && !users) return { note: `no symmetry: ${notes.join('; ') || 'nothing to permute'}` };
  const symmetry = new DeviceUserSymmetry(layout, { devices, users, valuePairs: USER_VALUE_PAIRS });
  return { symmetry, generators: { devices, users }, note: notes.length > 0 ? `${symmetry.description}; ${notes.join('; ')}` : symmetry.description };
}
