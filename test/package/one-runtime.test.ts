// One runtime (docs/PACKAGING.md): the package's code is its CommonJS build, and each ESM entry
// point re-exports it, so that in one process `import` and `require` of any entry point give the
// very same values. Run on the built dist/ by every Node of the matrix: the ESM wrappers rely on
// Node finding the CJS export names (cjs-module-lexer), which a Node line could change.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { entryPoints } from '../../scripts/entry-points.mjs';

const ROOT = new URL('../../', import.meta.url);
const pkg = JSON.parse(readFileSync(new URL('package.json', ROOT), 'utf8')) as { name: string; exports: Record<string, unknown> };

/**
 * For each entry point: its CJS export names, those whose import() value is not the require()
 * value, those only import() has, and those it shares with the root entry point but not as the
 * same value.
 */
function compare(): Record<string, { names: string[]; different: string[]; esmOnly: string[]; notRoots: string[] }> {
  const files = entryPoints(pkg).map((entry) => ({ specifier: entry.specifier, esm: new URL(entry.files.esm, ROOT).href, cjs: new URL(entry.files.cjs, ROOT).pathname }));
  const script = `
    const { createRequire } = await import('node:module');
    const require = createRequire(import.meta.url);
    const result = {};
    const root = require(${JSON.stringify(new URL(entryPoints(pkg)[0]!.files.cjs, ROOT).pathname)});
    for (const { specifier, esm, cjs } of ${JSON.stringify(files)}) {
      const required = require(cjs);
      const imported = await import(esm);
      const names = Object.keys(required);
      result[specifier] = {
        names,
        different: names.filter((name) => imported[name] !== required[name]),
        esmOnly: Object.keys(imported).filter((name) => !names.includes(name)),
        notRoots: names.filter((name) => name in root && imported[name] !== root[name]),
      };
    }
    console.log(JSON.stringify(result));
  `;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  expect(child.stderr).toBe('');
  return JSON.parse(child.stdout) as ReturnType<typeof compare>;
}

describe('one runtime for import and require', () => {
  it('every entry point: import() gives exactly the names of require(), each the very same value, and what it shares with hardfs is the value of hardfs', () => {
    const result = compare();
    expect(Object.keys(result)).toEqual(entryPoints(pkg).map((entry) => entry.specifier));
    for (const [specifier, { names, different, esmOnly, notRoots }] of Object.entries(result)) {
      expect(names.length, specifier).toBeGreaterThan(0);
      expect(different, specifier).toEqual([]);
      expect(esmOnly, specifier).toEqual([]);
      expect(notRoots, specifier).toEqual([]);
    }
    expect(result[pkg.name]?.names).toContain('HardfsError');
  });
});
