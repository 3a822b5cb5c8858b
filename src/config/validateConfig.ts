import { InputError, shown } from '../errors';
import { parseDuration, userDurationProblem } from '../core/duration';
import { machineMemoryText, parseBytes, userBudgetProblem } from '../core/memoryBudget';
import type { Design } from '../iommu/design';
import type { Invariant } from '../iommu/invariant';
import { MAX_DEVICES, MAX_DEVICES_SYMMETRY, MAX_WORKERS, MIN_DEVICES } from '../model/vocabulary';
import type { Expected } from './expectations';
import { plural } from '../report/plural';

/** Devices a config entry checks when it names none (as `dmaown check`). */
export const CONFIG_DEFAULT_DEVICES = 3;

/** One design at one bound, with the invariants to check and what is expected of them. */
export interface PlannedRun {
  readonly design: Design;
  readonly devices: number;
  readonly invariants: readonly Invariant[];
  readonly expect: Readonly<Record<string, Expected>>;
}

/** Everything one `dmaown check` does: where it came from and the runs, in order. */
export interface CheckPlan {
  /** The config file read, or null when the command line named the run. */
  readonly source: string | null;
  readonly runs: readonly PlannedRun[];
  readonly maxStates?: number;
  readonly maxMemory?: number;
  readonly maxTimeMs?: number;
  /** Reduce by symmetry (the config's `symmetry`; the command line's `--symmetry` overrides it). */
  readonly symmetry?: boolean;
  /** Threads each search runs on (the config's `workers`; `--workers` overrides it). */
  readonly workers?: number;
  /** End each search once every invariant it checks is decided (the config's `stopWhenDecided`; `--stop-when-decided` overrides it). */
  readonly stopWhenDecided?: boolean;
}

/** What the command line says that decides how a config is validated. */
export interface ConfigFlags {
  /** `--symmetry` given (true or false), which overrides the config's: bounds up to MAX_DEVICES_SYMMETRY with it. */
  readonly symmetry?: boolean;
}

const TOP_KEYS = ['$schema', 'checks', 'maxStates', 'maxMemory', 'maxTime', 'symmetry', 'workers', 'stopWhenDecided'];
const CHECK_KEYS = ['design', 'devices', 'invariants', 'expect'];

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
/** A value or list as a list; a hole in a list (JavaScript `[a, , b]`) becomes undefined, which is refused as a value, not skipped. */
const asList = (x: unknown): unknown[] => (Array.isArray(x) ? Array.from(x) : [x]);

/**
 * Checks a parsed config (`where` names the file in messages) and resolves its names against the
 * known designs and invariants. Anything malformed or unknown is one InputError naming the entry,
 * e.g. `dmaown.config.json: checks[1].devices: 9 is out of range (1 to 8, or to 16 with symmetry)`.
 */
export function validateConfig(raw: unknown, where: string, designs: readonly Design[], invariants: readonly Invariant[], flags: ConfigFlags = {}): CheckPlan {
  const fail = (path: string, msg: string): never => {
    throw new InputError(`${where}: ${path}${path ? ': ' : ''}${msg}`);
  };
  if (!isObject(raw)) fail('', `must be a JSON object with a "checks" list, got ${Array.isArray(raw) ? 'an array' : shown(raw)}`);
  const top = raw as Record<string, unknown>;
  for (const k of Object.keys(top)) if (!TOP_KEYS.includes(k)) fail('', `unknown key '${k}' (known: ${TOP_KEYS.join(', ')})`);
  if (!Array.isArray(top.checks) || top.checks.length === 0) fail('checks', 'must be a non-empty list of {"design": ..., "devices": ..., "invariants": [...]}');

  let maxStates: number | undefined;
  if (top.maxStates !== undefined) {
    if (typeof top.maxStates !== 'number' || !Number.isSafeInteger(top.maxStates) || top.maxStates < 1) fail('maxStates', `must be a positive whole number up to ${Number.MAX_SAFE_INTEGER.toLocaleString('en-US')}, got ${shown(top.maxStates)}`);
    maxStates = top.maxStates as number;
  }
  let maxMemory: number | undefined;
  if (top.maxMemory !== undefined) {
    // A string like "8G", or a number of bytes (as --max-memory takes a bare number).
    maxMemory = typeof top.maxMemory === 'string' ? parseBytes(top.maxMemory) : typeof top.maxMemory === 'number' ? Math.floor(top.maxMemory) : Number.NaN;
    const problem = userBudgetProblem(maxMemory);
    if (problem === 'malformed') fail('maxMemory', `must be a size like "512M", "8G" or "1.5GiB" (no exponents), or a number of bytes, got ${shown(top.maxMemory)}`);
    if (problem === 'small') fail('maxMemory', `must be a size of at least 1M like "512M" or "8G", got ${shown(top.maxMemory)}`);
    if (problem === 'large') fail('maxMemory', `${shown(top.maxMemory)} is more than this machine's ${machineMemoryText()}`);
  }
  let maxTimeMs: number | undefined;
  if (top.maxTime !== undefined) {
    // A string like "10m", or a number of seconds (as --max-time takes a bare number).
    maxTimeMs = typeof top.maxTime === 'string' ? parseDuration(top.maxTime) : typeof top.maxTime === 'number' ? Math.round(top.maxTime * 1000) : Number.NaN;
    const problem = userDurationProblem(maxTimeMs);
    if (problem === 'long') fail('maxTime', `${shown(top.maxTime)} is too long to be a time budget`);
    if (problem === 'short') fail('maxTime', `${shown(top.maxTime)} is under a millisecond: a search needs at least "1ms"`);
    if (problem === 'malformed') fail('maxTime', `must be a duration like "90s", "10m" or "2h", got ${shown(top.maxTime)}`);
  }
  let symmetry: boolean | undefined;
  if (top.symmetry !== undefined) {
    if (typeof top.symmetry !== 'boolean') fail('symmetry', `must be true or false, got ${shown(top.symmetry)}`);
    symmetry = top.symmetry as boolean;
  }
  let stopWhenDecided: boolean | undefined;
  if (top.stopWhenDecided !== undefined) {
    if (typeof top.stopWhenDecided !== 'boolean') fail('stopWhenDecided', `must be true or false, got ${shown(top.stopWhenDecided)}`);
    stopWhenDecided = top.stopWhenDecided as boolean;
  }
  let workers: number | undefined;
  if (top.workers !== undefined) {
    if (typeof top.workers !== 'number' || !Number.isInteger(top.workers) || top.workers < 1 || top.workers > MAX_WORKERS) fail('workers', `must be a whole number from 1 to ${MAX_WORKERS}, got ${shown(top.workers)}`);
    workers = top.workers as number;
  }
  // Larger bounds are allowed when the search is reduced by symmetry (as `--devices` with `--symmetry`).
  const reduced = flags.symmetry ?? symmetry ?? false;
  const maxDevices = reduced ? MAX_DEVICES_SYMMETRY : MAX_DEVICES;
  const range = reduced ? `${MIN_DEVICES} to ${MAX_DEVICES_SYMMETRY} with symmetry` : `${MIN_DEVICES} to ${MAX_DEVICES}, or to ${MAX_DEVICES_SYMMETRY} with symmetry`;

  const runs: PlannedRun[] = [];
  /** Each design and bound checked so far, and the entry that checks it. */
  const seenAt = new Map<string, number>();
  asList(top.checks).forEach((entry, i) => {
    const at = `checks[${i}]`;
    if (!isObject(entry)) fail(at, `must be an object like {"design": "v7", "devices": 3}, got ${shown(entry)}`);
    const e = entry as Record<string, unknown>;
    for (const k of Object.keys(e)) if (!CHECK_KEYS.includes(k)) fail(at, `unknown key '${k}' (known: ${CHECK_KEYS.join(', ')})`);
    if (e.design === undefined) fail(at, 'needs a "design" (a name or a list of names)');
    const ds = asList(e.design).map((n, j) => {
      if (typeof n !== 'string') fail(`${at}.design`, `must be a design name or a list of them, got ${shown(n)}`);
      const d = designs.find((x) => x.name === n);
      if (!d) fail(`${at}.design${Array.isArray(e.design) ? `[${j}]` : ''}`, `unknown design '${n}' (known: ${designs.map((x) => x.name).join(', ')})`);
      return d!;
    });
    if (ds.length === 0) fail(`${at}.design`, 'names no design');
    const bounds = e.devices === undefined ? [CONFIG_DEFAULT_DEVICES] : asList(e.devices).map((n) => {
      if (typeof n !== 'number' || !Number.isInteger(n)) fail(`${at}.devices`, `must be a whole number or a list of them, got ${shown(n)}`);
      if ((n as number) < MIN_DEVICES || (n as number) > maxDevices) fail(`${at}.devices`, `${n} is out of range (${range})`);
      return n as number;
    });
    if (bounds.length === 0) fail(`${at}.devices`, 'names no bound');
    let invs: Invariant[] = [...invariants];
    if (e.invariants !== undefined) {
      if (!Array.isArray(e.invariants) || e.invariants.length === 0) fail(`${at}.invariants`, `must be a non-empty list of invariant names, got ${shown(e.invariants)}`);
      invs = asList(e.invariants).map((n, j, all) => {
        const inv = invariants.find((x) => x.name === n);
        if (!inv) fail(`${at}.invariants`, `unknown invariant ${shown(n)} (known: ${invariants.map((x) => x.name).join(', ')})`);
        if (all.indexOf(n) !== j) fail(`${at}.invariants`, `${shown(n)} is named twice`);
        return inv!;
      });
    }
    const expect: Record<string, Expected> = {};
    if (e.expect !== undefined) {
      if (!isObject(e.expect)) fail(`${at}.expect`, `must be an object like {"no-warn": "violated"}, got ${shown(e.expect)}`);
      for (const [name, v] of Object.entries(e.expect as Record<string, unknown>)) {
        if (!invs.some((x) => x.name === name)) fail(`${at}.expect`, `'${name}' is not an invariant this entry checks (${invs.map((x) => x.name).join(', ')})`);
        if (v !== 'holds' && v !== 'violated') fail(`${at}.expect.${name}`, `must be "holds" or "violated", got ${shown(v)}`);
        expect[name] = v as Expected;
      }
    }
    for (const design of ds) {
      for (const devices of bounds) {
        const key = `${design.name}@${devices}`;
        if (seenAt.has(key)) fail(at, `${design.name} at ${plural(devices, 'device')} is already checked${seenAt.get(key) === i ? ' by this entry' : ' by an earlier entry'}`);
        seenAt.set(key, i);
        runs.push({ design, devices, invariants: invs, expect });
      }
    }
  });
  return { source: where, runs, maxStates, maxMemory, maxTimeMs, symmetry, workers, stopWhenDecided };
}
