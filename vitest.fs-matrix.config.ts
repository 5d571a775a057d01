import { defineConfig } from 'vitest/config';

// The real-filesystem matrix's own files (scripts/test-fs.mjs): tests that `npm test` leaves out,
// named *.fs-matrix.ts so that the default configuration (test/**/*.test.ts) never picks them up.
export default defineConfig({
  test: {
    include: ['test/**/*.fs-matrix.ts'],
    testTimeout: 120_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
