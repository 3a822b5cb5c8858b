/**
 * Vitest's global setup: before any test file runs, and again before each rerun in watch mode,
 * dist/ is brought up to date with the sources (test/freshBuild.ts). It then names the folders
 * it compared in the environment the test processes inherit, so that a search on worker threads
 * started from the TypeScript sources runs the compiled worker (src/parallel/parallelSearch.ts,
 * `startWorker`) instead of registering ts-node in each thread.
 */
import type { TestProject } from 'vitest/node';
import { DIST_FRESH_ENV } from '../src/parallel/parallelSearch';
import { ensureFreshBuild, SOURCE_DIRS } from './freshBuild';

export default function setup(project: TestProject): void {
  ensureFreshBuild();
  process.env[DIST_FRESH_ENV] = SOURCE_DIRS.join(',');
  project.onTestsRerun(() => ensureFreshBuild());
}
