import { totalmem } from 'node:os';
import { InputError } from '../errors';
import type { DesignCheck } from '../iommu/checkDesign';
import type { Design } from '../iommu/design';
import { loadDesigns } from '../iommu/designRegistry';
import type { Invariant } from '../iommu/invariant';
import { loadInvariants } from '../iommu/invariantRegistry';
import { parseDuration, userDurationProblem } from '../core/duration';
import { machineMemoryText, parseBytes, userBudgetProblem } from '../core/memoryBudget';
import { MAX_DEVICES, MAX_DEVICES_SYMMETRY, MAX_WORKERS, MIN_DEVICES } from '../model/vocabulary';
import { plural } from '../report/plural';
import { flagInt, flagList, flagString, typed, type FlagSpec, type ParsedArgs } from './args';

export const DEFAULT_DESIGN = 'v7';
export const DEFAULT_DEVICES = 3;
/** Default memory budget: half of this machine's memory (growth doubles arrays, so peaks run higher). */
export const DEFAULT_MAX_MEMORY = Math.floor(totalmem() / 2);

/**
 * The design named `name`, or an InputError listing the known ones. A comma list of known
 * designs gets its own message, followed by `several(list)` (what the command offers instead,
 * given the list without spaces).
 */
export async function designByName(name: string, several?: (list: string) => string): Promise<Design> {
  const designs = await loadDesigns();
  const d = designs.find((x) => x.name === name);
  if (!d) {
    // A list where one design is taken (check, shard, replay, diagram): `several` says what to do instead.
    const list = name.split(',').map((n) => n.trim());
    if (list.length > 1 && list.every((n) => designs.some((x) => x.name === n))) {
      throw new InputError(`--design takes one design here, got '${name}'${several ? `; ${several(list.join(','))}` : ''}`);
    }
    throw new InputError(`unknown design '${name}' (known: ${designs.map((x) => x.name).join(', ')})`);
  }
  return d;
}

export async function invariantsByName(names: readonly string[] | undefined): Promise<Invariant[]> {
  const all = await loadInvariants();
  if (!names) return all;
  // A name given twice is checked once.
  return [...new Set(names)].map((n) => {
    const inv = all.find((i) => i.name === n);
    if (!inv) throw new InputError(`unknown invariant '${n}' (known: ${all.map((i) => i.name).join(', ')})`);
    return inv;
  });
}

/** The range of a searching command's `--devices`, as its help states it. */
export const DEVICES_RANGE = `1 to ${MAX_DEVICES}, or 1 to ${MAX_DEVICES_SYMMETRY} with --symmetry`;

/**
 * `--devices N` of a command that searches: 1 to MAX_DEVICES, or to MAX_DEVICES_SYMMETRY when
 * the command line also has `--symmetry`.
 */
export function devicesFlag(p: ParsedArgs): number {
  if (symmetryFlag(p)) return flagInt(p, 'devices', DEFAULT_DEVICES, MIN_DEVICES, MAX_DEVICES_SYMMETRY, 'the number of devices (with --symmetry)');
  // Out of range either way, the message names both limits.
  return flagInt(p, 'devices', DEFAULT_DEVICES, MIN_DEVICES, MAX_DEVICES, 'the number of devices', `${MIN_DEVICES} to ${MAX_DEVICES} (up to ${MAX_DEVICES_SYMMETRY} with --symmetry)`);
}

/**
 * `--devices N` of replay: 1 to MAX_DEVICES_SYMMETRY, every bound a check can print a
 * counterexample at (a replay runs one path, so the bound costs nothing).
 */
export function replayDevicesFlag(p: ParsedArgs): number {
  return flagInt(p, 'devices', DEFAULT_DEVICES, MIN_DEVICES, MAX_DEVICES_SYMMETRY, 'the number of devices');
}

/** What a command run with `--symmetry` says on stderr of one search: what it was reduced by, or why not. */
export function symmetryNotice(dc: DesignCheck): string {
  return `dmaown: ${dc.design.name} at ${plural(dc.devices, 'device')}: ${dc.result.symmetry ? `reduced by symmetry: ${dc.symmetryNote}` : dc.symmetryNote ?? 'no symmetry'}\n`;
}

/** `--symmetry` (a bool flag; `--symmetry=false` turns it off). */
export function symmetryFlag(p: ParsedArgs): boolean {
  return switchFlag(p, 'symmetry');
}

/** A switch such as `--symmetry`: given alone or `=true` / `=1` it is on; absent, `=false` or `=0` off. */
export function switchFlag(p: ParsedArgs, name: string): boolean {
  const v = flagString(p, name);
  if (v === undefined || v === 'false' || v === '0') return false;
  if (v === 'true' || v === '1') return true;
  throw new InputError(`--${name} takes no value (or true/false), got '${v}'`);
}

/** `--workers N`: threads the search runs on (default 1; CheckOptions.workers). */
export function workersFlag(p: ParsedArgs): number {
  return flagInt(p, 'workers', 1, 1, MAX_WORKERS, 'the number of threads');
}

/** `--symmetry` and `--workers N` as check options. */
export function searchFlags(p: ParsedArgs): { symmetry: boolean; workers: number } {
  return { symmetry: symmetryFlag(p), workers: workersFlag(p) };
}

export function invariantsFlag(p: ParsedArgs): string[] | undefined {
  return flagList(p, 'invariant');
}

/**
 * The flags `budgetFlags` and `searchFlags` read, for the commands that take all of them
 * (check, shard).
 */
export const SEARCH_FLAG_SPECS: readonly FlagSpec[] = [
  { name: 'max-states', kind: 'string' },
  { name: 'max-memory', kind: 'string' },
  { name: 'max-time', kind: 'string' },
  { name: 'symmetry', kind: 'bool' },
  { name: 'workers', kind: 'string' },
];

/**
 * `--max-states N` (default: none), `--max-memory SIZE` (default: half the machine's memory)
 * and `--max-time DURATION` (default: none).
 */
export function budgetFlags(p: ParsedArgs): { maxStates?: number; maxMemory: number; maxTimeMs?: number } {
  const ms = flagString(p, 'max-states');
  let maxStates: number | undefined;
  if (ms !== undefined) {
    if (!/^\d+$/.test(ms) || Number(ms) < 1) throw new InputError(`--max-states must be a positive whole number, got '${typed(ms)}'`);
    if (!Number.isSafeInteger(Number(ms))) throw new InputError(`--max-states ${typed(ms)} is too large (at most ${Number.MAX_SAFE_INTEGER.toLocaleString('en-US')}; one search stores at most about 1.6 billion states anyway)`);
    maxStates = Number(ms);
  }
  const mm = flagString(p, 'max-memory');
  let maxMemory = DEFAULT_MAX_MEMORY;
  if (mm !== undefined) {
    maxMemory = parseBytes(mm);
    const problem = userBudgetProblem(maxMemory);
    if (problem === 'malformed') throw new InputError(`--max-memory must be a size like 512M, 8G or 1.5GiB, or a number of bytes (no exponents), got '${typed(mm)}'`);
    if (problem === 'small') throw new InputError(`--max-memory must be a size of at least 1M (like 512M or 8G), got '${typed(mm)}'`);
    if (problem === 'large') throw new InputError(`--max-memory ${typed(mm)} is more than this machine's ${machineMemoryText()}`);
  }
  const mt = flagString(p, 'max-time');
  let maxTimeMs: number | undefined;
  if (mt !== undefined) {
    maxTimeMs = parseDuration(mt);
    const problem = userDurationProblem(maxTimeMs);
    if (problem === 'long') throw new InputError(`--max-time ${typed(mt)} is too long to be a time budget`);
    if (problem === 'short') throw new InputError(`--max-time ${typed(mt)} is under a millisecond: a search needs at least 1ms`);
    if (problem === 'malformed') throw new InputError(`--max-time must be a duration like 90s, 10m or 2h (a bare number is seconds), got '${typed(mt)}'`);
  }
  return { maxStates, maxMemory, ...(maxTimeMs !== undefined ? { maxTimeMs } : {}) };
}
