/** Bad input from a user (unknown name, malformed JSON, out-of-range value): one line on stderr, exit 2. */
export class InputError extends Error {}

/**
 * An error message as one line: line breaks (a user's text quoted in it) become spaces, other
 * control characters (a binary file's bytes) '?'. The CLI's stderr and the explorer's JSON
 * errors both say messages this way.
 */
export function oneLine(message: string): string {
  return message.replace(/\s*[\r\n]+\s*/g, ' ').replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '?').trim();
}

/** A user's text cut for a message: at most `max` characters, a longer one ending in "...". */
export function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}

/**
 * A user's value as JSON for an error message: at most `max` characters (longer text is cut and
 * ends in "..."), a BigInt as `3n`, and never a throw (a value JSON.stringify cannot write, too
 * deep or cyclic, is named so).
 */
export function shown(v: unknown, max = 60): string {
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  let s: string;
  try {
    s = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x)) ?? String(v);
  } catch (e) {
    if (e instanceof RangeError) return Array.isArray(v) ? '(an array nested too deeply to show)' : '(a value nested too deeply to show)';
    return `(a value JSON cannot show: ${e instanceof Error ? e.message.split('\n')[0] : String(e)})`;
  }
  return cut(s, max);
}

/**
 * What a thrown value says, for an error message: its `message` when it has one (an Error), else
 * the value as text (`throw null` says null); never a throw itself (a value that cannot be made
 * text, or whose `message` getter throws, is named so).
 */
export function thrownText(e: unknown): string {
  try {
    if (e !== null && typeof e === 'object' && typeof (e as { message?: unknown }).message === 'string') return (e as { message: string }).message;
    return String(e);
  } catch {
    return '(a thrown value that cannot be shown)';
  }
}
