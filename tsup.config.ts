import { defineConfig } from 'tsup';

export default defineConfig([
  {
    entry: {
      index: 'src/index.ts',
      'store/index': 'src/store/index.ts',
      'session-store/index': 'src/session-store/index.ts',
      'session-store/compat/index': 'src/session-store/compat/index.ts',
    },
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    target: 'node20',
    platform: 'node',
    sourcemap: true,
    // Shared chunks: both entry points must use one copy of the primitives (one HardfsError
    // class for instanceof, one KeyedMutex registry), not a bundled copy each.
    splitting: true,
  },
  {
    entry: { 'cli/main': 'src/cli/main.ts' },
    format: ['esm'],
    target: 'node20',
    platform: 'node',
    sourcemap: true,
    banner: { js: '#!/usr/bin/env node' },
  },
]);
