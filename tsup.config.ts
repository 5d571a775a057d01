import { readFileSync } from 'node:fs';
import { defineConfig, type Options } from 'tsup';
import { entryPoints } from './scripts/entry-points.mjs';
import { writeEsmWrappers } from './scripts/esm-wrappers.mjs';

// Entry points come from package.json `exports`, by one convention (docs/PACKAGING.md,
// scripts/entry-points.mjs): the subpath "./a/b" is built from src/a/b/index.ts into
// dist/a/b/index.{cjs,d.cts}, and "." from src/index.ts into dist/index.*. Adding an entry
// point is adding its `exports` entry.
const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { name: string; version: string; exports: Record<string, unknown> };
const library = Object.fromEntries(entryPoints(pkg).map((entry) => [entry.name, entry.source]));

const CLI_ENTRY = 'cli/main';
const SHEBANG = '#!/usr/bin/env node\n';

// The bin needs a shebang and the executable bit, but only the bin: a `banner` would put the
// shebang on every chunk of the build it shares with the library.
const cliShebang: NonNullable<Options['plugins']>[number] = {
  name: 'hardfs-cli-shebang',
  renderChunk(code, info) {
    if (info.path.endsWith(`${CLI_ENTRY}.cjs`) && !code.startsWith('#!')) {
      info.mode = 0o755;
      return { code: SHEBANG + code };
    }
    return undefined;
  },
};

// One runtime (docs/PACKAGING.md): the package's code is this one CommonJS build. Every library
// entry point and the CLI share its chunks, so a process holds one HardfsError class and one
// in-process lock registry whether its dependencies `require` hardfs or `import` it. The ESM
// entry points (dist/**/index.js) and their types (dist/**/index.d.ts) are wrappers that
// scripts/esm-wrappers.mjs writes from the built module's export names once the build is done.
export default defineConfig({
  entry: { ...library, [CLI_ENTRY]: `src/${CLI_ENTRY}.ts` },
  format: ['cjs'],
  target: 'node20',
  platform: 'node',
  splitting: true,
  treeshake: true,
  // dist/ is emptied by `npm run build` before tsup starts.
  clean: false,
  // No source maps in the package: without the sources they would point at files the tarball
  // does not contain, and with them they were most of its size.
  sourcemap: false,
  // The CLI prints the version it was built from (src/cli/version.ts).
  define: { HARDFS_PACKAGE_VERSION: JSON.stringify(pkg.version) },
  plugins: [cliShebang],
  // stripInternal: what src/ marks `@internal` (constructors behind a factory, test seams) is
  // not part of the published types; scripts/check-docs.mjs fails if any of it remains.
  dts: { entry: library, compilerOptions: { stripInternal: true } },
  onSuccess: async () => {
    writeEsmWrappers(new URL('.', import.meta.url).pathname);
    return undefined;
  },
});
