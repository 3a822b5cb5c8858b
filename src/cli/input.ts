import { closeSync, openSync, readSync } from 'node:fs';
import { isatty } from 'node:tty';
import { InputError } from '../errors';
import { jsonSyntaxProblem, parseJson, withoutBom } from '../jsonText';

/** The most an input file (or standard input) may hold: far above any shard set or trace. */
export const MAX_INPUT_BYTES = 256 * 2 ** 20;

/** How messages name an input: standard input for `-` / no name, else the file, quoted. */
export function inputName(name: string | undefined): string {
  return name === undefined || name === '-' ? 'standard input' : `'${name}'`;
}

/**
 * Reads a file, or standard input for `-` / no name (saying so on stderr when it is a terminal,
 * which would otherwise seem to hang). An unreadable file, or one past MAX_INPUT_BYTES (such as
 * /dev/zero), is an InputError.
 */
export function readInput(name: string | undefined): string {
  if (name !== undefined && name !== '-') return readInputFile(name, inputName(name));
  // isatty(0), not process.stdin: creating that stream would make fd 0 non-blocking.
  if (isatty(0)) process.stderr.write('dmaown: reading standard input (end it with Ctrl-D)\n');
  return readClosing(() => 0, 'standard input', false);
}

/**
 * Reads the file at `path`, named `what` in messages (e.g. `'dmaown.config.json'`), as
 * `readInput` reads a file: unreadable, or past MAX_INPUT_BYTES, it is an InputError.
 */
export function readInputFile(path: string, what: string): string {
  return readClosing(() => openSync(path, 'r'), what, true);
}

/** Reads the descriptor `open` gives (closed after when `close`), as `readInput` does. */
function readClosing(open: () => number, what: string, close: boolean): string {
  let fd: number | undefined;
  try {
    fd = open();
    return readAll(fd, what);
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`cannot read ${what}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  } finally {
    if (fd !== undefined && close) closeSync(fd);
  }
}

/**
 * Reads `fd` to its end as UTF-8, in blocks. A descriptor left non-blocking by whoever opened
 * it (EAGAIN: a pipe whose writer is slower than us) is waited on, not taken for an error.
 */
function readAll(fd: number, what: string): string {
  const blocks: Uint8Array[] = [];
  const block = new Uint8Array(1 << 16);
  const pause = new Int32Array(new SharedArrayBuffer(4));
  let total = 0;
  for (;;) {
    let n: number;
    try {
      n = readSync(fd, block, 0, block.length, null);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EAGAIN') { Atomics.wait(pause, 0, 0, 10); continue; }
      if ((e as NodeJS.ErrnoException).code === 'EOF') break;
      throw e;
    }
    if (n === 0) break;
    total += n;
    if (total > MAX_INPUT_BYTES) throw new InputError(`${what} holds more than ${MAX_INPUT_BYTES / 2 ** 20} MiB: not an input dmaown reads`);
    blocks.push(block.slice(0, n));
  }
  const all = new Uint8Array(total);
  let at = 0;
  for (const b of blocks) { all.set(b, at); at += b.length; }
  // ignoreBOM: a byte-order mark is kept here and skipped by the JSON readers (jsonText).
  return new TextDecoder('utf-8', { ignoreBOM: true }).decode(all);
}

/**
 * Parses a list of JSON values: one JSON array, one JSON object, or one JSON value per line
 * (blank lines skipped); a byte-order mark is skipped. Malformed JSON is an InputError naming
 * the line: of the line that does not parse when every line is a value of its own, else where
 * the whole document breaks.
 */
export function parseJsonList(text: string): unknown[] {
  const body = withoutBom(text);
  if (body.trim() === '') return [];
  let whole: unknown;
  try {
    whole = JSON.parse(body) as unknown;
  } catch (e) {
    // One document spread over lines (an array, or a first line that is no value by itself):
    // the error is the whole document's. Otherwise the lines are read one value each.
    const first = body.trimStart().split('\n')[0];
    if (first.startsWith('[') || !parses(first)) throw new InputError(`malformed JSON (${jsonSyntaxProblem(e, body)})`);
    const out: unknown[] = [];
    body.split('\n').forEach((line, i) => {
      if (line.trim() !== '') out.push(parseJson(line, `line ${i + 1}`));
    });
    return out;
  }
  return Array.isArray(whole) ? whole : [whole];
}

function parses(line: string): boolean {
  try {
    JSON.parse(line);
    return true;
  } catch {
    return false;
  }
}
