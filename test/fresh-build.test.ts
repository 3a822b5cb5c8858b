/**
 * The tests' check that dist/ matches the sources (test/freshBuild.ts), on a made-up tree: a
 * source not compiled, one changed after it was compiled, and a compiled design or invariant
 * whose source is gone (the CLI lists dist/machines, so it would still offer it) are stale.
 */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { staleReason } from './freshBuild';

describe('staleReason', () => {
  const root = mkdtempSync(join(tmpdir(), 'dmaown-fresh-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const put = (rel: string, seconds: number) => {
    const p = join(root, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, '');
    utimesSync(p, seconds, seconds);
  };

  it('is null when every source has a compiled file at least as new, and names the first mismatch otherwise', () => {
    put('src/cli/main.ts', 1000);
    put('dist/src/cli/main.js', 1000);
    put('machines/v7.ts', 1000);
    put('machines/shared/standard.ts', 1000);
    put('dist/machines/v7.js', 1001);
    put('dist/machines/shared/standard.js', 1001);
    put('src/types.d.ts', 5000);
    expect(staleReason(root)).toBeNull();

    put('invariants/my-invariant.ts', 1000);
    expect(staleReason(root)).toBe(join('invariants', 'my-invariant.ts') + ' is not compiled');
    put('dist/invariants/my-invariant.js', 1000);
    expect(staleReason(root)).toBeNull();

    put('machines/shared/standard.ts', 2000);
    expect(staleReason(root)).toBe(join('machines', 'shared', 'standard.ts') + ' changed after it was compiled');
    put('dist/machines/shared/standard.js', 2000);
    expect(staleReason(root)).toBeNull();

    put('dist/machines/v8-no-eperm.js', 1000);
    expect(staleReason(root)).toBe('dist/machines/v8-no-eperm.js has no source');
  });
});
