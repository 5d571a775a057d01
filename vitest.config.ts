import { readFileSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string };

export default defineConfig({
  // What tsup.config.ts writes into the bin (src/cli/version.ts), for the CLI run from src/.
  define: { HARDFS_PACKAGE_VERSION: JSON.stringify(pkg.version) },
  test: {
    include: ['test/**/*.test.ts'],
    // Attack and crash tests spawn real child processes and race them; give them room.
    testTimeout: 60_000,
    hookTimeout: 30_000,
    pool: 'forks',
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      // The CLI runs as a child process in its tests (its coverage is not collected there;
      // HARDFS_CLI_IN_PROCESS=1 runs it from src/, for mutation testing); index files are
      // re-exports.
      exclude: ['src/cli/**', 'src/**/index.ts'],
      reporter: ['text-summary', 'json-summary'],
      thresholds: { lines: 95, branches: 90 },
    },
  },
});
