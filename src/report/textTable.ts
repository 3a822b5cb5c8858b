/**
 * The lines of a plain-text table: each row's cells joined by two spaces, every cell but the
 * last padded to its column's widest (at the end, or at the start in the columns `rightAligned`
 * names), trailing spaces trimmed, each line after `indent`. Every row has the first row's
 * number of cells. Widths are found with a loop, not `Math.max(...)` over the rows: a table may
 * have a row per step of a counterexample read from a file, past what a call's arguments hold.
 */
export function textTable(rows: readonly (readonly string[])[], indent = '', rightAligned: (column: number) => boolean = () => false): string[] {
  const widths = rows[0].map(() => 0);
  for (const row of rows) for (let i = 0; i < widths.length; i++) if (row[i].length > widths[i]) widths[i] = row[i].length;
  const last = widths.length - 1;
  return rows.map((row) => indent + row.map((c, i) => (i === last ? c : rightAligned(i) ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd());
}
