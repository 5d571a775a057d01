// `npm run docs`: the API reference, generated from the TSDoc in src/ into docs/api/
// (gitignored). One module per package.json `exports` entry, by the convention of
// docs/PACKAGING.md, so a new entry point is documented without touching this file.
import { readFileSync } from 'node:fs';
import { entryPoints } from './scripts/entry-points.mjs';

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));

/** @type {Partial<import('typedoc').TypeDocOptions>} */
export default {
  name: pkg.name,
  entryPoints: entryPoints(pkg).map((entry) => entry.source),
  tsconfig: './tsconfig.docs.json',
  plugin: ['./scripts/typedoc-module-names.mjs'],
  out: 'docs/api',
  readme: 'README.md',
  excludePrivate: true,
  excludeInternal: true,
  includeVersion: true,
  sourceLinkTemplate: 'https://github.com/hardfs/hardfs/blob/main/{path}#L{line}',
  validation: { notExported: true, invalidLink: true, notDocumented: false },
};
