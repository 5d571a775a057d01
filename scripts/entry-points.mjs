// The entry-point convention of docs/PACKAGING.md, in one place for the build (tsup.config.ts),
// the scripts that check the package (check-package.mjs, check-docs.mjs) and typedoc.config.mjs.
// Types: entry-points.d.mts.
//
// An `exports` subpath "./a/b" is built from src/a/b/index.ts into dist/a/b/index.cjs (the code)
// and its declarations dist/a/b/index.d.cts, with an ESM wrapper of each, dist/a/b/index.js and
// dist/a/b/index.d.ts (scripts/esm-wrappers.mjs); "." is src/index.ts and dist/index.*.

/** The package's entry points, in `exports` order. */
export function entryPoints(pkg, { withPackageJson = false } = {}) {
  const list = [];
  for (const subpath of Object.keys(pkg.exports ?? {})) {
    if (subpath === './package.json') {
      if (withPackageJson) list.push({ subpath, specifier: `${pkg.name}/package.json` });
      continue;
    }
    const name = subpath === '.' ? 'index' : `${subpath.slice(2)}/index`;
    list.push({
      subpath,
      specifier: subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`,
      name,
      source: `src/${name}.ts`,
      files: {
        esm: `./dist/${name}.js`,
        esmTypes: `./dist/${name}.d.ts`,
        cjs: `./dist/${name}.cjs`,
        cjsTypes: `./dist/${name}.d.cts`,
      },
    });
  }
  return list;
}

/** The package.json fields the convention fixes, computed from the subpaths of `exports`. */
export function expectedPackageFields(pkg) {
  const exports = {};
  for (const entry of entryPoints(pkg)) {
    exports[entry.subpath] = {
      import: { types: entry.files.esmTypes, default: entry.files.esm },
      require: { types: entry.files.cjsTypes, default: entry.files.cjs },
    };
  }
  exports['./package.json'] = './package.json';
  return {
    exports,
    main: './dist/index.cjs',
    module: './dist/index.js',
    types: './dist/index.d.cts',
    // For TypeScript's moduleResolution node10, which ignores `exports`: "hardfs/x" maps to
    // dist/x/index.d.cts; the fallback "./*" keeps `types` and package.json resolving as
    // themselves (typesVersions also rewrites the path of the `types` field).
    typesVersions: { '*': { '*': ['./dist/*/index.d.cts', './*'] } },
  };
}
