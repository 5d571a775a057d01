import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Attack and crash tests spawn real child processes and race them; give them room.
    testTimeout: 60_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
