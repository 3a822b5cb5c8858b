/**
 * The width of each column of a text table: the longest cell of that column over `rows`, which
 * all have the first row's number of cells. A loop, not `Math.max(...)` over the rows: a table
 * may have a row per step of a counterexample read from a file, past what a call's arguments hold.
 */
export function columnWidths(rows: readonly (readonly string[])[]): number[] {
  const widths = rows[0].map(() => 0);
  for (const row of rows) for (let i = 0; i < widths.length; i++) if (row[i].length > widths[i]) widths[i] = row[i].length;
  return widths;
}
