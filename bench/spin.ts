/**
 * Runs SPIN on a design written by `promelaModel`: `spin -a`, `gcc -O2 -DNOREDUCE -DSAFETY`,
 * then `pan`, and reads SPIN's own figures (states stored, transitions, depth, memory, time)
 * from its output. Nothing here is estimated: every number is parsed from what SPIN printed.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Design } from '../src/iommu/design';
import { promelaModel } from './promela';

export interface SpinBudget {
  /**
   * Stop pan (SIGINT) once it reports this many states stored. pan prints a progress line every
   * million states, so it stops within a million states past this.
   */
  readonly states?: number;
  /** Stop pan (SIGINT: it prints its statistics) after this many seconds. */
  readonly seconds?: number;
  /** Compile pan with -DMEMLIM=this many megabytes: pan stops when its memory reaches it. */
  readonly memoryMB?: number;
}

export interface SpinOptions {
  /** Expected number of states, to size the hash table (-w) and the depth limit (-m). */
  readonly expectedStates?: number;
  readonly budget?: SpinBudget;
  /** The depth limit to start with (default: 60% of the expected states). */
  readonly depthLimit?: number;
  /** Largest depth limit to try (default 2^25). */
  readonly maxDepthLimit?: number;
  /** Keep the working directory (model, pan.c) and return its path. */
  readonly keep?: boolean;
}

export interface SpinResult {
  readonly design: string;
  readonly devices: number;
  /**
   * SPIN's "states, stored". pan prints its counters with 8 significant digits (`%9.8g`): from
   * 10^8 on they are rounded, and `exact` says whether every count here is exact.
   */
  readonly states: number;
  readonly exact: boolean;
  /** SPIN's "transitions (= stored+matched)". */
  readonly transitions: number;
  readonly matched: number;
  /** SPIN's "depth reached" (DFS stack depth, not BFS depth). */
  readonly depth: number;
  readonly stateVectorBytes: number;
  /** pan's "elapsed time" (the search). */
  readonly seconds: number;
  /** Wall time of the pan process (search plus allocating the hash table and stack). */
  readonly panWallSeconds: number;
  /** Wall time of `spin -a` plus `gcc`. */
  readonly compileSeconds: number;
  /** pan's "total actual memory usage", in MB. */
  readonly memoryMB: number;
  /** pan's hash table and DFS stack as chosen. */
  readonly hashBits: number;
  readonly depthLimit: number;
  /** False when a budget or the depth limit stopped the search before it was complete. */
  readonly complete: boolean;
  readonly stopReason?: string;
  readonly errors: number;
  /** The exact commands run. */
  readonly commands: readonly string[];
  readonly dir?: string;
  readonly output: string;
}

/** `spin -V`, or null when SPIN is not installed. */
export function spinVersion(): string | null {
  const r = spawnSync('spin', ['-V'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return null;
  return r.stdout.trim();
}

/** Installs SPIN with apt-get when it is missing and we are root; returns its version or null. */
export function ensureSpin(log: (s: string) => void = () => {}): string | null {
  const v = spinVersion();
  if (v) return v;
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    log('spin is not installed and this is not root: install it with `apt-get install spin`');
    return null;
  }
  log('spin is not installed: apt-get update && apt-get install -y spin ...');
  const up = spawnSync('apt-get', ['update', '-qq'], { stdio: 'ignore' });
  const inst = up.status === 0 ? spawnSync('apt-get', ['install', '-y', '-qq', 'spin'], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } }) : up;
  if (inst.status !== 0) { log('apt-get install spin failed'); return null; }
  return spinVersion();
}

export function gccVersion(): string | null {
  const r = spawnSync('gcc', ['--version'], { encoding: 'utf8' });
  return r.error || r.status !== 0 ? null : r.stdout.split('\n')[0].trim();
}

function num(out: string, re: RegExp): number {
  const m = re.exec(out);
  return m ? Number(m[1]) : NaN;
}

/** Whether `n` printed by pan as `%9.8g` is `x`: equal, or equal once `x` is rounded as pan rounds. */
export function panEquals(n: number, x: number): boolean {
  return n === x || Number(x.toPrecision(8)) === n;
}

/** Parses pan's statistics. */
export function parsePanOutput(out: string): Pick<SpinResult, 'states' | 'exact' | 'transitions' | 'matched' | 'depth' | 'stateVectorBytes' | 'seconds' | 'memoryMB' | 'errors'> & { truncated: boolean; interrupted: boolean; memlim: boolean } {
  const counters = /^\s*(\S+) (?:states, stored|states, matched|transitions \(= stored\+matched\))/gm;
  let exact = true;
  for (let m = counters.exec(out); m; m = counters.exec(out)) if (/e/i.test(m[1])) exact = false;
  return {
    exact,
    states: num(out, /^\s*(\d+(?:\.\d+)?(?:e\+\d+)?) states, stored/m),
    matched: num(out, /^\s*(\d+(?:\.\d+)?(?:e\+\d+)?) states, matched/m),
    transitions: num(out, /^\s*(\d+(?:\.\d+)?(?:e\+\d+)?) transitions \(= stored\+matched\)/m),
    depth: num(out, /depth reached (\d+)/),
    errors: num(out, /errors: (\d+)/),
    stateVectorBytes: num(out, /State-vector (\d+) byte/),
    seconds: num(out, /pan: elapsed time ([\d.e+]+) seconds/),
    memoryMB: num(out, /([\d.]+)\s+total actual memory usage/),
    truncated: /max search depth too small/.test(out),
    interrupted: /Interrupted/.test(out),
    memlim: /reached -DMEMLIM bound|out of memory/.test(out),
  };
}

function runPan(dir: string, args: string[], budget: SpinBudget | undefined): Promise<{ out: string; wall: number; stoppedAtStates: boolean }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(join(dir, 'pan'), args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let stoppedAtStates = false;
    const progress = /States=\s*([\d.e+]+)/g;
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      if (budget?.states === undefined || stoppedAtStates) return;
      // pan's progress lines: "Depth= ... States= 2e+07 Transitions= ..."
      progress.lastIndex = Math.max(0, out.length - b.length - 40);
      for (let m = progress.exec(out); m; m = progress.exec(out)) {
        if (Number(m[1]) >= budget.states) { stoppedAtStates = true; child.kill('SIGINT'); break; }
      }
    });
    child.stderr.on('data', (b: Buffer) => { out += b.toString(); });
    let timer: NodeJS.Timeout | undefined;
    if (budget?.seconds !== undefined) timer = setTimeout(() => child.kill('SIGINT'), budget.seconds * 1000);
    child.on('error', reject);
    child.on('close', () => {
      if (timer) clearTimeout(timer);
      resolve({ out, wall: (performance.now() - started) / 1000, stoppedAtStates });
    });
  });
}

/**
 * Writes `design` at `devices` devices as Promela, compiles the verifier and runs it. Without a
 * budget the search is exhaustive: when pan reports that the depth limit (-m) truncated it, the
 * limit is doubled and pan run again (up to `maxDepthLimit`).
 */
export async function runSpin(design: Design, devices: number, options: SpinOptions = {}): Promise<SpinResult> {
  const dir = mkdtempSync(join(tmpdir(), `dmaown-spin-${design.name}-${devices}-`));
  const commands: string[] = [];
  try {
    writeFileSync(join(dir, 'model.pml'), promelaModel(design, devices));
    const t0 = performance.now();
    execFileSync('spin', ['-a', 'model.pml'], { cwd: dir, stdio: 'pipe' });
    commands.push('spin -a model.pml');
    const gccArgs = ['-O2', '-DNOREDUCE', '-DSAFETY'];
    if (options.budget?.memoryMB) gccArgs.push(`-DMEMLIM=${Math.floor(options.budget.memoryMB)}`);
    gccArgs.push('-o', 'pan', 'pan.c');
    execFileSync('gcc', gccArgs, { cwd: dir, stdio: 'pipe' });
    commands.push(`gcc ${gccArgs.join(' ')}`);
    const compileSeconds = (performance.now() - t0) / 1000;

    const expected = options.expectedStates ?? 1 << 20;
    const hashBits = Math.min(30, Math.max(16, Math.ceil(Math.log2(expected))));
    const maxDepth = options.maxDepthLimit ?? 1 << 25;
    // A DFS of this model goes deep (about 40% of the states at 5 devices): start the depth limit
    // there and double it if pan says it was too small.
    let depthLimit = Math.min(maxDepth, options.depthLimit ?? Math.max(10_000, Math.ceil(expected * 0.6)));
    for (;;) {
      const args = [`-m${depthLimit}`, `-w${hashBits}`];
      const { out, wall, stoppedAtStates } = await runPan(dir, args, options.budget);
      const p = parsePanOutput(out);
      if (!Number.isFinite(p.states)) throw new Error(`could not read pan's output:\n${out}`);
      if (p.truncated && !p.interrupted && !p.memlim && depthLimit < maxDepth) {
        depthLimit = Math.min(maxDepth, depthLimit * 2);
        continue;
      }
      const b = options.budget;
      const stops = [b?.states ? `SIGINT at ${b.states} states` : '', b?.seconds ? `SIGINT after ${b.seconds} s` : ''].filter(Boolean).join(' or ');
      commands.push(`./pan ${args.join(' ')}${stops ? `  (${stops})` : ''}`);
      // Every reason the search is not complete: the budget that stopped it, and the depth
      // limit if the DFS reached it (pan then does not go deeper on that path).
      const reasons = [
        stoppedAtStates && p.interrupted ? `state budget ${b?.states}` : p.interrupted ? `time budget ${b?.seconds} s` : '',
        p.memlim ? `-DMEMLIM=${b?.memoryMB} MB` : '',
        p.truncated ? `depth limit -m${depthLimit} reached` : '',
      ].filter(Boolean);
      const stopReason = reasons.length ? reasons.join('; ') : undefined;
      return {
        design: design.name,
        devices,
        states: p.states,
        exact: p.exact,
        transitions: p.transitions,
        matched: p.matched,
        depth: p.depth,
        stateVectorBytes: p.stateVectorBytes,
        seconds: p.seconds,
        panWallSeconds: wall,
        compileSeconds,
        memoryMB: p.memoryMB,
        hashBits,
        depthLimit,
        complete: stopReason === undefined,
        stopReason,
        errors: p.errors,
        commands,
        dir: options.keep ? dir : undefined,
        output: out,
      };
    }
  } finally {
    if (!options.keep) rmSync(dir, { recursive: true, force: true });
  }
}
