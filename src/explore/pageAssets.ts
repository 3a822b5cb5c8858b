import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The explorer page's static files (vanilla HTML, CSS and JS, no build step) live in
 * `src/explore/page/`. The compiled server runs from `dist/src/explore/`, which tsc does not
 * copy them to, so both places are looked in: next to this module first, then the source tree.
 */
const CANDIDATES = [join(__dirname, 'page'), join(__dirname, '..', '..', '..', 'src', 'explore', 'page')];

/** The files served, by URL path, with their content types. Nothing else is served. */
export const PAGE_FILES: Readonly<Record<string, { file: string; type: string }>> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/statechart.js': { file: 'statechart.js', type: 'text/javascript; charset=utf-8' },
};

/** The folder holding the page, or an Error naming where it was looked for. */
export function pageDir(): string {
  const dir = CANDIDATES.find((d) => existsSync(join(d, 'index.html')));
  if (!dir) throw new Error(`explorer page not found (looked in ${CANDIDATES.join(', ')})`);
  return dir;
}

/** Reads one page file (read on every request, so editing the page needs no restart). */
export function readPageFile(name: string): Buffer {
  return readFileSync(join(pageDir(), name));
}
