import { writeFileSync } from 'node:fs';
import { InputError } from '../errors';
import type { parseArgs } from './args';

/**
 * `--report FORMAT=FILE ...` as (format, file) pairs, FORMAT one of `formats`; a malformed pair
 * is an InputError naming it.
 */
export function reportFlags<F extends string>(args: ReturnType<typeof parseArgs>, formats: readonly F[]): [F, string][] {
  return (args.flags.get('report') ?? []).map((r) => {
    const eq = r.indexOf('=');
    const fmt = r.slice(0, eq) as F;
    if (eq < 0 || !formats.includes(fmt) || eq === r.length - 1) throw new InputError(`--report must be FORMAT=FILE with FORMAT one of ${formats.join(', ')}, got '${r}'`);
    return [fmt, r.slice(eq + 1)];
  });
}

/** Writes each report, `render(format)` into its file; a file that cannot be written is an InputError. */
export function writeReports<F extends string>(reports: readonly [F, string][], render: (format: F) => string): void {
  for (const [fmt, file] of reports) {
    try {
      writeFileSync(file, render(fmt));
    } catch (e) {
      throw new InputError(`--report ${fmt}=${file}: cannot write: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
}
