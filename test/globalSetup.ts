/** Vitest's global setup: before any test file runs, dist/ is brought up to date with the sources (test/freshBuild.ts). */
import { ensureFreshBuild } from './freshBuild';

export default function setup(): void {
  ensureFreshBuild();
}
