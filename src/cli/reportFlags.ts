import { accessSync, constants, realpathSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { InputError } from '../errors';
import type { parseArgs } from './args';

/**
 * `--report FORMAT=FILE ...` as (format, file) pairs, FORMAT one of `formats`; a malformed pair,
 * a file named twice (the last report would silently replace the others), or a file that
 * cannot be written (a directory, in a missing or read-only directory: found now, not after a
 * long search) is an InputError naming it.
 */
export function reportFlags<F extends string>(args: ReturnType<typeof parseArgs>, formats: readonly F[]): [F, string][] {
  const files = new Set<string>();
  return (args.flags.get('report') ?? []).map((r) => {
    const eq = r.indexOf('=');
    const fmt = r.slice(0, eq) as F;
    if (eq < 0 || !formats.includes(fmt) || eq === r.length - 1) throw new InputError(`--report must be FORMAT=FILE with FORMAT one of ${formats.join(', ')}, got '${r}'`);
    const file = r.slice(eq + 1);
    if (file === '-') throw new InputError(`--report ${fmt}=-: a report goes to a file; for standard output use --format ${fmt}`);
    const key = fileKey(file);
    if (files.has(key)) throw new InputError(`--report names the file '${file}' twice: each report needs its own file`);
    files.add(key);
    const problem = unwritable(file);
    if (problem) throw new InputError(`--report ${fmt}=${file}: cannot write: ${problem}`);
    return [fmt, file];
  });
}

/**
 * Refuses a report written over one of the command's own input files (`inputs`: a config, shard
 * results), which it would silently replace.
 */
export function refuseReportsOverInputs(reports: readonly [string, string][], inputs: readonly string[]): void {
  for (const [fmt, file] of reports) {
    const key = fileKey(file);
    const input = inputs.find((i) => i !== '-' && fileKey(i) === key);
    if (input !== undefined) throw new InputError(`--report ${fmt}=${file} would write over the input file '${input}': give the report another name`);
  }
}

/**
 * What names one file whatever path reaches it: an existing file's device and inode (so a
 * symbolic or hard link to it is the same file); else the real path of its directory and its name.
 */
function fileKey(file: string): string {
  try {
    const st = statSync(file);
    return `inode ${st.dev}:${st.ino}`;
  } catch {
    try {
      return `path ${join(realpathSync(dirname(resolve(file))), basename(file))}`;
    } catch {
      return `path ${resolve(file)}`;
    }
  }
}

/** Why `file` could not be written, or null: checked without creating or changing it. */
export function unwritable(file: string): string | null {
  const code = (e: unknown) => (e as NodeJS.ErrnoException).code ?? (e as Error).message;
  if (file.endsWith('/')) return 'it names a directory (it ends in /), not a file';
  try {
    if (statSync(file).isDirectory()) return 'it is a directory';
    accessSync(file, constants.W_OK);
    return null;
  } catch (e) {
    if (code(e) !== 'ENOENT') return code(e);
  }
  try {
    const dir = dirname(resolve(file));
    if (!statSync(dir).isDirectory()) return `${dirname(file)} is not a directory`;
    accessSync(dir, constants.W_OK);
    return null;
  } catch (e) {
    return code(e) === 'ENOENT' ? `the directory ${dirname(file)} does not exist` : code(e);
  }
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
