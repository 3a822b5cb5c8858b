import { InputError, thrownText } from './errors';

/** `text` without a leading UTF-8 byte-order mark (editors on some systems write one). */
export function withoutBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Where V8's JSON.parse messages give a position: `... in JSON at position 12`. */
const POSITION = / (?:in|after) JSON at position (\d+)/;

/**
 * What is wrong with JSON `text`, from JSON.parse's error `e`, on one line: V8 quotes the
 * input (newlines and all) in some messages, and gives a character position in others; the
 * quote is dropped and the position given as a line and column (`text` starts at line
 * `firstLine`, column `firstColumn` of its file; a one-line text from line 1 is given a column
 * only).
 */
export function jsonSyntaxProblem(e: unknown, text: string, firstLine = 1, firstColumn = 1): string {
  const message = thrownText(e);
  const at = POSITION.exec(message);
  const quoted = /^(Unexpected token '[^']*'), /.exec(message);
  const what = at ? message.slice(0, at.index) : (quoted ? quoted[1] : message).replace(/\s+/g, ' ').trim();
  const pos = at ? Number(at[1]) : quoted ? firstBadCharacter(text) : -1;
  if (pos < 0) return what;
  const before = text.slice(0, pos).split('\n');
  const line = firstLine === 1 && !text.includes('\n') ? '' : `line ${firstLine + before.length - 1}, `;
  const column = before[before.length - 1].length + (before.length === 1 ? firstColumn : 1);
  return `${line}column ${column}: ${what}`;
}

/**
 * Where JSON `text` first goes wrong, for V8 messages that quote the input instead of giving
 * a position: the shortest prefix whose own error is not just that it ends too early (found by
 * bisection: a prefix that contains the bad character fails on it, one that stops before it
 * fails only at its end). -1 if no prefix shows it.
 */
function firstBadCharacter(text: string): number {
  const bad = (k: number): boolean => {
    const prefix = text.slice(0, k);
    try {
      JSON.parse(prefix);
      return false;
    } catch (e) {
      const m = (e as Error).message;
      if (/end of JSON input/.test(m)) return false;
      const at = POSITION.exec(m);
      return !at || Number(at[1]) < prefix.length;
    }
  };
  if (!bad(text.length)) return -1;
  let lo = 0;
  let hi = text.length;
  while (lo + 1 < hi) {
    const mid = (lo + hi) >>> 1;
    if (bad(mid)) hi = mid;
    else lo = mid;
  }
  return hi - 1;
}

/**
 * Parses JSON a user wrote: a byte-order mark is skipped, and malformed text is an InputError
 * `WHERE: malformed JSON (line L, column C: what)` on one line.
 */
export function parseJson(text: string, where: string, firstLine = 1, firstColumn = 1): unknown {
  const body = withoutBom(text);
  try {
    return JSON.parse(body) as unknown;
  } catch (e) {
    throw new InputError(`${where}: malformed JSON (${jsonSyntaxProblem(e, body, firstLine, firstColumn)})`);
  }
}
