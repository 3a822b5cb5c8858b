import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The CLI tests run dist/: bring it up to date with the sources first (test/freshBuild.ts).
    globalSetup: ['test/globalSetup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Two cores: keep the number of test workers small so the heavier exhaustive tests do not
    // starve each other.
    maxWorkers: 2,
  },
});
