import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Design } from './design';

/** The folder every design's machine lives in (source or compiled). */
export const MACHINES_DIR = join(__dirname, '..', '..', 'machines');

let cache: Promise<Design[]> | null = null;

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
    return out.sort((a, b) => a.name.localeCompare(b.name));
  })();
  return cache;
}
