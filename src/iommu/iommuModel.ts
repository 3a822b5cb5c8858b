import { CompiledForest } from '../core/compiledForest';
import { DecisionForest, type Trace } from '../core/decisionTree';
import type { ModelRecipe, PackedModel, Property, Symmetry } from '../core/model';
import { Successors } from '../core/model';
import { compileMachine, type CompiledMachine } from '../machine/compileMachine';
import { cloneContext, type GroupContext } from '../model/context';
import { PackedLayout, type PackedView } from '../model/packedLayout';
import { GROUP_STATES, USERS, type GroupStateName } from '../model/vocabulary';
import { iommuSymmetry } from '../symmetry/iommuSymmetry';
import { callersOf, type CallerAction } from './callers';
import type { Design } from './design';
import type { IommuEvent } from './events';
import { notApplicableReason, type Invariant, type InvariantSplit, type Probe, type StateInfo } from './invariant';

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
  /**
   * The successors as `successors` computes them, but by running every caller's precondition
   * and the compiled machine on a view, without the memo: the reference the fast path is tested
   * against.
   */
  referenceSuccessors(state: Uint32Array, out: Successors): void;
  /** With `IommuModelOptions.symmetry`: what the symmetry permutes, or why there is none. */
  readonly symmetryNote?: string;
  /** With `IommuModelOptions.symmetry`: which generators the symmetry has, if any. */
  readonly symmetryGenerators?: { readonly devices: boolean; readonly users: boolean };
}

/** How `buildIommuModel` builds the model. */
export interface IommuModelOptions {
  /**
   * Memoize transitions and invariants in decision trees (default true). Off, every successor
   * runs the caller's precondition and the compiled machine on a view.
   */
  readonly memoize?: boolean;
  /**
   * Offer a symmetry for `check(..., { symmetry: true })` (default false): the devices' and
   * the users' interchangeability, each verified on the design first (see symmetry/iommuSymmetry).
   */
  readonly symmetry?: boolean;
  /**
   * With `symmetry`: reduce by exactly these, without verifying them again (for worker threads,
   * whose merging thread verified them on the same design).
   */
  readonly symmetryVerified?: { readonly devices: boolean; readonly users: boolean };
  /** How worker threads rebuild this model (set by `iommuRecipe`). */
  readonly recipe?: ModelRecipe;
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
 * A tracing view and a probe over it, sharing one record of the row's fields read: a field is
 * recorded the first time it is read while it still holds the row's value (in the view, or in
 * the probe's copy, which is reset at each `tryEvent`).
 */
class Tracer {
  readonly view: PackedView;
  readonly probe: Probe;
  private readonly probeView: PackedView;
  private readonly logged: Uint8Array;
  private readonly written: Uint8Array;
  private readonly probeWritten: Uint8Array;
  private log: number[] = [];
  readonly writtenSlots: number[] = [];

  constructor(layout: PackedLayout, compiled: CompiledMachine) {
    const n = layout.slots.length;
    this.logged = new Uint8Array(n);
    this.written = new Uint8Array(n);
    this.probeWritten = new Uint8Array(n);
    this.view = layout.createTracingView({
      read: (i, raw) => { if (!this.written[i] && !this.logged[i]) { this.logged[i] = 1; this.log.push(i, raw); } },
      write: (i) => { if (!this.written[i]) { this.written[i] = 1; this.writtenSlots.push(i); } },
    });
    this.probeView = layout.createTracingView({
      read: (i, raw) => { if (!this.probeWritten[i] && !this.logged[i]) { this.logged[i] = 1; this.log.push(i, raw); } },
      write: (i) => { this.probeWritten[i] = 1; },
    });
    const pv = this.probeView;
    this.probe = {
      context: this.view,
      tryEvent: (event) => {
        // Copy the row without reading through the view (nothing is read yet).
        (pv.buf as Uint32Array).set(this.view.buf);
        this.probeWritten.fill(0);
        let ret = 0;
        let warn = false;
        for (const e of Array.isArray(event) ? event : [event]) {
          pv.ret = 0;
          pv.warn = false;
          pv.$state = compiled.step(pv.$state, pv, e as IommuEvent);
          if (ret === 0) ret = pv.ret;
          warn ||= pv.warn;
        }
        return { ret, warn };
      },
    };
  }

  /** Loads a row and forgets what was read and written. */
  start(row: Uint32Array, off: number, words: number): void {
    for (let i = 0; i < words; i++) (this.view.buf as Uint32Array)[i] = row[off + i];
    this.logged.fill(0);
    this.written.fill(0);
    this.writtenSlots.length = 0;
    this.log = [];
    this.view.ret = 0;
    this.view.warn = false;
  }

  finish(leaf: number): Trace {
    return { reads: this.log, leaf };
  }
}

/** Growable leaf payloads of the transition trees: AND and OR masks per word, and flags (-1: disabled). */
class TransitionLeaves {
  and: Uint32Array;
  or: Uint32Array;
  flags: Int32Array;
  count = 0;
  private readonly index = new Map<string, number>();
  private keyChars = 0;
  constructor(private readonly W: number) {
    this.and = new Uint32Array(64 * W);
    this.or = new Uint32Array(64 * W);
    this.flags = new Int32Array(64);
    this.add(null, null, -1); // 0: disabled
    this.add(null, null, 0); // 1: scratch, rewritten by every direct evaluation
  }
  /** The leaf with these masks and flags (shared between paths and actions). */
  intern(and: Uint32Array, or: Uint32Array, flags: number): number {
    const key = `${flags}:${and.join(',')}:${or.join(',')}`;
    let id = this.index.get(key);
    if (id === undefined) { id = this.add(and, or, flags); this.index.set(key, id); this.keyChars += key.length; }
    return id;
  }
  /** Bytes held: the payload arrays, and an estimate for the index (its keys, 64 bytes an entry). */
  get bytes(): number { return this.and.byteLength + this.or.byteLength + this.flags.byteLength + this.keyChars + 64 * this.index.size; }
  private add(and: Uint32Array | null, or: Uint32Array | null, flags: number): number {
    const id = this.count++;
    if (id >= this.flags.length) {
      const a = new Uint32Array(this.and.length * 2); a.set(this.and); this.and = a;
      const o = new Uint32Array(this.or.length * 2); o.set(this.or); this.or = o;
      const f = new Int32Array(this.flags.length * 2); f.set(this.flags); this.flags = f;
    }
    if (and) this.and.set(and, id * this.W);
    if (or) this.or.set(or, id * this.W);
    this.flags[id] = flags;
    return id;
  }
}

const LEAF_DISABLED = 0;
const LEAF_SCRATCH = 1;

/**
 * Builds the checker's model of `design` at `devices` devices: the modelled callers' actions
 * drive the compiled machine over packed states; each applicable invariant becomes a property.
 *
 * Speed: each caller action (precondition, then the machine's step) and each invariant is a pure
 * function of the row, memoized in a decision tree on the fields it reads (core/decisionTree), so
 * the machine's guards and effects run once per distinct outcome, not once per state. The
 * model still derives everything from the machine definition; `referenceSuccessors` runs the
 * machine directly and is what the memo is tested against.
 */
export function buildIommuModel(design: Design, devices: number, invariants: readonly Invariant[], options: IommuModelOptions = {}): IommuModel {
  const compiled = compiledOf(design);
  const layout = new PackedLayout(design.schema(devices), devices, USERS.length, compiled.stateNames);
  const actions = callersOf(design, devices);
  const W = layout.words;
  const memoize = (options.memoize ?? true) && layout.slots.every((s) => s.bits <= 16);

  const notApplicable: NotApplicable[] = [];
  const applicable: Invariant[] = [];
  for (const inv of invariants) {
    const reason = notApplicableReason(design, inv);
    if (reason) notApplicable.push({ name: inv.name, reason });
    else applicable.push(inv);
  }

  // Fast views for direct evaluation; a tracer for growing the trees.
  const work = layout.createView();
  const look = layout.createView();
  const probeView = layout.createView();
  const stateName = (v: PackedView) => compiled.stateNames[v.$state] as GroupStateName;
  const probe: Probe = {
    context: look,
    tryEvent(event) {
      probeView.buf.set(look.buf);
      let ret = 0;
      let warn = false;
      for (const e of Array.isArray(event) ? event : [event]) {
        probeView.ret = 0;
        probeView.warn = false;
        probeView.$state = compiled.step(probeView.$state, probeView, e as IommuEvent);
        if (ret === 0) ret = probeView.ret;
        warn ||= probeView.warn;
      }
      return { ret, warn };
    },
  };
  const info = { design, state: 'unowned' as GroupStateName };
  const infoOf = (v: PackedView): StateInfo => { info.state = stateName(v); return info; };
  const loadLook = (row: Uint32Array, off: number) => {
    const b = look.buf;
    for (let i = 0; i < W; i++) b[i] = row[off + i];
  };
  const tracer = new Tracer(layout, compiled);
  const fields = layout.slots;

  // Boolean functions of a row (invariants, goals) memoized in one forest, compiled.
  const predForest = new DecisionForest(fields);
  const predCompiled = new CompiledForest(predForest);
  /** What the memo holds besides the forests (the split invariants' tables). */
  let tableBytes = 0;
  /** A boolean function of a row, memoized when `memoize`. */
  const predicate = (direct: (v: PackedView) => boolean, traced: (v: PackedView, p: Probe) => boolean): ((row: Uint32Array) => boolean) => {
    const plain = (row: Uint32Array) => { loadLook(row, 0); return direct(look); };
    if (!memoize) return plain;
    const t = predForest.add({
      trace(row, off) {
        tracer.start(row, off, W);
        return tracer.finish(traced(tracer.view, tracer.probe) ? 1 : 0);
      },
      direct(row, off) { loadLook(row, off); return direct(look) ? 1 : 0; },
      // Large enough for the trees that converge (a goal probing a claim: about 80,000 nodes at 6
      // devices); a tree that keeps growing with the states fills it and is bypassed.
      maxNodes: 1 << 20,
    });
    predCompiled.track(t);
    const fns = predCompiled.fns;
    return (row) => {
      let leaf = fns[t](row);
      if (leaf < 0) leaf = predCompiled.lookup(t, row);
      return leaf === 1;
    };
  };

  /**
   * A state invariant with a split (StateInvariant.split), memoized by parts when each device's
   * fields are one chunk of bits: the group part as a predicate, the device part in a table over
   * a chunk's values (0: not evaluated yet, 1: holds, 2: fails), filled on first sight.
   */
  const splitPredicate = (split: InvariantSplit): ((row: Uint32Array) => boolean) | null => {
    const chunks = layout.deviceChunks;
    if (!memoize || !chunks || chunks.bits > 16) return null;
    const group = predicate((v) => split.group(v, infoOf(v)), (v) => split.group(v, { design, state: stateName(v) }));
    const table = new Uint8Array(1 << chunks.bits);
    tableBytes += table.byteLength;
    const cmask = (1 << chunks.bits) - 1;
    const dWord = Int32Array.from(chunks.word);
    const dShift = Int32Array.from(chunks.shift);
    const scratch = layout.createView();
    const deviceHolds = (chunk: number): number => {
      // Device 0 of a scratch row set to this chunk; the device part reads only its own device.
      const w = dWord[0];
      scratch.buf[w] = ((scratch.buf[w] & ~((cmask << dShift[0]) >>> 0)) | (chunk << dShift[0])) >>> 0;
      return (table[chunk] = split.device(scratch.devices[0], design) ? 1 : 2);
    };
    const n = layout.devices;
    return (row) => {
      if (!group(row)) return false;
      for (let d = 0; d < n; d++) {
        const chunk = (row[dWord[d]] >>> dShift[d]) & cmask;
        let r = table[chunk];
        if (r === 0) r = deviceHolds(chunk);
        if (r !== 1) return false;
      }
      return true;
    };
  };

  const properties: Property[] = applicable.map((inv): Property => {
    switch (inv.kind) {
      case 'always':
        return {
          kind: 'always',
          name: inv.name,
          holds: (inv.split && splitPredicate(inv.split))
            ?? predicate((v) => inv.holds(v, infoOf(v)), (v) => inv.holds(v, { design, state: stateName(v) })),
        };
      case 'never-flag':
        return { kind: 'never-flag', name: inv.name, flag: FLAG_WARN };
      case 'recoverable':
        return {
          kind: 'recoverable',
          name: inv.name,
          via: (a) => inv.via(actions[a]),
          goal: predicate(() => inv.goal(probe), (_v, p) => inv.goal(p)),
        };
    }
  });

  const init = new Uint32Array(W);
  layout.encode(compiled.stateNames[compiled.initialState], design.initialContext(devices), init);

  const referenceSuccessors = (state: Uint32Array, out: Successors) => {
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
  };

  let successors = referenceSuccessors;
  /** Bytes the memo holds now (PackedModel.memoBytes). */
  let memoBytes = () => predCompiled.bytes + tableBytes;
  if (memoize) {
    const leaves = new TransitionLeaves(W);
    const andMask = new Uint32Array(W);
    const orMask = new Uint32Array(W);
    const forest = new DecisionForest(fields);
    actions.forEach((act) => forest.add({
      trace(row, off) {
        tracer.start(row, off, W);
        const v = tracer.view;
        if (!act.enabled(v)) return tracer.finish(LEAF_DISABLED);
        v.ret = 0;
        v.warn = false;
        v.$state = compiled.step(v.$state, v, act.event);
        andMask.fill(0xffffffff);
        for (const i of tracer.writtenSlots) {
          const s = fields[i];
          andMask[s.word] &= ~(((s.bits === 32 ? 0xffffffff : (1 << s.bits) - 1) << s.shift) >>> 0);
        }
        for (let i = 0; i < W; i++) orMask[i] = v.buf[i] & ~andMask[i];
        return tracer.finish(leaves.intern(andMask, orMask, v.warn ? 1 << FLAG_WARN : 0));
      },
      direct(row, off) {
        // The tree is full: run the machine and hand the whole row back as the scratch leaf.
        for (let i = 0; i < W; i++) work.buf[i] = row[off + i];
        if (!act.enabled(work)) return LEAF_DISABLED;
        work.ret = 0;
        work.warn = false;
        work.$state = compiled.step(work.$state, work, act.event);
        for (let i = 0; i < W; i++) { leaves.and[LEAF_SCRATCH * W + i] = 0; leaves.or[LEAF_SCRATCH * W + i] = work.buf[i]; }
        leaves.flags[LEAF_SCRATCH] = work.warn ? 1 << FLAG_WARN : 0;
        return LEAF_SCRATCH;
      },
      // The loop below counts no hits, so a tree must not fill up in practice (see DecisionForest).
      maxNodes: 1 << 24,
    }));
    // The actions in groups (one device's, one user's: consecutive actions with the same `dev`,
    // else the same lane), and per group a tree whose leaf is the bit mask of the group's
    // enabled actions, memoized on the fields the preconditions read: one walk per group skips
    // every disabled action's tree.
    const groups: number[] = [];
    const keyOf = (a: CallerAction) => ('dev' in a.event ? `dev${a.event.dev}` : a.lane);
    actions.forEach((a, i) => { if (i === 0 || keyOf(a) !== keyOf(actions[i - 1]) || i - groups[groups.length - 1] === 30) groups.push(i); });
    groups.push(actions.length);
    const G = groups.length - 1;
    const groupStart = Int32Array.from(groups);
    const enabledForest = new DecisionForest(fields);
    for (let g = 0; g < G; g++) {
      const from = groups[g];
      const to = groups[g + 1];
      const mask = (v: PackedView) => {
        let m = 0;
        for (let a = from; a < to; a++) if (actions[a].enabled(v)) m |= 1 << (a - from);
        return m;
      };
      enabledForest.add({
        trace(row, off) { tracer.start(row, off, W); return tracer.finish(mask(tracer.view)); },
        direct(row, off) { for (let i = 0; i < W; i++) work.buf[i] = row[off + i]; return mask(work); },
        maxNodes: 1 << 24,
      });
    }
    const enabledCompiled = new CompiledForest(enabledForest);
    for (let g = 0; g < G; g++) enabledCompiled.track(g);
    const enabledFns = enabledCompiled.fns;
    const compiledForest = new CompiledForest(forest);
    actions.forEach((_a, t) => compiledForest.track(t));
    const fns = compiledForest.fns;
    memoBytes = () => predCompiled.bytes + tableBytes + compiledForest.bytes + enabledCompiled.bytes + leaves.bytes;
    // Per group, the enabled actions' mask; per enabled action, its tree's leaf (both compiled,
    // core/compiledForest); its successor is the row with the leaf's AND and OR masks applied.
    successors = (state: Uint32Array, out: Successors) => {
      for (let g = 0; g < G; g++) {
        let m = enabledFns[g](state);
        if (m < 0) m = enabledCompiled.lookup(g, state);
        const first = groupStart[g];
        while (m !== 0) {
          const j = 31 - Math.clz32(m & -m);
          m &= m - 1;
          const a = first + j;
          let leaf = fns[a](state);
          if (leaf < 0) leaf = compiledForest.lookup(a, state);
          const flags = leaves.flags[leaf];
          if (flags < 0) continue;
          const off = out.push(a, flags);
          const and = leaves.and;
          const or = leaves.or;
          const dst = out.states;
          const base = leaf * W;
          for (let i = 0; i < W; i++) dst[off + i] = (state[i] & and[base + i]) | or[base + i];
        }
      }
    };
  }

  let symmetry: Symmetry | undefined;
  let symmetryNote: string | undefined;
  let symmetryGenerators: IommuModel['symmetryGenerators'];
  if (options.symmetry) ({ symmetry, note: symmetryNote, generators: symmetryGenerators } = iommuSymmetry(design, layout, invariants, options.symmetryVerified));

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
    successors,
    memoBytes: () => memoBytes(),
    referenceSuccessors,
    symmetry,
    symmetryNote,
    symmetryGenerators,
    recipe: options.recipe,
    decode(row) {
      const { state, context } = layout.decode(row);
      return { state: state as GroupStateName, context: cloneContext(context) };
    },
  };
}
