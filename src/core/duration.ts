/** Durations as the CLI and the config file write them (`--max-time`, `maxTime`). */

/** `ms` as the CLI writes durations: whole hours, minutes or seconds where it is one, else milliseconds. */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

/** A duration like "90s", "10m", "1.5h", "500ms" or "30" (seconds) in milliseconds; NaN if malformed. */
export function parseDuration(s: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/i.exec(s.trim());
  if (!m) return Number.NaN;
  const unit = (m[2] ?? 's').toLowerCase() as 'ms' | 's' | 'm' | 'h';
  return Math.round(Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit]);
}

/**
 * What is wrong with a time budget a user gave (`--max-time`, `maxTime`), parsed by
 * parseDuration: 'malformed' (not a duration), 'short' (under a millisecond), 'long' (too many
 * digits to be a number), or null. Each caller words it for where the value came from.
 */
export function userDurationProblem(ms: number): 'malformed' | 'short' | 'long' | null {
  if (Number.isNaN(ms)) return 'malformed';
  if (ms === Number.POSITIVE_INFINITY) return 'long';
  return ms < 1 ? 'short' : null;
}
