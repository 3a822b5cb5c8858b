import { readFileSync } from 'node:fs';
import { InputError } from '../errors';

/** Reads a file, or standard input for `-` / no name. An unreadable file is an InputError. */
export function readInput(name: string | undefined): string {
  try {
    return readFileSync(name === undefined || name === '-' ? 0 : name, 'utf8');
  } catch (e) {
    throw new InputError(`cannot read ${name === undefined || name === '-' ? 'standard input' : `'${name}'`}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/**
 * Parses a list of JSON values: one JSON array, one JSON object, or one JSON value per line
 * (blank lines skipped). Malformed JSON is an InputError naming the line.
 */
export function parseJsonList(text: string): unknown[] {
  const trimmed = text.trim();
  if (trimmed === '') return [];
  try {
    const whole = JSON.parse(trimmed) as unknown;
    return Array.isArray(whole) ? whole : [whole];
  } catch {
    // not one JSON document: try one per line
  }
  const out: unknown[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      out.push(JSON.parse(line));
    } catch (e) {
      throw new InputError(`line ${i + 1}: malformed JSON (${(e as Error).message})`);
    }
  });
  return out;
}
