import { readFileSync } from 'node:fs';
import { defineConfig, type Options } from 'tsup';
import { entryPoints } from './scripts/entry-points.mjs';

// Entry points come from package.json `exports`, by one convention (docs/PACKAGING.md,
// scripts/entry-points.mjs): the subpath "./a/b" is built from src/a/b/index.ts into
// dist/a/b/index.{js,cjs,d.ts,d.cts}, and "." from src/index.ts into dist/index.*. Adding an
// entry point is adding its `exports` entry.
const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { name: string; exports: Record<string, unknown> };
const library = Object.fromEntries(entryPoints(pkg).map((entry) => [entry.name, entry.source]));

const CLI_ENTRY = 'cli/main';
const SHEBANG = '#!/usr/bin/env node\n';

// The bin needs a shebang and the executable bit, but only the bin: a `banner` would put the
// shebang on every chunk of the build it shares with the library.
const cliShebang: NonNullable<Options['plugins']>[number] = {
  name: 'hardfs-cli-shebang',
  renderChunk(code, info) {
    if (info.path.endsWith(`${CLI_ENTRY}.js`) && !code.startsWith('#!')) {
      info.mode = 0o755;
      return { code: SHEBANG + code };
    }
    return undefined;
  },
};

// dist/ is emptied by `npm run build` before tsup starts: the two builds below run concurrently,
// and a `clean` in one of them could delete what the other has just written.
const common = {
  target: 'node20',
  platform: 'node',
  // No source maps in the package: without the sources they would point at files the tarball
  // does not contain, and with them they were most of its size.
  sourcemap: false,
  // One shared chunk per format: every entry point (and the CLI) uses the same copy of the
  // primitives, so there is one HardfsError class per format for instanceof and one
  // KeyedMutex registry.
  splitting: true,
  // stripInternal: what src/ marks `@internal` (constructors behind a factory, test seams) is
  // not part of the published types; scripts/check-docs.mjs fails if any of it remains.
  dts: { entry: library, compilerOptions: { stripInternal: true } },
} satisfies Options;

export default defineConfig([
  {
    ...common,
    // The CLI is built with the ESM library so that it imports the library's chunk instead of
    // bundling a copy of it.
    entry: { ...library, [CLI_ENTRY]: `src/${CLI_ENTRY}.ts` },
    format: ['esm'],
    plugins: [cliShebang],
  },
  {
    ...common,
    entry: library,
    format: ['cjs'],
  },
]);
