// The entry-point convention (scripts/entry-points.mjs) that the build, the package checks and
// the docs all derive from package.json `exports`.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { entryPoints, expectedPackageFields, type EntryPoint } from '../../scripts/entry-points.mjs';
import { fcParams } from '../support/fc.js';

const segment = fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/);
const subpath = fc.array(segment, { minLength: 1, maxLength: 3 }).map((parts) => `./${parts.join('/')}`);
const exportsKeys = fc
  .uniqueArray(subpath, { maxLength: 6 })
  .chain((subpaths) => fc.shuffledSubarray(['.', './package.json', ...subpaths], { minLength: 1 + subpaths.length }));

function pkgWith(keys: string[]) {
  return { name: 'pkg', exports: Object.fromEntries(keys.map((key) => [key, {}])) };
}

/** What TypeScript's typesVersions substitution gives for a node10 import of `subpath`. */
function typesVersionsCandidates(mapping: string[], request: string): string[] {
  return mapping.map((candidate) => candidate.replace('*', request));
}

describe('entry points from package.json exports', () => {
  it('one entry per subpath but ./package.json, in exports order, with every path derived from the subpath', () => {
    fc.assert(
      fc.property(exportsKeys, (keys) => {
        const entries = entryPoints(pkgWith(keys));
        expect(entries.map((entry) => entry.subpath)).toEqual(keys.filter((key) => key !== './package.json'));
        for (const entry of entries) {
          const base = entry.subpath === '.' ? 'index' : `${entry.subpath.slice(2)}/index`;
          expect(entry.name).toBe(base);
          expect(entry.source).toBe(`src/${base}.ts`);
          expect(entry.specifier).toBe(entry.subpath === '.' ? 'pkg' : `pkg/${entry.subpath.slice(2)}`);
          expect(entry.files).toEqual({
            esm: `./dist/${base}.js`,
            esmTypes: `./dist/${base}.d.ts`,
            cjs: `./dist/${base}.cjs`,
            cjsTypes: `./dist/${base}.d.cts`,
          });
        }
      }),
      fcParams(),
    );
  });

  it('the expected exports map each subpath to its files, ./package.json last', () => {
    fc.assert(
      fc.property(exportsKeys, (keys) => {
        const pkg = pkgWith(keys);
        const expected = expectedPackageFields(pkg);
        const entries = entryPoints(pkg);
        expect(Object.keys(expected.exports)).toEqual([...entries.map((entry) => entry.subpath), './package.json']);
        for (const entry of entries) {
          expect(expected.exports[entry.subpath]).toEqual({
            import: { types: entry.files.esmTypes, default: entry.files.esm },
            require: { types: entry.files.cjsTypes, default: entry.files.cjs },
          });
        }
      }),
      fcParams(),
    );
  });

  it('typesVersions gives every subpath its CJS types first, and keeps `types` and package.json resolving as themselves', () => {
    fc.assert(
      fc.property(exportsKeys, (keys) => {
        const pkg = pkgWith(keys);
        const fields = expectedPackageFields(pkg);
        const mapping = fields.typesVersions['*']?.['*'] ?? [];
        for (const entry of entryPoints(pkg).filter((e): e is EntryPoint => e.subpath !== '.')) {
          expect(typesVersionsCandidates(mapping, entry.subpath.slice(2))[0]).toBe(entry.files.cjsTypes);
        }
        // TypeScript also passes the `types` field and "pkg/package.json" through the mapping.
        expect(typesVersionsCandidates(mapping, fields.types.slice(2))).toContain(fields.types);
        expect(typesVersionsCandidates(mapping, 'package.json')).toContain('./package.json');
      }),
      fcParams(),
    );
  });

  it('lists ./package.json only when asked', () => {
    const pkg = pkgWith(['.', './package.json']);
    expect(entryPoints(pkg, { withPackageJson: true }).map((entry) => entry.specifier)).toEqual(['pkg', 'pkg/package.json']);
    expect(entryPoints(pkg).map((entry) => entry.specifier)).toEqual(['pkg']);
  });
});
