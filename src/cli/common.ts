import { totalmem } from 'node:os';
import { InputError } from '../errors';
import type { Design } from '../iommu/design';
import { loadDesigns } from '../iommu/designRegistry';
import type { Invariant } from '../iommu/invariant';
import { loadInvariants } from '../iommu/invariantRegistry';
import { formatBytes, parseBytes } from '../core/memoryBudget';
import { MAX_DEVICES, MIN_DEVICES } from '../model/vocabulary';
import { flagInt, flagList, flagString, type ParsedArgs } from './args';

export const DEFAULT_DESIGN = 'v7';
export const DEFAULT_DEVICES = 3;
/** Default memory budget: half of this machine's memory (growth doubles arrays, so peaks run higher). */
export const DEFAULT_MAX_MEMORY = Math.floor(totalmem() / 2);

export async function designByName(name: string): Promise<Design> {
  const designs = await loadDesigns();
  const d = designs.find((x) => x.name === name);
  if (!d) throw new InputError(`unknown design '${name}' (known: ${designs.map((x) => x.name).join(', ')})`);
  return d;
}

export async function invariantsByName(names: readonly string[] | undefined): Promise<Invariant[]> {
  const all = await loadInvariants();
  if (!names) return all;
  return names.map((n) => {
    const inv = all.find((i) => i.name === n);
    if (!inv) throw new InputError(`unknown invariant '${n}' (known: ${all.map((i) => i.name).join(', ')})`);
    return inv;
  });
}

export function devicesFlag(p: ParsedArgs): number {
  return flagInt(p, 'devices', DEFAULT_DEVICES, MIN_DEVICES, MAX_DEVICES, 'the number of devices');
}

export function invariantsFlag(p: ParsedArgs): string[] | undefined {
  return flagList(p, 'invariant');
}

/** `--max-states N` (default: none) and `--max-memory SIZE` (default: half the machine's memory). */
export function budgetFlags(p: ParsedArgs): { maxStates?: number; maxMemory: number } {
  const ms = flagString(p, 'max-states');
  let maxStates: number | undefined;
  if (ms !== undefined) {
    if (!/^\d+$/.test(ms) || Number(ms) < 1) throw new InputError(`--max-states must be a positive whole number, got '${ms}'`);
    maxStates = Number(ms);
  }
  const mm = flagString(p, 'max-memory');
  let maxMemory = DEFAULT_MAX_MEMORY;
  if (mm !== undefined) {
    maxMemory = parseBytes(mm);
    if (!Number.isFinite(maxMemory) || maxMemory < 1 << 20) throw new InputError(`--max-memory must be a size of at least 1M (like 512M or 8G), got '${mm}'`);
    if (maxMemory > totalmem()) throw new InputError(`--max-memory ${mm} is more than this machine's ${formatBytes(totalmem())}`);
  }
  return { maxStates, maxMemory };
}
