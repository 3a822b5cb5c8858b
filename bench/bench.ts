/**
 * `npm run bench`: dmaown against SPIN and the XState baselines, side by side, in one run on one
 * machine. See bench/results.md for a full run and what each column means.
 *
 *   npm run build && npm run bench               full run (about 20 to 40 minutes on 2 cores, with the load)
 *   npm run bench -- --quick                     tiny bounds, seconds (the smoke test's run)
 *   npm run bench -- --json out.json             also write every raw result as JSON
 *   options: --budget-states N (default 20000000)  --spin-seconds S (120)  --spin-memory MB (40% of RAM, <= 10240)
 *            --xstate-seconds S (60)  --growth-max N (10)  --designs v7,v8  --rounds N (3; 0: none)
 *   --no-spin (leave SPIN out)  --in-process (every run in this process, as the smoke test runs it)
 *
 * Every count is what the tool printed or returned; ratios are computed from those numbers.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { designNamed, runDmaownChild, runDmaownHere, supports, type DmaownParams, type DmaownResult, type InvariantSet } from './dmaownRun';
import { int, median, mib, rate, ratio, secs, table } from './format';
import { parsedOrExit } from './usage';
import { callerRuleMismatch, hasPromela } from './promela';
import { ensureSpin, gccVersion, panEquals, runSpin, type SpinResult } from './spin';
import { unwritable } from '../src/cli/reportFlags';
import { designByName } from '../src/cli/common';
import { InputError } from '../src/errors';
import { MAX_DEVICES_SYMMETRY } from '../src/model/vocabulary';
import { runXStateBaseline, type XStateMethod, type XStateResult } from './xstateBaselines';
import type { Design } from '../src/iommu/design';

export interface BenchOptions {
  readonly quick: boolean;
  /** Run dmaown and XState in this process instead of child processes (tests; peak memory is then shared). */
  readonly inProcess: boolean;
  readonly budgetStates: number;
  readonly spinSeconds: number;
  readonly spinMemoryMB: number;
  readonly xstateSeconds: number;
  readonly growthMax: number;
  readonly designs: readonly string[];
  /**
   * Headline rounds: dmaown, SPIN and `getAdjacencyMap` run in turn this many times on the
   * headline bound (see HeadlineRound); the rate targets are taken from their median.
   */
  readonly rounds: number;
  /** Skip SPIN (when it is missing and cannot be installed, this happens anyway). */
  readonly noSpin: boolean;
  /** Where the report goes (default stdout) and where progress goes (default stderr). */
  readonly out: (text: string) => void;
  readonly progress: (text: string) => void;
}

export const DEFAULT_OPTIONS: BenchOptions = {
  quick: false,
  inProcess: false,
  budgetStates: 20_000_000,
  spinSeconds: 120,
  // pan stops cleanly at -DMEMLIM: 40% of this machine's memory, at most 10 GiB.
  spinMemoryMB: Math.min(10240, Math.floor((totalmem() / 2 ** 20) * 0.4)),
  xstateSeconds: 60,
  growthMax: 10,
  designs: ['v7', 'v8'],
  rounds: 3,
  noSpin: false,
  out: (t) => process.stdout.write(t + '\n'),
  progress: (t) => process.stderr.write(t + '\n'),
};

export interface MachineInfo {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memoryBytes: number;
  readonly node: string;
  readonly gcc: string | null;
  readonly spin: string | null;
  readonly loadAtStart: readonly number[];
  loadAtEnd?: readonly number[];
  readonly date: string;
}

export type XStateRow = XStateResult | { readonly method: XStateMethod; readonly design: string; readonly devices: number; readonly timedOut: true; readonly limitSeconds: number };

export interface AgreementRow {
  readonly design: string;
  readonly devices: number;
  readonly dmaown: number;
  readonly spin: number;
  readonly dmaownTransitions: number;
  /** SPIN's transitions count the initial state as a transition: stored + matched. */
  readonly spinTransitions: number;
  /** The state counts are equal. */
  readonly agree: boolean;
  /** The transition counts are equal too (SPIN's minus its initial one). */
  readonly transitionsAgree: boolean;
  /** A known reason the models differ (a caller rule dmaown's model does not follow), if any. */
  readonly note?: string;
}

export interface Ratio {
  readonly name: string;
  readonly value: number;
  /** How `value` reads: a ratio (`2.5x`) or bytes. */
  readonly unit: 'x' | 'B';
  /** `=`: measured; `<=` / `>=`: a bound (one side stopped by its budget); `~`: uses an estimate. */
  readonly relation: '=' | '<=' | '>=' | '~';
  readonly target: string;
  readonly met: boolean | null;
  readonly detail: string;
}

/**
 * One headline round: dmaown (v7 at the headline bound, no symmetry, one worker, the safety
 * invariants), SPIN on the same bound and state budget, and `getAdjacencyMap` at its largest
 * bound finished earlier in the run, one right after the other, in `order` (reversed every
 * other round, so that a machine slowing down or speeding up during a round favours neither
 * side). A ratio of one round compares runs minutes apart at most; the runs of the sections
 * before are further apart.
 */
export interface HeadlineRound {
  readonly round: number;
  readonly order: readonly ('dmaown' | 'spin' | 'getAdjacencyMap')[];
  readonly dmaown: DmaownResult;
  /** Absent when SPIN is missing. */
  readonly spin?: SpinResult;
  /** Absent when `getAdjacencyMap` finished no bound earlier in the run. */
  readonly xstate?: XStateRow;
}

export interface BenchReport {
  readonly options: { quick: boolean; budgetStates: number; spinSeconds: number; spinMemoryMB: number; xstateSeconds: number; rounds: number };
  readonly machine: MachineInfo;
  readonly features: { readonly symmetry: boolean; readonly workers: boolean; readonly symmetryWhy?: string; readonly workersWhy?: string };
  readonly dmaown: DmaownResult[];
  readonly spin: SpinResult[];
  readonly spinMissing: boolean;
  readonly agreement: AgreementRow[];
  readonly xstate: XStateRow[];
  readonly growth: DmaownResult[];
  readonly rounds: HeadlineRound[];
  readonly ratios: Ratio[];
  readonly seconds: number;
}

function machineInfo(spin: string | null): MachineInfo {
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryBytes: totalmem(),
    node: process.version,
    gcc: gccVersion(),
    spin,
    loadAtStart: loadavg(),
    date: new Date().toISOString(),
  };
}

function xstateChild(method: XStateMethod, design: string, devices: number, limitSeconds: number): Promise<XStateRow> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(__dirname, 'xstateBaselines.js'), method, design, String(devices)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, limitSeconds * 1000);
    child.stdout.on('data', (b: Buffer) => { out += b.toString(); });
    child.stderr.on('data', (b: Buffer) => { err += b.toString(); });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (timedOut) { resolve({ method, design, devices, timedOut: true, limitSeconds }); return; }
      const line = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || !line.startsWith('{')) { reject(new Error(`xstate ${method} ${design} ${devices}: exit ${code}: ${err.trim().split('\n').slice(-3).join(' | ')}`)); return; }
      resolve(JSON.parse(line) as XStateResult);
    });
  });
}

const label = (r: { symmetry: boolean; workers: number }) => `${r.symmetry ? 'sym' : 'no sym'}, ${r.workers} worker${r.workers > 1 ? 's' : ''}`;

/** Runs the whole benchmark and prints its report as it goes. */
export async function runBench(partial: Partial<BenchOptions> = {}): Promise<BenchReport> {
  const o: BenchOptions = { ...DEFAULT_OPTIONS, ...partial };
  const started = performance.now();
  const say = o.out;
  const note = o.progress;

  const spinVer = o.noSpin ? null : ensureSpin(note);
  const machine = machineInfo(spinVer);
  const sym = await supports('symmetry');
  const wrk = o.inProcess ? { ok: false, why: 'in-process run (tests)' } : await supports('workers');
  const features = { symmetry: sym.ok, workers: wrk.ok, symmetryWhy: sym.why, workersWhy: wrk.why };

  /** The bound of the symmetry target, where SPIN runs on its time and memory budgets. */
  const symN = o.quick ? 3 : 8;
  say(`dmaown benchmark${o.quick ? ' (--quick: tiny bounds, a smoke run; not a measurement)' : ''}`);
  say(`machine: ${machine.cpus} x ${machine.cpuModel}, ${mib(machine.memoryBytes)} RAM, node ${machine.node}, ${machine.gcc ?? 'gcc missing'}, ${machine.spin ?? 'spin missing'}`);
  say(`load average at start: ${machine.loadAtStart.map((x) => x.toFixed(2)).join(' ')} (the machine is shared: timings are noisy)`);
  say(`checker features: symmetry ${features.symmetry ? 'yes' : `no (${features.symmetryWhy})`}, workers ${features.workers ? 'yes' : `no (${features.workersWhy})`}`);
  say(`dmaown runs check every invariant but viability (state invariants and the WARN flag; viability stores every edge), each in a child process${o.inProcess ? ' (here: in process)' : ''}; state budget ${int(o.budgetStates)} states.`);
  say(`SPIN: spin -a; gcc -O2 -DNOREDUCE -DSAFETY [-DMEMLIM=${o.spinMemoryMB} where dmaown hit its budget]; pan -m<depth> -w<hash bits>.`);
  say(`  Where dmaown stopped at ${int(o.budgetStates)} states, SPIN is stopped (SIGINT) at the same count; at the largest bound (${symN} devices) it runs until ${o.spinSeconds} s, or 25 times dmaown's symmetric run there if longer (at most ${o.spinSeconds * 5} s: so that its time decides the 1/20 target), or ${o.spinMemoryMB} MB.`);
  say('');

  const bounds = o.quick ? [2, 3] : [4, 5, 6, 7, 8];
  const countBounds = o.quick ? [2, 3] : [2, 3, 4, 5, 6, 7, 8];
  const symOptions = features.symmetry ? [false, true] : [false];
  const workerOptions = features.workers ? [1, 2] : [1];
  const invariants: InvariantSet = 'safety';
  const dmaown: DmaownResult[] = [];
  const spin: SpinResult[] = [];

  const runOne = async (p: DmaownParams): Promise<DmaownResult> => {
    note(`  dmaown ${p.design} ${p.devices} devices, ${label(p)}${p.invariants !== 'safety' ? `, invariants: ${p.invariants}` : ''} ...`);
    const r = o.inProcess ? await runDmaownHere(p) : await runDmaownChild(p);
    note(`    ${int(r.states)} states${r.complete ? '' : ' (partial)'} in ${secs(r.seconds)}`);
    return r;
  };
  /** SPIN on the design and bound of dmaown's run `d` (no symmetry, one worker), with budgets to match. */
  const spinLike = async (design: Design, d: DmaownResult): Promise<SpinResult> => {
    const n = d.devices;
    const big = !d.complete;
    note(`  SPIN ${design.name} ${n} devices${big ? ' (budget)' : ''} ...`);
    // Where dmaown stopped at its state budget, SPIN stops at the same number of states, so
    // that both rates are measured over the same amount of work; at the bound of the
    // symmetry ratio SPIN instead runs as far as its time and memory budgets let it: at least
    // 25 times dmaown's symmetric run there (run before SPIN for this), so that SPIN's time,
    // finished or not, decides the 1/20 target, and at most five times --spin-seconds.
    const budget = !big ? { seconds: o.spinSeconds * 2 }
      : n === symN ? { seconds: limitBeside(find(design.name, n, true, 1), 25, o.spinSeconds), memoryMB: o.spinMemoryMB }
      : { states: o.budgetStates, seconds: o.spinSeconds * 3, memoryMB: o.spinMemoryMB };
    // Size pan's hash table and depth limit for what it will store (DFS depth <= states).
    const expected = !big ? d.states : budget.states ?? budget.seconds * 1_000_000;
    const s = await runSpin(design, n, { expectedStates: expected, budget, depthLimit: big ? expected : undefined });
    note(`    ${int(s.states)} states${s.complete ? '' : ` (stopped: ${s.stopReason})`} in ${secs(s.seconds)}`);
    return s;
  };
  const find = (design: string, devices: number, s: boolean, w: number, inv: InvariantSet = invariants) =>
    dmaown.find((r) => r.design === design && r.devices === devices && r.symmetry === s && r.workers === w && r.invariants === inv);

  for (const name of o.designs) {
    const design = await designNamed(name);
    // 1. dmaown without symmetry, one worker, at every bound (the counts SPIN must match).
    for (const n of countBounds) dmaown.push(await runOne({ design: name, devices: n, symmetry: false, workers: 1, maxStates: o.budgetStates, invariants }));
    // The symmetric run at the symmetry target's bound, before SPIN: its time sets SPIN's budget there.
    if (features.symmetry) dmaown.push(await runOne({ design: name, devices: symN, symmetry: true, workers: 1, maxStates: o.budgetStates, invariants }));
    // 2. SPIN at the same bounds.
    if (spinVer && hasPromela(design)) {
      for (const n of countBounds) spin.push(await spinLike(design, find(name, n, false, 1)!));
    }
    // 3. dmaown's other variants at the table's bounds.
    for (const n of bounds) {
      for (const s of symOptions) {
        for (const w of workerOptions) {
          if (find(name, n, s, w)) continue;
          dmaown.push(await runOne({ design: name, devices: n, symmetry: s, workers: w, maxStates: o.budgetStates, invariants }));
        }
      }
    }
  }
  // The headline rate also without any invariant (pure state enumeration, as SPIN does here).
  const headN = o.quick ? 3 : 7;
  if (o.designs.includes('v7')) {
    for (const w of workerOptions) dmaown.push(await runOne({ design: 'v7', devices: headN, symmetry: false, workers: w, maxStates: o.budgetStates, invariants: 'none' }));
  }

  // 4. XState baselines (v7), bound by bound until one is killed at the limit.
  const xstate: XStateRow[] = [];
  const xDesign = o.designs.includes('v7') ? 'v7' : o.designs[0];
  /**
   * A baseline's time limit at bound n: --xstate-seconds, or where dmaown completed the bound,
   * 110 times dmaown's time there if longer (at most five times --xstate-seconds), so that a
   * baseline killed at the limit still decides the 100x target at that same bound.
   */
  const xstateLimit = (design: string, n: number): number => limitBeside(find(design, n, false, 1), 110, o.xstateSeconds);
  const xstateRun = async (method: XStateMethod, design: string, n: number): Promise<XStateRow> => {
    note(`  XState ${method} ${design} ${n} devices ...`);
    const row: XStateRow = o.inProcess
      ? runXStateBaseline(method, await designNamed(design), n)
      : await xstateChild(method, design, n, xstateLimit(design, n));
    if (!('timedOut' in row)) note(`    ${int(row.states)} states in ${secs(row.seconds)}`);
    return row;
  };
  for (const method of ['getAdjacencyMap', 'transition-bfs'] as const) {
    for (let n = 1; n <= (o.quick ? 2 : 4); n++) {
      const row = await xstateRun(method, xDesign, n);
      xstate.push(row);
      if ('timedOut' in row) break;
      // Every bound up to the last is tried, even one the last suggests cannot finish: a bound
      // killed at the limit still gives a lower bound on the ratio there (see computeRatios).
    }
  }

  // 5. Headline rounds: dmaown, SPIN and getAdjacencyMap in turn, the order reversed every other round.
  const rounds: HeadlineRound[] = [];
  if (o.designs.includes('v7')) {
    const v7 = await designNamed('v7');
    const gam = lastFinished(xstate, 'getAdjacencyMap');
    const withSpin = spinVer !== null && hasPromela(v7);
    for (let i = 0; i < o.rounds; i++) {
      const order = (['dmaown', 'spin', 'getAdjacencyMap'] as const).filter((w) => (w !== 'spin' || withSpin) && (w !== 'getAdjacencyMap' || gam));
      if (i % 2 === 1) order.reverse();
      note(`  headline round ${i + 1} of ${o.rounds} (${order.join(', ')})`);
      let d: DmaownResult | undefined;
      let s: SpinResult | undefined;
      let x: XStateRow | undefined;
      for (const what of order) {
        if (what === 'dmaown') d = await runOne({ design: 'v7', devices: headN, symmetry: false, workers: 1, maxStates: o.budgetStates, invariants });
        // SPIN's budgets follow dmaown's run at this bound; in a round that runs SPIN first, that
        // of the sections above (the same bound and budget, so the same completeness).
        else if (what === 'spin') s = await spinLike(v7, d ?? find('v7', headN, false, 1)!);
        else x = await xstateRun('getAdjacencyMap', gam!.design, gam!.devices);
      }
      rounds.push({ round: i + 1, order, dmaown: d!, spin: s, xstate: x });
    }
  }

  // 6. Growth with symmetry.
  const growth: DmaownResult[] = [];
  if (features.symmetry) {
    for (const name of o.designs) {
      for (let n = o.quick ? 2 : 4; n <= (o.quick ? 4 : o.growthMax); n++) {
        const r = find(name, n, true, 1) ?? (await runOne({ design: name, devices: n, symmetry: true, workers: 1, maxStates: o.budgetStates, invariants }));
        growth.push(r);
        if (!r.complete) break;
        const prev = growth.length > 1 ? growth[growth.length - 2] : undefined;
        const factor = prev && prev.design === name && prev.seconds > 0 ? r.seconds / prev.seconds : 10;
        // Stop before a bound projected to take more than five minutes.
        if (r.seconds * Math.max(factor, 2) > 300) break;
      }
    }
  }

  // ---- report ----
  machine.loadAtEnd = loadavg();
  const agreement: AgreementRow[] = [];
  for (const s of spin) {
    const d = find(s.design, s.devices, false, 1);
    if (!d || !d.complete || !s.complete) continue;
    const note = callerRuleMismatch(await designNamed(s.design), s.devices) ?? undefined;
    agreement.push({ design: s.design, devices: s.devices, dmaown: d.states, spin: s.states, dmaownTransitions: d.transitions, spinTransitions: s.transitions, agree: panEquals(s.states, d.states), transitionsAgree: panEquals(s.transitions, d.transitions + 1), note });
  }

  say('== State counts: dmaown and SPIN on the same model (both complete) ==');
  say(table(['design', 'devices', 'dmaown states', 'SPIN states', 'states agree', 'dmaown transitions', 'SPIN transitions - 1', 'transitions agree'],
    agreement.map((a) => [a.design, String(a.devices), int(a.dmaown), int(a.spin), a.agree ? 'yes' : 'NO', int(a.dmaownTransitions), int(a.spinTransitions - 1), a.transitionsAgree ? 'yes' : a.note ? 'no (*)' : 'NO'])));
  const notes = [...new Set(agreement.map((a) => a.note).filter((n): n is string => !!n))];
  for (const n of notes) say(`(*) ${n}. The Promela model follows the declaration; the states are the same either way, the transitions are not.`);
  if (!spinVer) say('(SPIN is not installed: no SPIN figures in this run)');
  say('SPIN counts the initial state as a transition (transitions = stored + matched); dmaown does not.');
  if (spin.some((s) => !s.exact)) say('pan prints its counters with 8 significant digits (%9.8g): counts of 10^8 and more are compared rounded as pan rounds them.');
  say('');

  say('== dmaown exhaustive ==');
  say(table(['design', 'devices', 'variant', 'states', 'transitions', 'depth', 'states/s', 'wall', 'peak arrays', 'peak RSS', 'B/state', 'complete'],
    dmaown.filter((r) => r.invariants === invariants).map((r) => [
      r.design, String(r.devices), label(r), int(r.states), int(r.transitions), String(r.depth), rate(r.states / r.seconds), secs(r.seconds),
      mib(r.peakBytes), mib(r.maxRssBytes), (r.storeBytes / r.states).toFixed(1), r.complete ? 'yes' : `PARTIAL (${r.stopReason ?? 'budget'})`,
    ])));
  say('B/state: the checker\'s arrays at the end (visited set, parents, BFS order) per stored state; peak arrays includes growth copies; peak RSS is the whole node process.');
  say('N workers: --workers N, the search on N threads (N - 1 worker threads compute successors, the main thread adds them to the visited set).');
  const none = dmaown.filter((r) => r.invariants === 'none');
  if (none.length) {
    say('Pure enumeration (no invariant checked):');
    say(table(['design', 'devices', 'variant', 'states', 'states/s', 'wall', 'B/state', 'complete'],
      none.map((r) => [r.design, String(r.devices), label(r), int(r.states), rate(r.states / r.seconds), secs(r.seconds), (r.storeBytes / r.states).toFixed(1), r.complete ? 'yes' : 'PARTIAL'])));
  }
  say('');

  if (spin.length) {
    say('== SPIN (pan -DNOREDUCE -DSAFETY, depth-first) ==');
    say(table(['design', 'devices', 'states stored', 'transitions', 'DFS depth', 'vector', 'states/s', 'pan time', 'pan wall', 'compile', 'pan memory', 'B/state', 'options', 'complete'],
      spin.map((s) => [
        s.design, String(s.devices), int(s.states), int(s.transitions), int(s.depth), `${s.stateVectorBytes} B`, rate(s.states / s.seconds), secs(s.seconds), secs(s.panWallSeconds), secs(s.compileSeconds),
        `${int(s.memoryMB)} MB`, ((s.memoryMB * 2 ** 20) / s.states).toFixed(0), `-m${s.depthLimit} -w${s.hashBits}`, s.complete ? 'yes' : `PARTIAL (${s.stopReason})`,
      ])));
    say('pan time: pan\'s own "elapsed time" (the search); pan wall includes allocating its hash table and DFS stack. B/state: pan\'s total memory per stored state (hash table and DFS stack included).');
    say('');
  }

  say(`== XState baselines (${xDesign}; each bound up to ${o.quick ? 2 : 4} devices until one is killed after ${o.xstateSeconds} s, or after 110 times dmaown's time at that bound if longer, at most ${o.xstateSeconds * 5} s) ==`);
  say(table(['method', 'devices', 'states', 'transitions', 'time', 'states/s'],
    xstate.map((x) => ('timedOut' in x
      ? [x.method, String(x.devices), '-', '-', `> ${x.limitSeconds} s (killed)`, '-']
      : [x.method, String(x.devices), int(x.states), int(x.transitions), secs(x.seconds), rate(x.states / x.seconds)]))));
  say('');

  if (rounds.length) {
    say(`== Headline rounds: v7 at ${headN} devices, no symmetry, one worker; dmaown, SPIN and getAdjacencyMap in turn ==`);
    const xs = (x: XStateRow | undefined) => (!x ? '-' : 'timedOut' in x ? `> ${x.limitSeconds} s (killed)` : rate(x.states / x.seconds));
    say(table(['round', 'order', 'dmaown states/s', 'SPIN states/s', 'getAdjacencyMap states/s', 'dmaown/SPIN', 'dmaown/getAdjacencyMap'],
      rounds.map((r) => {
        const q = roundRatios(r);
        return [String(r.round), r.order.join(', '), rate(r.dmaown.states / r.dmaown.seconds), r.spin ? rate(r.spin.states / r.spin.seconds) : '-', xs(r.xstate), q.spin === undefined ? '-' : ratio(q.spin), q.xstate === undefined ? '-' : ratio(q.xstate)];
      })));
    const x = roundsBaseline(rounds);
    say(`dmaown and SPIN on the same state budget (${int(o.budgetStates)}); getAdjacencyMap at ${x ? `${x.devices} devices, its largest bound finished above` : 'its largest bound finished above'}. The rate targets below take the median of the rounds' ratios.`);
    say('');
  }

  if (growth.length) {
    say('== Growth with symmetry (1 worker) ==');
    const rows: string[][] = [];
    for (let i = 0; i < growth.length; i++) {
      const r = growth[i];
      const prev = i > 0 && growth[i - 1].design === r.design ? growth[i - 1] : undefined;
      rows.push([r.design, String(r.devices), int(r.states), prev ? ratio(r.states / prev.states) : '', secs(r.seconds), prev ? ratio(r.seconds / prev.seconds) : '', rate(r.states / r.seconds), r.complete ? 'yes' : 'PARTIAL']);
    }
    say(table(['design', 'devices', 'states (orbits)', 'x prev', 'time', 'x prev', 'states/s', 'complete'], rows));
    for (const name of o.designs) {
      const g = growth.filter((r) => r.design === name && r.complete);
      if (g.length >= 2) {
        const f = Math.pow(g[g.length - 1].states / g[0].states, 1 / (g[g.length - 1].devices - g[0].devices));
        say(`${name}: states grow ${ratio(f)} per device from ${g[0].devices} to ${g[g.length - 1].devices} devices (geometric mean).`);
      }
    }
    say('');
  }

  const ratios = computeRatios(o, dmaown, spin, xstate, agreement, rounds);
  say(`== Ratios the issue targets${o.quick ? ' (at the --quick bounds: meaningless, structure only)' : ''} ==`);
  say(table(['ratio', 'value', 'target', 'met', 'from'], ratios.map((r) => [r.name, `${r.relation === '=' ? '' : r.relation + ' '}${r.unit === 'B' ? `${r.value.toFixed(1)} B` : ratio(r.value)}`, r.target, r.met === null ? '?' : r.met ? 'yes' : 'NO', r.detail])));
  say('');
  const seconds = (performance.now() - started) / 1000;
  say(`load average at end: ${machine.loadAtEnd.map((x) => x.toFixed(2)).join(' ')}; bench wall time ${secs(seconds)}`);
  return {
    options: { quick: o.quick, budgetStates: o.budgetStates, spinSeconds: o.spinSeconds, spinMemoryMB: o.spinMemoryMB, xstateSeconds: o.xstateSeconds, rounds: o.rounds },
    machine, features, dmaown, spin, spinMissing: !spinVer, agreement, xstate, growth, rounds, ratios, seconds,
  };
}

/**
 * A time limit, in seconds, for another tool's run beside dmaown's run `d`: `factor` times
 * d's time, at least `base` and at most five times it; `base` where d did not complete.
 */
function limitBeside(d: DmaownResult | undefined, factor: number, base: number): number {
  return d?.complete ? Math.min(base * 5, Math.max(base, Math.ceil(d.seconds * factor))) : base;
}

/** The `getAdjacencyMap` run of the first round where it finished, or undefined. */
function roundsBaseline(rounds: readonly HeadlineRound[]): XStateResult | undefined {
  return rounds.find((r) => r.xstate && !('timedOut' in r.xstate))?.xstate as XStateResult | undefined;
}

/** The last bound `method` finished, or undefined. */
function lastFinished(xstate: readonly XStateRow[], method: XStateMethod): XStateResult | undefined {
  const done = xstate.filter((x): x is XStateResult => x.method === method && !('timedOut' in x));
  return done[done.length - 1];
}

/** A round's ratios of states per second: dmaown's to SPIN's and to getAdjacencyMap's (undefined where that side did not run or was killed). */
export function roundRatios(r: HeadlineRound): { spin?: number; xstate?: number } {
  const own = r.dmaown.states / r.dmaown.seconds;
  return {
    spin: r.spin ? own / (r.spin.states / r.spin.seconds) : undefined,
    xstate: r.xstate && !('timedOut' in r.xstate) ? own / (r.xstate.states / r.xstate.seconds) : undefined,
  };
}

/**
 * The ratios of issue 4's targets, from this run's numbers. With headline rounds, the two rate
 * targets on one thread (SPIN's and getAdjacencyMap's) are decided by the median of the rounds'
 * ratios; the single runs of the sections before are listed too, as measured.
 */
export function computeRatios(o: Pick<BenchOptions, 'quick' | 'designs'>, dmaown: readonly DmaownResult[], spin: readonly SpinResult[], xstate: readonly XStateRow[], agreement: readonly AgreementRow[], rounds: readonly HeadlineRound[] = []): Ratio[] {
  const out: Ratio[] = [];
  // 0. The rounds' medians.
  const fromRounds = (key: 'spin' | 'xstate', name: string, target: number) => {
    const vs = rounds.map((r) => roundRatios(r)[key]).filter((v): v is number => v !== undefined);
    if (vs.length === 0) return;
    const v = median(vs);
    const partial = rounds.some((r) => !r.dmaown.complete) ? ' (dmaown and SPIN at the state budget)' : '';
    out.push({ name, value: v, unit: 'x', relation: '=', target: `>= ${target}`, met: v >= target, detail: `median of ${vs.length} round${vs.length > 1 ? 's' : ''}: ${vs.map(ratio).join(', ')}${key === 'spin' ? partial : ''}` });
  };
  if (rounds.length) {
    const rn = rounds[0].dmaown.devices;
    fromRounds('spin', `states/s dmaown/SPIN, v7 ${rn} dev, no sym, 1 worker, headline rounds`, 1);
    const x = roundsBaseline(rounds);
    if (x) fromRounds('xstate', `states/s dmaown(v7 ${rn} dev)/getAdjacencyMap(${x.devices} dev), headline rounds`, 100);
  }
  const rateN = o.quick ? 3 : 7;
  const symN = o.quick ? 3 : 8;
  const d = (n: number, s: boolean, inv: InvariantSet = 'safety', w = 1) => dmaown.find((r) => r.design === 'v7' && r.devices === n && r.symmetry === s && r.workers === w && r.invariants === inv);
  const sp = (n: number) => spin.find((r) => r.design === 'v7' && r.devices === n);

  // 1. states/s, no symmetry, one worker, v7 at 7 devices.
  const s7 = sp(rateN);
  for (const inv of ['safety', 'none'] as const) {
    const d7 = d(rateN, false, inv);
    if (d7 && s7) {
      const v = d7.states / d7.seconds / (s7.states / s7.seconds);
      out.push({
        name: `states/s dmaown/SPIN, v7 ${rateN} dev, no sym, 1 worker${inv === 'none' ? ', no invariants' : ''}`,
        value: v, unit: 'x', relation: '=', target: '>= 1', met: v >= 1,
        detail: `dmaown ${int(d7.states)} states in ${secs(d7.seconds)}${d7.complete ? '' : ' (budget)'}; SPIN ${int(s7.states)} in ${secs(s7.seconds)}${s7.complete ? '' : ' (budget)'}`,
      });
    }
  }

  // 2. time with symmetry against SPIN's time at 8 devices.
  const d8 = d(symN, true);
  const s8 = sp(symN);
  if (d8 && s8) {
    if (s8.complete) {
      const v = d8.seconds / s8.seconds;
      out.push({ name: `time dmaown(sym)/SPIN, v7 ${symN} dev`, value: v, unit: 'x', relation: '=', target: '<= 0.05', met: d8.complete && v <= 0.05, detail: `dmaown ${secs(d8.seconds)} (${int(d8.states)} orbits); SPIN ${secs(s8.seconds)} (${int(s8.states)} states)` });
    } else {
      // SPIN did not finish: its full time is more than the time it ran, so this is an upper bound.
      const v = d8.seconds / s8.seconds;
      out.push({ name: `time dmaown(sym)/SPIN, v7 ${symN} dev`, value: v, unit: 'x', relation: '<=', target: '<= 0.05', met: d8.complete && v <= 0.05 ? true : null, detail: `dmaown ${secs(d8.seconds)}${d8.complete ? '' : ' (budget)'}; SPIN stopped after ${secs(s8.seconds)} (${s8.stopReason}) with ${int(s8.states)} states, so its full time is longer` });
      // An estimate of SPIN's full time: the state count extrapolated from the complete bounds at its measured rate.
      const full = agreement.filter((a) => a.design === 'v7').sort((a, b) => a.devices - b.devices);
      if (full.length >= 2) {
        const a = full[full.length - 2];
        const b = full[full.length - 1];
        const g = b.spin / a.spin;
        const est = b.spin * Math.pow(g, symN - b.devices);
        const spinFull = est / (s8.states / s8.seconds);
        out.push({ name: `time dmaown(sym)/SPIN, v7 ${symN} dev (estimate)`, value: d8.seconds / spinFull, unit: 'x', relation: '~', target: '<= 0.05', met: null, detail: `SPIN's full time estimated at ${secs(spinFull)}: ~${int(est)} states (x${g.toFixed(2)}/device from ${b.devices} devices) at its rate at ${symN} devices` });
      }
    }
  }

  // 3. bytes per stored state, 8 devices, no symmetry.
  const b8 = d(symN, false);
  if (b8) {
    const v = b8.storeBytes / b8.states;
    out.push({ name: `bytes/state, v7 ${symN} dev, no sym`, value: v, unit: 'B', relation: '=', target: '<= 40', met: v <= 40, detail: `${int(b8.storeBytes)} B of arrays for ${int(b8.states)} states${b8.complete ? '' : ' (budget)'}; peak arrays ${(b8.peakBytes / b8.states).toFixed(1)} B/state, peak RSS ${(b8.maxRssBytes / b8.states).toFixed(1)} B/state` });
  }

  // 4. dmaown against each XState baseline, at the largest bound the baseline finished.
  for (const method of ['getAdjacencyMap', 'transition-bfs'] as const) {
    const x = lastFinished(xstate, method);
    if (!x) continue;
    const same = dmaown.find((r) => r.design === x.design && r.devices === x.devices && !r.symmetry && r.workers === 1 && r.invariants === 'safety');
    if (same) {
      const v = same.states / same.seconds / (x.states / x.seconds);
      out.push({ name: `states/s dmaown/${method}, ${x.design} ${x.devices} dev`, value: v, unit: 'x', relation: '=', target: '>= 100', met: v >= 100, detail: `dmaown ${rate(same.states / same.seconds)} (${secs(same.seconds)}, start-up included); ${method} ${rate(x.states / x.seconds)} (${secs(x.seconds)})` });
    }
    // The next bound, where the baseline was killed at its time limit: it had not enumerated the
    // bound's states (dmaown's complete count there, which SPIN and the other baseline agree
    // with) in that time, so its rate there is below count / limit, and the ratio at that same
    // bound is above dmaown's rate divided by that.
    const killed = xstate.find((k): k is Extract<XStateRow, { timedOut: true }> => k.method === method && 'timedOut' in k && k.devices === x.devices + 1);
    const atKilled = killed && dmaown.find((r) => r.design === killed.design && r.devices === killed.devices && !r.symmetry && r.workers === 1 && r.invariants === 'safety' && r.complete);
    if (killed && atKilled) {
      const ceiling = atKilled.states / killed.limitSeconds;
      const v = atKilled.states / atKilled.seconds / ceiling;
      // A lower bound: it shows the target met when it reaches 100, and decides nothing below.
      out.push({ name: `states/s dmaown/${method}, ${killed.design} ${killed.devices} dev (${method} killed)`, value: v, unit: 'x', relation: '>=', target: '>= 100', met: v >= 100 ? true : null, detail: `dmaown ${rate(atKilled.states / atKilled.seconds)} (${secs(atKilled.seconds)}, start-up included); ${method} had not finished ${int(atKilled.states)} states after ${killed.limitSeconds} s: below ${rate(ceiling)}` });
    }
    // dmaown at the headline bound, checking invariants and (the same work as XState's) not, on
    // one thread and on two (--workers 2: this machine's two cores; XState uses one).
    for (const w of [1, 2]) {
      for (const inv of ['safety', 'none'] as const) {
        const big = d(rateN, false, inv, w);
        if (!big) continue;
        const v = big.states / big.seconds / (x.states / x.seconds);
        out.push({ name: `states/s dmaown(v7 ${rateN} dev${w > 1 ? `, ${w} workers` : ''}${inv === 'none' ? ', no invariants' : ''})/${method}(${x.devices} dev)`, value: v, unit: 'x', relation: '=', target: '>= 100', met: v >= 100, detail: `dmaown ${rate(big.states / big.seconds)} at ${rateN} devices${big.complete ? '' : ' (budget)'}${w > 1 ? ` on ${w} threads` : ''}; ${method} ${rate(x.states / x.seconds)} at its largest finished bound` });
      }
    }
  }
  return out;
}

export type Args = { -readonly [K in keyof BenchOptions]?: BenchOptions[K] } & { json?: string };

function parseArgs(argv: readonly string[]): Args {
  const o: Args = {};
  const mut = o as Record<string, unknown>;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    const n = () => {
      const v = Number(val());
      if (!Number.isFinite(v) || v <= 0) throw new Error(`${a} needs a positive number`);
      return v;
    };
    switch (a) {
      case '--quick': mut.quick = true; break;
      case '--in-process': mut.inProcess = true; break;
      case '--no-spin': mut.noSpin = true; break;
      case '--budget-states': mut.budgetStates = n(); break;
      case '--spin-seconds': mut.spinSeconds = n(); break;
      case '--spin-memory': mut.spinMemoryMB = n(); break;
      case '--xstate-seconds': mut.xstateSeconds = n(); break;
      case '--growth-max': mut.growthMax = n(); break;
      case '--rounds': {
        const v = Number(val());
        if (!Number.isInteger(v) || v < 0 || v > 20) throw new Error(`${a} needs a whole number from 0 to 20`);
        mut.rounds = v;
        break;
      }
      case '--designs': mut.designs = val().split(',').filter(Boolean); break;
      case '--json': o.json = val(); break;
      default: throw new Error(`unknown option ${a} (see the top of bench/bench.ts)`);
    }
  }
  return o;
}

/**
 * What parseArgs cannot see alone, checked before anything runs: the designs exist, the bounds
 * are whole numbers in range, and the JSON file can be written (a full run takes minutes).
 */
export async function argsProblem(args: Args): Promise<string | null> {
  if (args.designs !== undefined) {
    if (args.designs.length === 0) return '--designs needs at least one design name';
    for (const name of args.designs) {
      try {
        await designByName(name);
      } catch (e) {
        if (e instanceof InputError) return `--designs: ${e.message}`;
        throw e;
      }
    }
  }
  if (args.growthMax !== undefined && (!Number.isInteger(args.growthMax) || args.growthMax < 4 || args.growthMax > MAX_DEVICES_SYMMETRY)) {
    return `--growth-max must be a whole number of devices from 4 to ${MAX_DEVICES_SYMMETRY}, got ${args.growthMax}`;
  }
  for (const [flag, v] of [['--budget-states', args.budgetStates], ['--spin-memory', args.spinMemoryMB]] as const) {
    if (v !== undefined && !Number.isSafeInteger(v)) return `${flag} must be a whole number, got ${v}`;
  }
  if (args.json !== undefined) {
    const why = unwritable(args.json);
    if (why !== null) return `--json ${args.json} cannot be written: ${why}`;
  }
  return null;
}

async function main(): Promise<void> {
  const args = parsedOrExit('bench', parseArgs);
  const problem = await argsProblem(args);
  if (problem !== null) {
    process.stderr.write(`bench: ${problem}\n`);
    process.exit(2);
  }
  if (args.quick) {
    args.budgetStates ??= 1_000_000;
    args.spinSeconds ??= 30;
    args.xstateSeconds ??= 20;
    args.rounds ??= 2;
  }
  runBench(args).then(
    (report) => {
      if (args.json) writeFileSync(args.json, JSON.stringify(report, (k, v) => (k === 'output' ? undefined : v), 2) + '\n');
      process.exit(0);
    },
    (e: Error) => { process.stderr.write(`bench: ${e.stack ?? e.message}\n`); process.exit(1); },
  );
}

if (require.main === module) main().catch((e: Error) => { process.stderr.write(`bench: ${e.stack ?? e.message}\n`); process.exit(1); });

