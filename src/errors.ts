/** Bad input from a user (unknown name, malformed JSON, out-of-range value): one line on stderr, exit 2. */
export class InputError extends Error {}

/**
 * A user's value as JSON for an error message: at most `max` characters (longer text is cut and
 * ends in "..."), and never a throw (a value nested too deeply for JSON.stringify is named so).
 */
export function shown(v: unknown, max = 60): string {
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    return Array.isArray(v) ? '(an array nested too deeply to show)' : '(a value nested too deeply to show)';
  }
  return s.length > max ? `${s.slice(0, max - 3)}...` : s;
}
