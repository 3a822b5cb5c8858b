/** Thrown when an allocation would take the search past its memory budget. */
export class BudgetExceeded extends Error {}

/**
 * Counts the bytes of the search's big arrays. Every growth asks for the new array's bytes
 * first, so the search stops cleanly before it allocates past the budget, instead of running the
 * machine out of memory.
 */
export class MemoryBudget {
  used = 0;
  peak = 0;
  constructor(readonly limit: number = Number.POSITIVE_INFINITY) {}
  /** Accounts for `bytes` more, or throws BudgetExceeded. */
  reserve(bytes: number): void {
    if (this.used + bytes > this.limit) {
      throw new BudgetExceeded(`memory budget of ${formatBytes(this.limit)} reached (${formatBytes(this.used)} in use, ${formatBytes(bytes)} more needed)`);
    }
    this.used += bytes;
    if (this.used > this.peak) this.peak = this.used;
  }
  release(bytes: number): void { this.used -= bytes; }
}

export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return 'unlimited';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${n.toFixed(n < 10 && i > 0 ? 1 : 0)} ${units[i]}`;
}

/** Parses `512M`, `8G`, `1.5GiB`, `100000000` (bytes). Returns NaN when malformed. */
export function parseBytes(s: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?$/i.exec(s.trim());
  if (!m) return Number.NaN;
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  return Math.floor(Number(m[1]) * mult);
}
