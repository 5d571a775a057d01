import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Attack and crash tests spawn real child processes and race them; give them room.
    testTimeout: 60_000,
    hookTimeout: 30_000,
    pool: 'forks',
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      // The CLI runs as a child process in its tests (its coverage is not collected there);
      // index files are re-exports.
      exclude: ['src/cli/**', 'src/**/index.ts'],
      reporter: ['text-summary', 'json-summary'],
      thresholds: { lines: 95, branches: 90 },
    },
  },
});
