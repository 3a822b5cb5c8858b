import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Design } from './design';

/** The folder every design's machine lives in (source or compiled). */
export const MACHINES_DIR = join(__dirname, '..', '..', 'machines');

let cache: Promise<Design[]> | null = null;
/** The designs `loadDesigns` loaded, by name: empty until it has resolved once. */
const loaded = new Map<string, Design>();

/**
 * The design of that name in `machines/`, once `loadDesigns` has resolved in this process;
 * undefined before that (see `designsLoaded`), or when there is none. Synchronous.
 */
export function registeredDesign(name: string): Design | undefined {
  return loaded.get(name);
}

/** Whether `loadDesigns` has resolved in this process. */
export const designsLoaded = (): boolean => loaded.size > 0;

/** Every design in `machines/` (each file exports `design`), sorted by name. */
export function loadDesigns(): Promise<Design[]> {
  cache ??= (async () => {
    const files = readdirSync(MACHINES_DIR, { withFileTypes: true })
      .filter((f) => f.isFile() && /\.(ts|js)$/.test(f.name) && !f.name.endsWith('.d.ts'))
      .map((f) => f.name)
      .sort();
    const out: Design[] = [];
    for (const f of files) {
      const mod = (await import(join(MACHINES_DIR, f))) as { design?: Design };
      if (!mod.design) throw new Error(`machines/${f} does not export a 'design'`);
      out.push(mod.design);
    }
    for (const d of out) loaded.set(d.name, d);
    return out.sort((a, b) => a.name.localeCompare(b.name));
  })();
  return cache;
}
