import { totalmem } from 'node:os';

/** The smallest memory budget a search accepts: room for its first arrays and caches. */
export const MIN_MAX_MEMORY = 1 << 20;

/**
 * What is wrong with `bytes` (a parsed size, NaN when malformed) as a budget a user gives:
 * 'malformed' (not a size parseBytes reads), 'small' (below MIN_MAX_MEMORY), 'large' (more than
 * this machine's memory, so the search could run out of memory before the budget stops it), or
 * null. The CLI's `--max-memory` and a config's `maxMemory` both ask it, each with its own wording.
 */
export function userBudgetProblem(bytes: number): 'malformed' | 'small' | 'large' | null {
  if (Number.isNaN(bytes)) return 'malformed';
  if (bytes < MIN_MAX_MEMORY) return 'small';
  return bytes > totalmem() ? 'large' : null;
}

/**
 * Thrown when an allocation would take the search past its memory budget, or past what one
 * search can hold at all (`limitReason`: the whole stop reason then, not a memory budget's).
 */
export class BudgetExceeded extends Error {
  constructor(message: string, readonly limitReason?: string) {
    super(message);
  }
}

/** What a holder charged to a budget is: a model's memo (its decision trees), or caches and buffers of the search. */
export type HolderKind = 'memo' | 'buffers';

/**
 * Counts the bytes of the search's big arrays, and what other holders (a model's decision
 * trees, the search's caches and the worker threads' buffers) report they hold. Every growth of
 * an array asks for the new array's bytes first, so the search stops cleanly before it
 * allocates past the budget, instead of running the machine out of memory; a holder is charged
 * after it grew, between steps of the search.
 */
export class MemoryBudget {
  /** Bytes counted: reserved (arrays) and charged (holders). */
  used = 0;
  /** The most bytes reserved for arrays at any one time (charged holders not included). */
  peak = 0;
  /** Bytes charged to holders now, in all. */
  charged = 0;
  /** Of `charged`, the bytes charged to holders of kind 'buffers'. */
  buffers = 0;
  private readonly holders = new Map<string, number>();
  private readonly bufferHolders = new Set<string>();
  constructor(readonly limit: number = Number.POSITIVE_INFINITY) {}
  /** Accounts for `bytes` more of arrays, or throws BudgetExceeded. */
  reserve(bytes: number): void {
    this.admit(bytes);
    this.used += bytes;
    if (this.used - this.charged > this.peak) this.peak = this.used - this.charged;
  }
  release(bytes: number): void { this.used -= bytes; }
  /**
   * Sets what `holder` (memory allocated outside the search's arrays, such as a model's decision
   * trees) holds now to `bytes`. Throws BudgetExceeded when its growth since the last call takes
   * the total past the limit (the memory is allocated already: the caller stops before it grows
   * further). A holder keeps the kind it was first charged with.
   */
  charge(holder: string, bytes: number, kind: HolderKind = 'memo'): void {
    const before = this.holders.get(holder);
    const delta = bytes - (before ?? 0);
    if (delta > 0) this.admit(delta);
    this.holders.set(holder, bytes);
    if (before === undefined && kind === 'buffers') this.bufferHolders.add(holder);
    this.used += delta;
    this.charged += delta;
    if (this.bufferHolders.has(holder)) this.buffers += delta;
  }
  private admit(bytes: number): void {
    if (this.used + bytes > this.limit) {
      throw new BudgetExceeded(`memory budget of ${formatBytes(this.limit)} reached (${formatBytes(this.used)} in use, ${formatBytes(bytes)} more needed)`);
    }
  }
}

export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return 'unlimited';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${n.toFixed(n < 10 && i > 0 ? 1 : 0)} ${units[i]}`;
}

/** This machine's memory for a message that refuses a larger budget: to the hundredth of a GiB, so never rounded up past the budget refused. */
export function machineMemoryText(): string {
  return `${(Math.floor((totalmem() / 2 ** 30) * 100) / 100).toFixed(2)} GiB`;
}

/** Parses `512M`, `8G`, `1.5GiB`, `100000000` (bytes); no exponents (`1e9`). Returns NaN when malformed. */
export function parseBytes(s: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?$/i.exec(s.trim());
  if (!m) return Number.NaN;
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  return Math.floor(Number(m[1]) * mult);
}
