import { PAGE_SIZE, PagedActions, PagedBits, PagedInt32 } from './growable';
import type { MemoryBudget } from './memoryBudget';
import { Successors, type PackedModel, type Property, type Symmetry } from './model';
import { StateStore } from './stateStore';

/**
 * Entries (log2) of SearchState's recent-rows cache while the store holds at most one page of
 * states (small searches), and from then on.
 */
const RECENT_SMALL_BITS = 12;
const RECENT_BITS = 16;

/** A path from an initial state: which initial state, then the actions taken in order. */
export interface Path {
  readonly init: number;
  readonly actions: readonly number[];
}

export type Verdict = 'holds' | 'violated' | 'example' | 'no-example' | 'unknown';

export interface PropertyResult {
  readonly name: string;
  readonly kind: Property['kind'];
  /**
   * `holds` / `violated` for always, never-flag and recoverable properties; `example` /
   * `no-example` for sometimes properties; `unknown` when the search stopped early (a budget)
   * before deciding.
   */
  readonly verdict: Verdict;
  /** Distinct states stored when the verdict was reached (all of them for holds). */
  readonly states: number;
  /** Shortest counterexample (violated) or example (sometimes), from an initial state. */
  readonly path?: Path;
}

type StateProp = Extract<Property, { kind: 'always' | 'sometimes' }>;
type FlagProp = Extract<Property, { kind: 'never-flag' }>;
type RecProp = Extract<Property, { kind: 'recoverable' }>;

/** The properties of a search, split by how they are checked. */
export class PropertySet {
  readonly state: readonly StateProp[];
  readonly flag: readonly FlagProp[];
  readonly rec: readonly RecProp[];
  readonly flagMask: number;
  constructor(readonly all: readonly Property[]) {
    this.state = all.filter((p): p is StateProp => p.kind === 'always' || p.kind === 'sometimes');
    this.flag = all.filter((p): p is FlagProp => p.kind === 'never-flag');
    this.rec = all.filter((p): p is RecProp => p.kind === 'recoverable');
    if (this.state.length + this.rec.length > 32) throw new RangeError('at most 32 state and recoverable properties can be checked in one search');
    let m = 0;
    for (const p of this.flag) {
      if (!Number.isInteger(p.flag) || p.flag < 0 || p.flag > 31) throw new RangeError(`never-flag property '${p.name}': flag must be a bit number from 0 to 31, got ${p.flag}`);
      m |= 1 << p.flag;
    }
    this.flagMask = m;
  }

  /**
   * One bit per state property that fires on `row` (an `always` that fails, a `sometimes` that
   * holds). `row` is exactly one row. Only the state properties whose bit is set in `open` are
   * evaluated (the others' bits are 0): once a property is decided, the search stops evaluating
   * it. Recoverable properties' goals are not evaluated here (see `SearchState.settle`).
   */
  bits(row: Uint32Array, open = -1): number {
    let b = 0;
    const s = this.state;
    for (let i = 0; i < s.length; i++) {
      if ((open & (1 << i)) === 0) continue;
      const p = s[i];
      if (p.holds(row) !== (p.kind === 'always')) b |= 1 << i;
    }
    return b;
  }
}

/**
 * Everything a breadth-first search keeps: the visited set, each state's BFS parent and the
 * action from it, the first state (or transition) that decides each property, and for each
 * recoverable property which states are known to reach its goal. States are numbered in BFS
 * order; each state is `visit`ed (its state properties evaluated) in id order, before it is
 * expanded (`stopWhenDecided` visits a whole level before expanding any of it), its successors
 * are added in the model's action order, and then, when recoverable properties are checked, it
 * is `settle`d. Fed in the same order, it gives the same
 * numbering and the same counterexamples, whoever computes the successors.
 */
export class SearchState {
  readonly store: StateStore;
  readonly parent: PagedInt32;
  readonly via: PagedActions;
  transitions = 0;
  private readonly found = new Map<string, PropertyResult>();
  /** Per recoverable property: states known to reach its goal by `via` actions. */
  private readonly good: PagedBits[];
  /** Per recoverable property: the first stuck state, once `settle` has found it (else -1). */
  private readonly stuck: number[];
  /** Per recoverable property: the states stored when `settle` found its first stuck state. */
  private readonly stuckAt: number[];
  /** Recoverable properties whose first stuck state is not found yet: those still marked. */
  private recOpen: number;
  /** Where `settle` reads a state's row. */
  private readonly settleRow: Uint32Array;
  private readonly viaCache: Int8Array[];
  private readonly W: number;
  /** States the per-state arrays have room for. */
  private room = 0;
  /**
   * Recently added rows and their ids, direct-mapped by hash: successors of states close in BFS
   * order are often the same states, and this finds them without a cache miss in the store.
   * Entry e: the row at e * (W + 1), then id + 1 (0: empty). Small while the store has one page
   * of states, then RECENT_BITS (see `insert`); charged to the budget as buffers.
   */
  private recent: Uint32Array;
  private recentMask: number;

  /** `sharedStore`: keep the visited set in shared memory, for worker threads to look into. */
  constructor(readonly model: PackedModel, readonly props: PropertySet, readonly budget: MemoryBudget, readonly symmetry: Symmetry | null, sharedStore = false) {
    this.W = model.words;
    this.store = new StateStore(this.W, 1 << 12, budget, sharedStore);
    this.parent = new PagedInt32(budget);
    this.via = new PagedActions(budget);
    this.good = props.rec.map(() => new PagedBits(budget));
    this.stuck = props.rec.map(() => -1);
    this.stuckAt = props.rec.map(() => 0);
    this.recOpen = props.rec.length;
    this.settleRow = new Uint32Array(this.W);
    this.viaCache = props.rec.map(() => new Int8Array(0));
    this.recentMask = 0;
    this.recent = new Uint32Array(0);
    this.sizeRecent(RECENT_SMALL_BITS);
  }

  /** Replaces the recent-rows cache by an empty one of 2^bits entries, and charges it. */
  private sizeRecent(bits: number): void {
    this.recentMask = (1 << bits) - 1;
    this.recent = new Uint32Array((this.recentMask + 1) * (this.W + 1));
    this.budget.charge('recent rows', this.recent.byteLength, 'buffers');
  }

  get count(): number { return this.store.count; }

  /** Bytes of the per-state arrays: the visited set, BFS parents and actions, and the recoverable properties' bits. */
  get bytes(): number {
    let b = this.store.bytes + this.parent.bytes + this.via.bytes;
    for (const g of this.good) b += g.bytes;
    return b;
  }

  /** Adds the initial states (canonicalized when reducing by symmetry). */
  addInitial(init: Uint32Array): void {
    const W = this.W;
    const row = new Uint32Array(W);
    for (let i = 0; i * W < init.length; i++) {
      row.set(init.subarray(i * W, (i + 1) * W));
      this.symmetry?.canonicalize(row, 0);
      this.insert(row, 0, this.store.hash(row, 0), -1, i);
    }
  }

  /** Stores a row if new and records its parent; returns the store's answer (see StateStore.add). */
  private insert(buf: Uint32Array, off: number, h: number, parent: number, action: number): number {
    // Room for a new state first, so that a budget stop leaves nothing half added.
    const next = this.store.count + 1;
    this.via.fit(action);
    if (next > this.room) {
      this.room = next + PAGE_SIZE - 1;
      this.parent.ensure(this.room);
      this.via.ensure(this.room);
      for (const g of this.good) g.ensure(this.room);
      if (next > PAGE_SIZE && this.recentMask < (1 << RECENT_BITS) - 1) this.sizeRecent(RECENT_BITS);
    }
    const id = this.store.add(buf, off, h);
    if (id >= 0) {
      this.parent.push(parent);
      this.via.push(action);
    }
    return id;
  }

  /** The state properties still undecided, as the `open` mask of `PropertySet.bits`. */
  open = -1;

  /**
   * Whether every property is decided: each `always` and `never-flag` one violated, each
   * `sometimes` one given its example, each recoverable one given its first stuck state (see
   * `settle`). A search of no properties has nothing to decide: false. The loops visit and settle
   * states in id order and add transitions in state order, so what is found is the whole
   * search's first counterexample (or example) of each property, whenever this is asked.
   */
  decided(): boolean {
    if (this.props.all.length === 0 || this.recOpen > 0) return false;
    for (const p of this.props.all) if (p.kind !== 'recoverable' && !this.found.has(p.name)) return false;
    return true;
  }

  /** Visits stored states `from` to `to` (exclusive) in order, reading their rows from the store. */
  visitStored(from: number, to: number): void {
    const row = new Uint32Array(this.W);
    for (let id = from; id < to; id++) {
      this.store.read(id, row);
      this.visit(id, this.props.bits(row, this.open));
    }
  }

  /** Records the state properties of state `id`, given `PropertySet.bits` of its row. */
  visit(id: number, bits: number): void {
    if (bits === 0) return;
    const s = this.props.state;
    for (let i = 0; i < s.length; i++) {
      if ((bits & (1 << i)) === 0) continue;
      const p = s[i];
      if (this.found.has(p.name)) continue;
      this.found.set(p.name, { name: p.name, kind: p.kind, verdict: p.kind === 'always' ? 'violated' : 'example', states: id + 1, path: this.pathTo(id) });
      this.open &= ~(1 << i);
    }
  }

  /** Whether the search checks recoverable properties (then each expanded state must be `settle`d). */
  get settles(): boolean { return this.good.length > 0; }

  /**
   * Called once state `id` has had all its transitions added: decides, for each
   * recoverable property whose first stuck state is not found yet, whether the state reaches its
   * goal by `via` transitions, and marks it if so. That is known at once when one of its `via`
   * transitions led to a state already marked (where the property holds, nearly every state has
   * one), else when its goal holds. Otherwise the state is a candidate: `reaches` searches the
   * `via` transitions from it. If none reaches the goal, the state is stuck, and it is the first
   * stuck state in id order (the property's shortest counterexample): every state settled
   * before it was marked, and a stuck state is never marked. The property is then decided, and
   * no later state is marked or has its goal evaluated for it.
   */
  settle(id: number): void {
    if (this.recOpen === 0) return;
    const r = this.props.rec;
    let read = false;
    for (let j = 0; j < r.length; j++) {
      if (this.stuck[j] >= 0 || this.good[j].get(id)) continue;
      // The row, from the visited set: read only for a state not marked already (rare).
      if (!read) { this.store.read(id, this.settleRow); read = true; }
      if (r[j].goal(this.settleRow) || this.reaches(j, id, this.settleRow)) { this.good[j].set(id); continue; }
      this.stuck[j] = id;
      this.stuckAt[j] = this.store.count;
      this.recOpen--;
    }
  }

  /**
   * Whether a path of `via` transitions from state `id` (row `row`), whose own goal does not
   * hold, reaches a state where goal `j` holds: a breadth-first search over rows, successors
   * recomputed (canonicalized when reducing by symmetry), each row once. A successor stored
   * and settled before `id` (its id is smaller) is marked, as every settled state is until the
   * first stuck one is found, so it ends the search at once; for any other, its goal is
   * evaluated. The rows met are kept in a visited set of their own, charged to the search's
   * budget while the search runs (so a large clean-up closure stops the search with
   * BudgetExceeded, as any other growth does) and released after it.
   */
  private reaches(j: number, id: number, row: Uint32Array): boolean {
    const W = this.W;
    const goal = this.props.rec[j];
    const succ = new Successors(W);
    const seen = new StateStore(W, 1 << 6, this.budget);
    const cur = new Uint32Array(W);
    const next = new Uint32Array(W);
    try {
      seen.add(row);
      // The visited set is the queue: rows are numbered in the order they are met.
      for (let at = 0; at < seen.count; at++) {
        seen.read(at, cur);
        succ.reset();
        this.model.successors(cur, succ);
        for (let k = 0; k < succ.count; k++) {
          if (!this.isVia(j, succ.actions[k])) continue;
          this.symmetry?.canonicalize(succ.states, k * W);
          const h = seen.hash(succ.states, k * W);
          if (seen.add(succ.states, k * W, h) < 0) continue;
          const t = this.store.find(succ.states, k * W, h);
          if (t >= 0 && t < id) {
            if (this.good[j].get(t)) return true;
            throw new Error(`internal: state ${t}, settled before state ${id}, is not marked as reaching ${goal.name}'s goal`);
          }
          next.set(succ.states.subarray(k * W, (k + 1) * W));
          if (goal.goal(next)) return true;
        }
      }
      return false;
    } finally {
      this.budget.release(seen.bytes);
    }
  }

  /**
   * Adds one successor of state `from`: the row at `buf[off..]` (already canonicalized when
   * reducing by symmetry), whose hash is `h`, reached by `action` with `flags`.
   */
  addSuccessor(from: number, action: number, flags: number, buf: Uint32Array, off: number, h: number): void {
    const fl = flags & this.props.flagMask;
    if (fl !== 0) this.flagged(from, action, fl);
    const W = this.W;
    const recent = this.recent;
    const e = (h & this.recentMask) * (W + 1);
    let id = recent[e + W] - 1;
    for (let i = 0; i < W && id >= 0; i++) if (recent[e + i] !== buf[off + i]) id = -1;
    if (id < 0) {
      id = this.insert(buf, off, h, from, action);
      if (id < 0) id = -id - 1;
      // `insert` may have replaced the cache.
      const r = this.recent;
      const f = (h & this.recentMask) * (W + 1);
      for (let i = 0; i < W; i++) r[f + i] = buf[off + i];
      r[f + W] = id + 1;
    }
    // Counted once its target is stored: a budget stop in `insert` leaves it uncounted.
    this.transitions++;
    if (this.recOpen !== 0) this.markVia(from, action, id);
  }

  /**
   * Prepares the adds of successors `from` to `to` (exclusive) of a batch: rows at
   * `states[k * W..]`, hashes `hashes[k]`. Entries with a negative `skip[k]` (self-loops) or with
   * an id in `known[k]` already are left alone; for the others, `known[k]` becomes the id the
   * recent-rows cache gives for the row (else it stays -1), and the visited set is touched where
   * the rest will be looked up (StateStore.touch). Each step is a loop of independent loads, so
   * the processor fetches their cache lines in parallel. Ids in `known` are final (a stored
   * state keeps its id): the caller adds those successors with `addKnown`. Returns a value
   * derived from what was read (see StateStore.touch).
   */
  prepare(states: Uint32Array, hashes: Uint32Array, skip: Int32Array, known: Int32Array, from: number, to: number): number {
    const W = this.W;
    const recent = this.recent;
    const rmask = this.recentMask;
    let x = 0;
    for (let k = from; k < to; k++) if (skip[k] >= 0 && known[k] < 0) x ^= recent[(hashes[k] & rmask) * (W + 1) + W];
    for (let k = from; k < to; k++) {
      if (skip[k] < 0 || known[k] >= 0) continue;
      const e = (hashes[k] & rmask) * (W + 1);
      let id = recent[e + W] - 1;
      const off = k * W;
      for (let i = 0; i < W && id >= 0; i++) if (recent[e + i] !== states[off + i]) id = -1;
      known[k] = id;
    }
    return x ^ this.store.touch(hashes, skip, known, from, to);
  }

  /**
   * Adds a transition from `from` to state `id`, which is already stored (a worker found it):
   * the same as `addSuccessor` with that state's row.
   */
  addKnown(from: number, action: number, flags: number, id: number): void {
    const fl = flags & this.props.flagMask;
    if (fl !== 0) this.flagged(from, action, fl);
    this.transitions++;
    if (this.recOpen !== 0) this.markVia(from, action, id);
  }

  /**
   * For each recoverable property whose first stuck state is not found yet: marks `from` as
   * reaching its goal when `action` is one of its `via` actions and leads to state `id`, marked.
   */
  private markVia(from: number, action: number, id: number): void {
    for (let j = 0; j < this.good.length; j++) {
      if (this.stuck[j] < 0 && this.isVia(j, action) && this.good[j].get(id)) this.good[j].set(from);
    }
  }

  /** Adds a transition from state `from` to itself. */
  addSelfLoop(from: number, action: number, flags: number): void {
    const fl = flags & this.props.flagMask;
    if (fl !== 0) this.flagged(from, action, fl);
    this.transitions++;
  }

  private flagged(from: number, action: number, fl: number): void {
    for (const p of this.props.flag) {
      if ((fl & (1 << p.flag)) !== 0 && !this.found.has(p.name)) {
        const base = this.pathTo(from);
        this.found.set(p.name, { name: p.name, kind: p.kind, verdict: 'violated', states: this.store.count, path: { init: base.init, actions: [...base.actions, action] } });
      }
    }
  }

  private isVia(j: number, action: number): boolean {
    let c = this.viaCache[j];
    if (action >= c.length) {
      const n = new Int8Array(Math.max(action + 1, c.length * 2, 16));
      n.set(c);
      c = this.viaCache[j] = n;
    }
    if (c[action] === 0) c[action] = this.props.rec[j].via(action) ? 1 : -1;
    return c[action] === 1;
  }

  /** The BFS path to state `id`. */
  pathTo(id: number): { init: number; actions: number[] } {
    const actions: number[] = [];
    while (this.parent.get(id) >= 0) { actions.push(this.via.get(id)); id = this.parent.get(id); }
    return { init: this.via.get(id), actions: actions.reverse() };
  }

  /**
   * The verdict of every property after the search. `complete` says whether every stored state
   * was expanded. A recoverable property is violated at the first stuck state `settle` found,
   * whether the search completed or not; otherwise it holds after a complete search (every
   * state was settled, so every state was marked) and is unknown after an incomplete one.
   */
  results(complete: boolean): PropertyResult[] {
    const out: PropertyResult[] = [];
    const n = this.store.count;
    for (const p of this.props.all) {
      const f = this.found.get(p.name);
      if (f) { out.push(f); continue; }
      if (p.kind === 'recoverable') {
        const j = this.props.rec.indexOf(p);
        out.push(this.stuck[j] >= 0
          ? { name: p.name, kind: p.kind, verdict: 'violated', states: this.stuckAt[j], path: this.pathTo(this.stuck[j]) }
          : { name: p.name, kind: p.kind, verdict: complete ? 'holds' : 'unknown', states: n });
        continue;
      }
      const verdict = !complete ? 'unknown' : p.kind === 'sometimes' ? 'no-example' : 'holds';
      out.push({ name: p.name, kind: p.kind, verdict, states: n });
    }
    return out;
  }
}
