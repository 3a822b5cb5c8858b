import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { InputError } from '../errors';
import type { parseArgs } from './args';

/**
 * `--report FORMAT=FILE ...` as (format, file) pairs, FORMAT one of `formats`; a malformed pair,
 * or a file named twice (the last report would silently replace the others), is an InputError
 * naming it.
 */
export function reportFlags<F extends string>(args: ReturnType<typeof parseArgs>, formats: readonly F[]): [F, string][] {
  const files = new Set<string>();
  return (args.flags.get('report') ?? []).map((r) => {
    const eq = r.indexOf('=');
    const fmt = r.slice(0, eq) as F;
    if (eq < 0 || !formats.includes(fmt) || eq === r.length - 1) throw new InputError(`--report must be FORMAT=FILE with FORMAT one of ${formats.join(', ')}, got '${r}'`);
    const file = r.slice(eq + 1);
    if (files.has(resolve(file))) throw new InputError(`--report names the file '${file}' twice: each report needs its own file`);
    files.add(resolve(file));
    return [fmt, file];
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
