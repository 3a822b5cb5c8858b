/**
 * The search's per-part figures that docs/scaling.md quotes ("One thread", "Symmetry
 * reduction"), measured again on the current model:
 *
 * - enabled actions: `v7` at 7 devices, the caller actions there and the transitions per
 *   expanded state (every enabled action is one transition, a refused call a self-loop) over
 *   the first --states states, and over the whole of 5 devices;
 * - the memo (`memoBytes`: decision trees, leaves and generated code) of `v7` at 7 devices
 *   after --states states, of `v7` at 5 devices and of `v8` at 8 devices, complete, with every
 *   invariant and without `viability`; the buffers (`bufferBytes`) of the first `v7` search on
 *   one thread and on two (the worker's chunks);
 * - the canonical form: ns per row of the generated canonicalizer and of the table-driven one
 *   it is checked against (`DeviceUserSymmetry.canonicalizeByTables`), over the successor rows
 *   of the first states of `v7` at 9 devices (about --rows rows), in alternating passes;
 * - reduced searches of `v7` at 4 to --sym-max devices with each of the two forms, in turn:
 *   the share of the table form's time the generated form takes.
 *
 *   npm run build && node dist/bench/partsStudy.js [--states N] [--rows N] [--sym-max N] [--passes N]
 *
 * Every invariant is checked (the CLI's default) unless said. Counts and bytes are
 * deterministic; times are this machine's at the moment (run it with nothing else running, and
 * read the spread).
 */
import { check } from '../src/core/check';
import { Successors, type Symmetry } from '../src/core/model';
import { checkDesignAsync } from '../src/iommu/checkDesign';
import { loadDesigns } from '../src/iommu/designRegistry';
import { loadInvariants } from '../src/iommu/invariantRegistry';
import { buildIommuModel, type IommuModel } from '../src/iommu/iommuModel';
import { DeviceUserSymmetry } from '../src/symmetry/deviceUserSymmetry';
import { int, median, mib, table } from './format';
import { parsedOrExit } from './usage';

interface PartsOptions {
  states: number;
  rows: number;
  symMax: number;
  passes: number;
}

function parse(argv: readonly string[]): PartsOptions {
  const o: PartsOptions = { states: 2_000_000, rows: 3_000_000, symMax: 10, passes: 5 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[i + 1];
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${a} takes a positive whole number, not ${v === undefined ? 'nothing' : JSON.stringify(v)}`);
    i++;
    if (a === '--states') o.states = n;
    else if (a === '--rows') o.rows = n;
    else if (a === '--sym-max') o.symMax = Math.min(16, Math.max(4, n));
    else if (a === '--passes') o.passes = n;
    else throw new Error(`unknown option ${JSON.stringify(a)} (see the comment at the top of bench/partsStudy.ts)`);
  }
  return o;
}

/** Successor rows, not canonicalized, of the first reachable states in BFS order, until there are at least `rows` of them. */
export function successorRows(model: IommuModel, rows: number): Uint32Array {
  const W = model.words;
  const seen = new Set<string>();
  const queue: Uint32Array[] = [model.initialStates().slice(0, W)];
  seen.add(queue[0].join());
  let out = new Uint32Array(rows * W + 64 * W);
  let count = 0;
  const succ = new Successors(W);
  for (let i = 0; i < queue.length && count < rows; i++) {
    succ.reset();
    model.successors(queue[i], succ);
    if ((count + succ.count) * W > out.length) { const o = new Uint32Array(out.length * 2); o.set(out); out = o; }
    out.set(succ.states.subarray(0, succ.count * W), count * W);
    for (let k = 0; k < succ.count; k++) {
      const r = succ.states.slice(k * W, (k + 1) * W);
      const key = r.join();
      if (!seen.has(key)) { seen.add(key); queue.push(r); }
    }
    count += succ.count;
  }
  return out.subarray(0, count * W);
}

/** Nanoseconds per row of `canonicalize` over a fresh copy of `rows`. */
function nsPerRow(canonicalize: (rows: Uint32Array, off: number) => void, rows: Uint32Array, W: number): number {
  const copy = rows.slice();
  const started = process.hrtime.bigint();
  for (let off = 0; off < copy.length; off += W) canonicalize(copy, off);
  return Number(process.hrtime.bigint() - started) / (copy.length / W);
}

/** The model with its symmetry's canonical form computed from the tables instead of generated code. */
function byTables(model: IommuModel): IommuModel {
  const sym = model.symmetry;
  if (!(sym instanceof DeviceUserSymmetry)) throw new Error(`${model.design.name} at ${model.devices} devices: no device/user symmetry to compare`);
  const tables: Symmetry = { description: sym.description, bytes: sym.bytes, canonicalize: (rows, off) => sym.canonicalizeByTables(rows, off) };
  return { ...model, symmetry: tables };
}

async function main(o: PartsOptions): Promise<void> {
  const designs = await loadDesigns();
  const invariants = await loadInvariants();
  const named = (n: string) => designs.find((d) => d.name === n)!;
  const v7 = named('v7');
  const v8 = named('v8');
  const say = (s: string) => process.stdout.write(s + '\n');
  const note = (s: string) => process.stderr.write(s + '\n');

  // Enabled actions, memo and buffers.
  note(`v7 at 7 devices, first ${int(o.states)} states, one thread ...`);
  const one = (await checkDesignAsync(v7, 7, invariants, { maxStates: o.states })).result;
  note(`v7 at 7 devices, first ${int(o.states)} states, two threads ...`);
  const two = (await checkDesignAsync(v7, 7, invariants, { maxStates: o.states, workers: 2 })).result;
  note('v7 at 5 devices, whole ...');
  const five = (await checkDesignAsync(v7, 5, invariants)).result;
  note('v8 at 8 devices, whole ...');
  const v8at8 = (await checkDesignAsync(v8, 8, invariants)).result;
  const safety = invariants.filter((i) => i.name !== 'viability');
  note('the same without viability ...');
  const oneSafe = (await checkDesignAsync(v7, 7, safety, { maxStates: o.states })).result;
  const fiveSafe = (await checkDesignAsync(v7, 5, safety)).result;
  const v8at8Safe = (await checkDesignAsync(v8, 8, safety)).result;
  const actions7 = buildIommuModel(v7, 7, []).actionCount;
  const actions5 = buildIommuModel(v7, 5, []).actionCount;
  // A search that stopped at its budget expanded fewer states than it stored.
  const expanded = (r: typeof one): number => r.expanded ?? r.states;
  say('== Enabled actions (transitions per expanded state) ==');
  say(table(['search', 'actions', 'expanded', 'transitions', 'per state'], [
    [`v7 at 7 devices, first ${int(o.states)} states`, String(actions7), int(expanded(one)), int(one.transitions), (one.transitions / expanded(one)).toFixed(2)],
    ['v7 at 5 devices, whole', String(actions5), int(expanded(five)), int(five.transitions), (five.transitions / expanded(five)).toFixed(2)],
  ]));
  say('');
  say('== Memo and buffers (bytes the search charges to its budget besides its arrays) ==');
  const memo = (r: typeof one) => mib(r.memoBytes ?? NaN);
  say(table(['search', 'states', 'memo', 'memo without viability', 'buffers'], [
    [`v7 at 7 devices, first ${int(o.states)} states, one thread`, int(one.states), memo(one), memo(oneSafe), mib(one.bufferBytes ?? NaN)],
    [`v7 at 7 devices, first ${int(o.states)} states, two threads`, int(two.states), memo(two), '', mib(two.bufferBytes ?? NaN)],
    ['v7 at 5 devices, whole', int(five.states), memo(five), memo(fiveSafe), mib(five.bufferBytes ?? NaN)],
    ['v8 at 8 devices, whole', int(v8at8.states), memo(v8at8), memo(v8at8Safe), mib(v8at8.bufferBytes ?? NaN)],
  ]));
  say(`The worker's share of the two-thread buffers: ${mib((two.bufferBytes ?? NaN) - (one.bufferBytes ?? NaN))}.`);
  say('');

  // The canonical form, row by row.
  note(`successor rows of v7 at 9 devices (about ${int(o.rows)}) ...`);
  const m9 = buildIommuModel(v7, 9, invariants, { symmetry: true });
  const sym9 = m9.symmetry;
  if (!(sym9 instanceof DeviceUserSymmetry)) throw new Error('v7 at 9 devices has no device/user symmetry');
  const rows = successorRows(m9, o.rows);
  const W = m9.words;
  const generated: number[] = [];
  const tables: number[] = [];
  for (let p = 0; p < o.passes; p++) {
    generated.push(nsPerRow(sym9.canonicalize, rows, W));
    tables.push(nsPerRow((r, off) => sym9.canonicalizeByTables(r, off), rows, W));
  }
  const ns = (xs: number[]) => `${median(xs).toFixed(0)} (${Math.min(...xs).toFixed(0)} to ${Math.max(...xs).toFixed(0)})`;
  say(`== Canonical form: ns per row over ${int(rows.length / W)} successor rows of v7 at 9 devices, ${o.passes} passes each, in turn (median, range) ==`);
  say(table(['form', 'ns per row'], [['generated', ns(generated)], ['tables', ns(tables)]]));
  say(`generated code is ${(median(tables) / median(generated)).toFixed(1)}x faster per row (by the medians)`);
  say('');

  // Reduced searches with each form.
  const out: string[][] = [];
  for (let n = 4; n <= o.symMax; n++) {
    const g: number[] = [];
    const t: number[] = [];
    let states = 0;
    for (let p = 0; p < 2; p++) {
      note(`v7 at ${n} devices, reduced, pass ${p + 1} of 2 ...`);
      // A fresh model for each search (its trees grow in it), the order swapped every pass.
      const search = (tabled: boolean) => {
        const model = buildIommuModel(v7, n, invariants, { symmetry: true });
        return check(tabled ? byTables(model) : model, { symmetry: true });
      };
      let a: ReturnType<typeof check>;
      let b: ReturnType<typeof check>;
      if (p % 2 === 0) { a = search(false); b = search(true); }
      else { b = search(true); a = search(false); }
      if (a.states !== b.states || a.transitions !== b.transitions) throw new Error(`v7 at ${n}: the two forms searched different spaces (${a.states} and ${b.states} orbits)`);
      states = a.states;
      g.push(a.elapsedMs / 1000);
      t.push(b.elapsedMs / 1000);
    }
    out.push([String(n), int(states), g.map((x) => x.toFixed(2)).join(', '), t.map((x) => x.toFixed(2)).join(', '), (median(g) / median(t)).toFixed(2)]);
  }
  say('== Reduced searches of v7 (every invariant, one thread, the search\'s own time in s), each form in turn ==');
  say(table(['devices', 'orbits', 'generated', 'tables', 'share'], out));
}

if (require.main === module) {
  main(parsedOrExit('partsStudy', parse)).catch((e: Error) => { process.stderr.write(`partsStudy: ${e.message}\n`); process.exit(1); });
}
