import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Invariant } from './invariant';

/** The folder every invariant file lives in (source or compiled). */
export const INVARIANTS_DIR = join(__dirname, '..', '..', 'invariants');

let cache: Promise<Invariant[]> | null = null;
/** The invariants `loadInvariants` loaded, by name: empty until it has resolved once. */
const loaded = new Map<string, Invariant>();

/**
 * The invariant of that name in `invariants/`, once `loadInvariants` has resolved in this
 * process; undefined before that (see `invariantsLoaded`), or when there is none. Synchronous.
 */
export function registeredInvariant(name: string): Invariant | undefined {
  return loaded.get(name);
}

/** Whether `loadInvariants` has resolved in this process. */
export const invariantsLoaded = (): boolean => loaded.size > 0;

/**
 * Every invariant in `invariants/`: each file exports `invariant`. Adding a file adds an
 * invariant; no list to edit. Sorted by rank, then name, so output order is stable.
 */
export function loadInvariants(): Promise<Invariant[]> {
  cache ??= (async () => {
    const files = readdirSync(INVARIANTS_DIR)
      .filter((f) => /\.(ts|js)$/.test(f) && !f.endsWith('.d.ts') && !/^index\./.test(f))
      .sort();
    const out: Invariant[] = [];
    const seen = new Set<string>();
    for (const f of files) {
      const mod = (await import(join(INVARIANTS_DIR, f))) as { invariant?: Invariant };
      const inv = mod.invariant;
      if (!inv || typeof inv.name !== 'string') throw new Error(`invariants/${f} does not export an 'invariant'`);
      if (seen.has(inv.name)) throw new Error(`invariants/${f}: a second invariant named '${inv.name}'`);
      seen.add(inv.name);
      out.push(inv);
    }
    for (const inv of out) loaded.set(inv.name, inv);
    return out.sort((a, b) => (a.rank ?? 100) - (b.rank ?? 100) || a.name.localeCompare(b.name));
  })();
  return cache;
}
