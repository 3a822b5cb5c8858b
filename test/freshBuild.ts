/**
 * The CLI tests run the compiled CLI in dist/, so dist/ must match the sources. `npm test`
 * builds first; a bare `npx vitest` after editing a source would otherwise test the old code.
 * No vitest import here: vitest's global setup (test/globalSetup.ts) runs this before any file.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = join(__dirname, '..');
/** The folders tsconfig.build.json compiles (and `staleReason` compares with dist/). */
export const SOURCE_DIRS = ['src', 'machines', 'invariants', 'bench'];
/** Compiled folders that are listed at run time: an output whose source is gone is still found there. */
const LISTED_DIRS = ['machines', 'invariants'];

function tsFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...tsFiles(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/**
 * Why dist/ does not match the sources (the first reason found), or null when it does: a source
 * without its compiled file, one newer than it, or a compiled design or invariant without its
 * source.
 */
export function staleReason(root = ROOT): string | null {
  for (const d of SOURCE_DIRS) {
    for (const src of tsFiles(join(root, d))) {
      const rel = relative(root, src);
      const out = join(root, 'dist', rel.replace(/\.ts$/, '.js'));
      if (!existsSync(out)) return `${rel} is not compiled`;
      if (statSync(src).mtimeMs > statSync(out).mtimeMs) return `${rel} changed after it was compiled`;
    }
  }
  for (const d of LISTED_DIRS) {
    const dir = join(root, 'dist', d);
    if (!existsSync(dir)) continue;
    for (const e of readdirSync(dir)) {
      if (!e.endsWith('.js')) continue;
      if (!existsSync(join(root, d, e.replace(/\.js$/, '.ts')))) return `dist/${d}/${e} has no source`;
    }
  }
  return null;
}

/** Builds dist/ (`npm run build`, which starts from an empty dist/) when it does not match the sources. */
export function ensureFreshBuild(): void {
  const why = staleReason();
  if (why === null) return;
  const b = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8' });
  if (b.status !== 0) throw new Error(`dist/ was stale (${why}) and npm run build failed:\n${b.stdout}${b.stderr}`);
  const still = staleReason();
  if (still !== null) throw new Error(`dist/ is still stale after npm run build: ${still}`);
}
