/**
 * One dmaown measurement: `checkDesign` on a design at one bound, with or without symmetry, with
 * 1 or more workers, under a state budget. `npm run bench` runs each measurement in a child
 * process of its own (`node dist/bench/dmaownRun.js '<json>'`), so that its peak memory is its
 * own and no run inherits another's heap or JIT state.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { CheckOptions } from '../src/core/check';
import { checkDesign } from '../src/iommu/checkDesign';
import type { Design } from '../src/iommu/design';
import { loadDesigns } from '../src/iommu/designRegistry';
import { loadInvariants } from '../src/iommu/invariantRegistry';
import type { Invariant } from '../src/iommu/invariant';

/**
 * Which invariants the run checks: `safety` every invariant but the recoverable ones (what a
 * SPIN safety run could check as assertions; `viability` needs every edge stored), `none` pure
 * state enumeration, `all` every invariant.
 */
export type InvariantSet = 'safety' | 'none' | 'all';

export interface DmaownParams {
  readonly design: string;
  readonly devices: number;
  readonly symmetry: boolean;
  readonly workers: number;
  readonly maxStates?: number;
  readonly invariants: InvariantSet;
}

export interface DmaownResult extends DmaownParams {
  readonly states: number;
  readonly transitions: number;
  readonly depth: number;
  readonly seconds: number;
  readonly complete: boolean;
  readonly stopReason?: string;
  /** The checker's own account of its arrays: at the end, and at their peak. */
  readonly storeBytes: number;
  readonly peakBytes: number;
  /** Peak resident memory of the process that ran the check (child process: this run only). */
  readonly maxRssBytes: number;
  /** What the checker says it reduced by (undefined: no symmetry). */
  readonly symmetryDescription?: string;
  readonly workersUsed: number;
  readonly violated: readonly string[];
}

export async function designNamed(name: string): Promise<Design> {
  const d = (await loadDesigns()).find((x) => x.name === name);
  if (!d) throw new Error(`no design named ${name}`);
  return d;
}

export async function invariantsFor(set: InvariantSet): Promise<Invariant[]> {
  if (set === 'none') return [];
  const all = await loadInvariants();
  return set === 'all' ? all : all.filter((i) => i.kind !== 'recoverable');
}

/** Check options with the optional features, typed loosely so that the bench compiles whatever the checker offers. */
function options(p: DmaownParams): CheckOptions {
  const o: Record<string, unknown> = {};
  if (p.maxStates !== undefined) o.maxStates = p.maxStates;
  if (p.symmetry) o.symmetry = true;
  if (p.workers !== 1) o.workers = p.workers;
  return o as CheckOptions;
}

/** Runs one measurement in this process. */
export async function runDmaownHere(p: DmaownParams): Promise<DmaownResult> {
  const design = await designNamed(p.design);
  const invariants = await invariantsFor(p.invariants);
  const started = performance.now();
  const dc = checkDesign(design, p.devices, invariants, options(p));
  const seconds = (performance.now() - started) / 1000;
  const r = dc.result as typeof dc.result & { symmetry?: string; workers?: number };
  if (p.symmetry && !r.symmetry) throw new Error('the checker ignored the symmetry option');
  return {
    ...p,
    states: r.states,
    transitions: r.transitions,
    depth: r.depth,
    seconds,
    complete: r.complete,
    stopReason: r.stopReason,
    storeBytes: r.storeBytes,
    peakBytes: r.peakBytes,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    symmetryDescription: r.symmetry,
    workersUsed: r.workers ?? 1,
    violated: dc.verdicts.filter((v) => v.verdict === 'violated').map((v) => v.name),
  };
}

/** Runs one measurement in a child process (the compiled `dmaownRun.js` next to this file). */
export function runDmaownChild(p: DmaownParams): Promise<DmaownResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(__dirname, 'dmaownRun.js'), JSON.stringify(p)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => { out += b.toString(); });
    child.stderr.on('data', (b: Buffer) => { err += b.toString(); });
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || !line.startsWith('{')) {
        reject(new Error(`dmaown run ${JSON.stringify(p)} failed (exit ${code}): ${err.trim().split('\n').slice(-3).join(' | ')}`));
        return;
      }
      resolve(JSON.parse(line) as DmaownResult);
    });
  });
}

/** Whether the checker accepts an option (symmetry, workers): tried on a tiny bound. */
export async function supports(feature: 'symmetry' | 'workers'): Promise<{ ok: boolean; why?: string }> {
  try {
    const r = await runDmaownHere({ design: 'v7', devices: 2, symmetry: feature === 'symmetry', workers: feature === 'workers' ? 2 : 1, invariants: 'none' });
    if (feature === 'workers' && r.workersUsed !== 2) return { ok: false, why: 'the checker ran on one thread' };
    return { ok: true };
  } catch (e) {
    return { ok: false, why: (e as Error).message.split('\n')[0] };
  }
}

if (require.main === module) {
  runDmaownHere(JSON.parse(process.argv[2]) as DmaownParams).then(
    (r) => { process.stdout.write(JSON.stringify(r) + '\n'); process.exit(0); },
    (e: Error) => { process.stderr.write(`${e.stack ?? e.message}\n`); process.exit(1); },
  );
}
