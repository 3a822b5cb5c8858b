import { cut, InputError } from '../errors';

/** A flag a command accepts: `--name VALUE` (or `--name=VALUE`); `list` flags may repeat. */
export interface FlagSpec {
  readonly name: string;
  readonly kind: 'string' | 'list' | 'bool';
}

export interface ParsedArgs {
  readonly flags: Map<string, string[]>;
  readonly positional: string[];
}

/**
 * Parses argv against `specs`; an unknown flag or a missing value is an InputError. A value
 * that looks like an option (`--out --reachable`) is taken for a missing value; a value that
 * starts with `-` on purpose is written `--name=VALUE`.
 */
export function parseArgs(argv: readonly string[], specs: readonly FlagSpec[], command: string): ParsedArgs {
  const byName = new Map(specs.map((s) => [s.name, s] as const));
  const flags = new Map<string, string[]>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-' || !a.startsWith('-')) { positional.push(a); continue; }
    if (a === '--') { positional.push(...argv.slice(i + 1)); break; }
    const eq = a.indexOf('=');
    const name = (eq >= 0 ? a.slice(0, eq) : a).replace(/^--?/, '');
    const spec = byName.get(name);
    if (!spec) throw new InputError(`${command}: unknown option '${a.slice(0, eq >= 0 ? eq : undefined)}' (see 'dmaown ${command} --help')`);
    let value: string;
    if (spec.kind === 'bool') {
      value = eq >= 0 ? a.slice(eq + 1) : 'true';
    } else if (eq >= 0) {
      value = a.slice(eq + 1);
    } else {
      if (i + 1 >= argv.length) throw new InputError(`${command}: option --${name} needs a value`);
      if (/^--?[A-Za-z]/.test(argv[i + 1])) throw new InputError(`${command}: option --${name} needs a value, got the option '${argv[i + 1]}' (write --${name}=VALUE for a value that starts with -)`);
      value = argv[++i];
    }
    const prev = flags.get(name);
    if (prev && spec.kind !== 'list') throw new InputError(`${command}: option --${name} given twice`);
    flags.set(name, [...(prev ?? []), value]);
  }
  return { flags, positional };
}

/** Refuses positional arguments: for a command that takes none (`command` names it in the message). */
export function refuseArguments(p: ParsedArgs, command: string): void {
  if (p.positional.length > 0) throw new InputError(`${command}: unexpected argument '${p.positional[0]}'`);
}

export function flagString(p: ParsedArgs, name: string): string | undefined {
  return p.flags.get(name)?.[0];
}

/** A list flag's values, each also split on commas. */
export function flagList(p: ParsedArgs, name: string): string[] | undefined {
  const v = p.flags.get(name);
  if (!v) return undefined;
  const names = v.flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
  // An empty list (e.g. an unset shell variable) would check nothing and pass: refused.
  if (names.length === 0) throw new InputError(`--${name} names nothing: give one or more names, comma-separated or with --${name} repeated`);
  return names;
}

/** An integer flag within [min, max], or `def` when absent; `range` says the range in the message. */
export function flagInt(p: ParsedArgs, name: string, def: number, min: number, max: number, what = name, range = `${min} to ${max}`): number {
  const s = flagString(p, name);
  if (s === undefined) return def;
  if (!/^-?\d+$/.test(s)) throw new InputError(`--${name} must be a whole number, got '${typed(s)}'`);
  const n = Number(s);
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new InputError(`--${name} ${typed(s)} is out of range: ${what} must be ${range}`);
  return n;
}

/** A value as typed, cut to 40 characters for a message. */
export function typed(s: string): string {
  return cut(s, 40);
}

export function flagChoice<T extends string>(p: ParsedArgs, name: string, choices: readonly T[], def: T): T {
  const s = flagString(p, name);
  if (s === undefined) return def;
  if (!choices.includes(s as T)) throw new InputError(`--${name} must be one of ${choices.join(', ')}, got '${s}'`);
  return s as T;
}
