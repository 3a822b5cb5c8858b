/** Plain-text tables, number formatting and the median for the bench's reports. */

/**
 * A table with the first column left-aligned and the others right-aligned (numbers), except the
 * columns listed in `leftColumns` (text).
 */
export function table(header: readonly string[], rows: readonly (readonly string[])[], leftColumns: readonly number[] = []): string {
  const width = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const left = (i: number) => i === 0 || leftColumns.includes(i);
  const line = (cells: readonly string[]) => cells.map((c, i) => (left(i) ? c.padEnd(width[i]) : c.padStart(width[i]))).join('  ').trimEnd();
  return [line(header), line(width.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** 1234567 -> "1,234,567" */
export function int(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-';
}

/** Seconds with 2 significant decimals below 10 s. */
export function secs(s: number): string {
  if (!Number.isFinite(s)) return '-';
  return s < 10 ? `${s.toFixed(2)} s` : `${s.toFixed(1)} s`;
}

export function rate(statesPerSecond: number): string {
  return Number.isFinite(statesPerSecond) ? `${int(statesPerSecond)}/s` : '-';
}

export function mib(bytes: number): string {
  return Number.isFinite(bytes) ? `${(bytes / 2 ** 20).toFixed(bytes < 10 * 2 ** 20 ? 1 : 0)} MiB` : '-';
}

export function ratio(x: number): string {
  if (!Number.isFinite(x)) return '-';
  if (x >= 100) return `${x.toFixed(0)}x`;
  if (x >= 10) return `${x.toFixed(1)}x`;
  if (x >= 0.01) return `${x.toFixed(2)}x`;
  return `${x.toPrecision(2)}x`;
}

/** The median of a non-empty list (the mean of the two middle values of an even one). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}
