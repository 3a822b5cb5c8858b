import { readFileSync } from 'node:fs';
import { InputError } from '../errors';
import { jsonSyntaxProblem, parseJson, withoutBom } from '../jsonText';

/**
 * Reads a file, or standard input for `-` / no name (saying so on stderr when it is a terminal,
 * which would otherwise seem to hang). An unreadable file is an InputError.
 */
export function readInput(name: string | undefined): string {
  if ((name === undefined || name === '-') && process.stdin.isTTY) process.stderr.write('dmaown: reading standard input (end it with Ctrl-D)\n');
  try {
    return readFileSync(name === undefined || name === '-' ? 0 : name, 'utf8');
  } catch (e) {
    throw new InputError(`cannot read ${name === undefined || name === '-' ? 'standard input' : `'${name}'`}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
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
