/**
 * Running the CLI as a user does, for the CLI tests: the compiled `bin/dmaown.js` in a child
 * process, with CI set (no progress line). dist/ is brought up to date before any test file
 * runs (vitest's global setup, test/freshBuild.ts).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'vitest';

export const ROOT = join(__dirname, '..');
export const BIN = join(ROOT, 'bin', 'dmaown.js');

export interface CliRun {
  readonly code: number | null;
  readonly out: string;
  readonly err: string;
}

/** Runs `dmaown ARGS` from the project root, with `input` on standard input. */
export function runCli(args: readonly string[], o: { input?: string; timeoutMs?: number } = {}): CliRun {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, input: o.input, encoding: 'utf8', env: { ...process.env, CI: '1' }, timeout: o.timeoutMs });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Exit code 2 and one line on standard error, `dmaown: ...` matching `pattern`, no stack trace. */
export function expectOneLineError(r: CliRun, pattern: RegExp): void {
  expect(r.code).toBe(2);
  const lines = r.err.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^dmaown: /);
  expect(lines[0]).toMatch(pattern);
  expect(r.err).not.toMatch(/\n\s+at /);
}
