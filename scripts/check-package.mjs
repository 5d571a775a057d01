// Checks the packed tarball, the way users install it (run by `npm test` after the build):
//  - package.json follows the entry-point convention of docs/PACKAGING.md for every `exports`
//    entry, so adding an entry point is one edit and every check below covers it;
//  - the tarball is at most MAX_TARBALL_BYTES, holds LICENSE, README.md, SECURITY.md and
//    CHANGELOG.md, no tests and no source map that embeds sources;
//  - one runtime (docs/PACKAGING.md): exactly one HardfsError class in dist, in the CommonJS
//    build, and every ESM entry point (.js) and its types (.d.ts) a generated wrapper that only
//    re-exports its .cjs / .d.cts;
//  - publint (strict) and Are The Types Wrong with its default profile (node10, node16 from
//    CJS and from ESM, bundler) for every entry point;
//  - a smoke test: the tarball installed into a temp project, every entry point imported from
//    ESM and required from CJS with the same export names; in one process, `import` and
//    `require` of every entry point give the very same values (one HardfsError class, the same
//    functions); a refusal from hardfs/session-store, required or imported, is thrown by the
//    HardfsError class of hardfs; and the bin run.
// Exits non-zero on any failure and names it.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { entryPoints, expectedPackageFields } from './entry-points.mjs';

// Issue 14's bound (the measured size is in bench/RESULTS.md).
const MAX_TARBALL_BYTES = 200_000;
const REQUIRED_FILES = ['LICENSE', 'README.md', 'SECURITY.md', 'CHANGELOG.md', 'package.json'];
const FORBIDDEN = [
  [/(^|\/)(test|tests|__tests__|coverage|bench)\//, 'test, coverage or bench files'],
  [/\.(test|spec)\.[cm]?[jt]sx?$/, 'a test file'],
  [/(^|\/)src\//, 'TypeScript sources'],
  [/\.tgz$/, 'a tarball'],
];
// How a bundler writes a class named HardfsError: `class HardfsError`, or `HardfsError = class`
// (esbuild), with a numeric suffix when the name is taken twice in one file.
const HARDFS_ERROR_CLASS = /\bclass\s+HardfsError\d*\b|\bHardfsError\d*\s*=\s*(?:\(\s*_class\d*\s*=\s*)?class\b/g;
// What scripts/esm-wrappers.mjs writes, and nothing else: comment lines, then one re-export of
// the entry's own CommonJS file (the names for .js, `*` for .d.ts).
const ESM_WRAPPER = /^(?:\/\/[^\n]*\n)*export \{\n(?: {2}[A-Za-z_$][\w$]*,\n)+\} from '\.\/index\.cjs';\n$/;
const TYPES_WRAPPER = /^(?:\/\/[^\n]*\n)*export \* from '\.\/index\.cjs';\n$/;

const root = new URL('..', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const work = mkdtempSync(join(tmpdir(), 'hardfs-pack-'));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
const failures = [];

function report(title, problems) {
  if (problems.length === 0) {
    console.log(`check-package: ${title} … ok`);
    return;
  }
  console.log(`check-package: ${title} … FAILED`);
  for (const problem of problems) console.log(`  - ${problem}`);
  failures.push(title);
}

function run(title, command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', ...options });
  if (result.status !== 0) {
    report(title, [`exit ${result.status ?? result.signal}`, ...`${result.stdout}\n${result.stderr}`.trim().split('\n')]);
    return undefined;
  }
  report(title, []);
  return result.stdout;
}

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? walk(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

try {
  // 1. package.json against the convention.
  const expected = expectedPackageFields(pkg);
  const fieldProblems = [];
  for (const [field, value] of Object.entries(expected)) {
    if (JSON.stringify(pkg[field]) !== JSON.stringify(value)) {
      fieldProblems.push(`"${field}" is ${JSON.stringify(pkg[field])}; the convention (docs/PACKAGING.md) gives ${JSON.stringify(value)}`);
    }
  }
  for (const field of ['repository', 'bugs', 'homepage', 'license', 'engines']) {
    if (pkg[field] === undefined) fieldProblems.push(`"${field}" is missing`);
  }
  report(`package.json follows the entry-point convention (${entryPoints(pkg).map((e) => e.specifier).join(', ')})`, fieldProblems);

  // 2. The tarball: size and contents.
  const packed = JSON.parse(
    execFileSync(npm, ['pack', '--json', '--pack-destination', work], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }),
  )[0];
  const tarball = join(work, packed.filename);
  const size = statSync(tarball).size;
  const files = packed.files.map((file) => file.path);
  console.log(`check-package: tarball ${(size / 1000).toFixed(1)} kB packed, ${(packed.unpackedSize / 1000).toFixed(1)} kB unpacked, ${files.length} files`);
  report(`tarball at most ${MAX_TARBALL_BYTES / 1000} kB`, size <= MAX_TARBALL_BYTES ? [] : [`${size} bytes; largest files: ${[...packed.files].sort((a, b) => b.size - a.size).slice(0, 5).map((f) => `${f.path} (${f.size})`).join(', ')}`]);
  const contentProblems = REQUIRED_FILES.filter((name) => !files.includes(name)).map((name) => `${name} is missing`);
  for (const file of files) {
    for (const [pattern, what] of FORBIDDEN) if (pattern.test(file)) contentProblems.push(`${file}: ${what}`);
  }
  const extracted = join(work, 'extracted');
  mkdirSync(extracted);
  execFileSync('tar', ['-xzf', tarball, '-C', extracted]);
  const unpacked = join(extracted, 'package');
  const distFiles = walk(join(unpacked, 'dist'));
  for (const file of distFiles.filter((name) => name.endsWith('.map'))) {
    const map = JSON.parse(readFileSync(file, 'utf8'));
    if (Array.isArray(map.sourcesContent) && map.sourcesContent.some((source) => source != null)) {
      contentProblems.push(`${relative(unpacked, file)}: a source map with embedded sources`);
    }
  }
  for (const { specifier, files: entryFiles } of entryPoints(pkg)) {
    for (const file of Object.values(entryFiles)) {
      if (!files.includes(file.slice(2))) contentProblems.push(`${specifier}: ${file} is not in the tarball`);
    }
  }
  for (const bin of Object.values(pkg.bin ?? {})) {
    const text = readFileSync(join(unpacked, bin), 'utf8');
    if (!text.startsWith('#!/usr/bin/env node\n')) contentProblems.push(`${bin}: no "#!/usr/bin/env node" line`);
  }
  report('tarball holds LICENSE, README, SECURITY, CHANGELOG, every entry point, no tests, no embedded sources', contentProblems);

  // 3. One runtime: one HardfsError class, in the CJS build; the ESM files only re-export it.
  const copies = [];
  const runtimeProblems = [];
  for (const file of distFiles.filter((name) => /\.[cm]?js$/.test(name))) {
    const text = readFileSync(file, 'utf8');
    const count = (text.match(HARDFS_ERROR_CLASS) ?? []).length;
    for (let i = 0; i < count; i++) copies.push(relative(unpacked, file));
    if (!file.endsWith('.cjs') && !ESM_WRAPPER.test(text)) runtimeProblems.push(`${relative(unpacked, file)}: not a generated ESM wrapper of ./index.cjs`);
  }
  for (const file of distFiles.filter((name) => name.endsWith('.d.ts'))) {
    if (!TYPES_WRAPPER.test(readFileSync(file, 'utf8'))) runtimeProblems.push(`${relative(unpacked, file)}: not a generated wrapper of ./index.d.cts`);
  }
  for (const { specifier, files: entryFiles } of entryPoints(pkg)) {
    if (!files.includes(entryFiles.esm.slice(2)) || !files.includes(entryFiles.esmTypes.slice(2))) runtimeProblems.push(`${specifier}: no ESM wrapper`);
  }
  if (copies.length !== 1 || !copies[0].endsWith('.cjs')) {
    runtimeProblems.push(`${copies.length} HardfsError classes${copies.length ? ` (${copies.join(', ')})` : ''}; one, in the CommonJS build, is the design`);
  }
  report('one runtime: one HardfsError class, in the CJS build; every ESM entry point and its types a wrapper of it', runtimeProblems);

  // 4. publint and attw.
  run('publint --strict', npx, ['publint', 'run', tarball, '--strict'], { cwd: root });
  const attw = spawnSync(npx, ['attw', tarball, '--format', 'json'], { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 });
  const attwProblems = [];
  let analysis;
  try {
    analysis = JSON.parse(attw.stdout).analysis;
  } catch {
    attwProblems.push(`attw printed no JSON (exit ${attw.status}): ${attw.stderr.trim()}`);
  }
  if (analysis) {
    for (const { subpath } of entryPoints(pkg, { withPackageJson: true })) {
      const resolutions = analysis.entrypoints[subpath]?.resolutions;
      if (!resolutions) attwProblems.push(`${subpath}: not analysed`);
      else {
        for (const kind of ['node10', 'node16-cjs', 'node16-esm', 'bundler']) {
          if (!resolutions[kind]) attwProblems.push(`${subpath}: no ${kind} resolution analysed`);
        }
      }
    }
    if (analysis.problems.length > 0 || attw.status !== 0) {
      const table = spawnSync(npx, ['attw', tarball, '--format', 'ascii'], { cwd: root, encoding: 'utf8' });
      attwProblems.push(...table.stdout.trim().split('\n'));
    }
  }
  report('attw, default profile (node10, node16 CJS and ESM, bundler) for every entry point', attwProblems);

  // 5. Install and use.
  const project = join(work, 'consumer');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, version: '1.0.0' }));
  if (run('npm install <tarball> into a temp project', npm, ['install', '--no-audit', '--no-fund', '--offline', tarball], { cwd: project }) !== undefined) {
    const specifiers = entryPoints(pkg).map((entry) => entry.specifier);
    writeFileSync(
      join(project, 'names.cjs'),
      `const names = {};
for (const specifier of ${JSON.stringify(specifiers)}) names[specifier] = Object.keys(require(specifier)).sort();
console.log(JSON.stringify(names));`,
    );
    writeFileSync(
      join(project, 'names.mjs'),
      `const names = {};
for (const specifier of ${JSON.stringify(specifiers)}) names[specifier] = Object.keys(await import(specifier)).filter((name) => name !== 'default' && name !== 'module.exports').sort();
console.log(JSON.stringify(names));`,
    );
    const cjsNames = run('require every entry point from CJS', process.execPath, ['names.cjs'], { cwd: project });
    const esmNames = run('import every entry point from ESM', process.execPath, ['names.mjs'], { cwd: project });
    if (cjsNames !== undefined && esmNames !== undefined) {
      const cjs = JSON.parse(cjsNames);
      const esm = JSON.parse(esmNames);
      const problems = [];
      for (const specifier of specifiers) {
        if (cjs[specifier].length === 0) problems.push(`${specifier}: exports nothing`);
        const onlyCjs = cjs[specifier].filter((name) => !esm[specifier].includes(name));
        const onlyEsm = esm[specifier].filter((name) => !cjs[specifier].includes(name));
        if (onlyCjs.length || onlyEsm.length) problems.push(`${specifier}: only in CJS [${onlyCjs}], only in ESM [${onlyEsm}]`);
      }
      report('ESM and CJS export the same names for every entry point', problems);
    }
    // One runtime, observed: in one process, require() and import() of every entry point give
    // the very same values (not equal copies), so there is one HardfsError class and one set of
    // in-process lock registries whichever way a dependency loads hardfs.
    writeFileSync(
      join(project, 'identity.mjs'),
      `import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const problems = [];
const rootClass = require(${JSON.stringify(pkg.name)}).HardfsError;
if (typeof rootClass !== 'function') problems.push('${pkg.name} exports no HardfsError');
for (const specifier of ${JSON.stringify(specifiers)}) {
  const required = require(specifier);
  const imported = await import(specifier);
  for (const name of Object.keys(required)) {
    if (imported[name] !== required[name]) problems.push(specifier + ': ' + name + ' from import() is not the one from require()');
  }
  if ('HardfsError' in required && required.HardfsError !== rootClass) problems.push(specifier + ': a second HardfsError class');
}
console.log(JSON.stringify(problems));`,
    );
    const identity = run('import() and require() of every entry point in one process', process.execPath, ['identity.mjs'], { cwd: project });
    if (identity !== undefined) report('... give the same values: one HardfsError class, the same functions (one runtime)', JSON.parse(identity));
    writeFileSync(
      join(project, 'shared.mjs'),
      `import { HardfsError, isHardfsError } from 'hardfs';
import * as imported from 'hardfs/session-store';
import { createRequire } from 'node:module';
import { mkdirSync, mkdtempSync, symlinkSync } from 'node:fs'; import { tmpdir } from 'node:os'; import { join } from 'node:path';
const required = createRequire(import.meta.url)('hardfs/session-store');
const dir = mkdtempSync(join(tmpdir(), 'hardfs-esm-'));
const store = await imported.openSessionStore(join(dir, 'sessions.json'), { fsync: false });
await store.update('k', () => ({ updatedAt: 1 }));
if ((await store.getUpdatedAt('k')) !== 1) throw new Error('round trip through hardfs/session-store failed');
await store.close();
mkdirSync(join(dir, 'elsewhere'));
mkdirSync(join(dir, 'linked'));
symlinkSync(join(dir, 'elsewhere'), join(dir, 'linked', 'sessions.d'));
for (const [how, api] of [['imported', imported], ['required', required]]) {
  try {
    const opened = await api.openSessionStore(join(dir, 'linked', 'sessions.json'), { fsync: false });
    await opened.close();
    throw new Error('a symlinked sessions.d was opened');
  } catch (error) {
    // constructor, not only instanceof: HardfsError's instanceof also accepts a branded copy.
    if (!(error instanceof HardfsError) || error.constructor !== HardfsError || !isHardfsError(error, 'ESYMLINK')) {
      throw new Error('the refusal of the ' + how + ' hardfs/session-store is not thrown by the HardfsError class of hardfs: ' + error);
    }
  }
}
console.log('ok');`,
    );
    run('hardfs/session-store round trip; its refusals (imported and required) are thrown by the HardfsError class of hardfs', process.execPath, ['shared.mjs'], { cwd: project });
    for (const name of Object.keys(pkg.bin ?? {})) {
      const version = run(`run the bin (npx ${name} --version)`, npx, ['--no-install', name, '--version'], { cwd: project });
      if (version !== undefined) console.log(`check-package: ${name} --version printed ${version.trim()}`);
    }
  }
} catch (error) {
  failures.push(String(error instanceof Error ? error.stack : error));
  console.error(error);
} finally {
  rmSync(work, { recursive: true, force: true });
}

if (failures.length > 0) {
  console.log(`check-package: ${failures.length} check(s) failed: ${failures.join('; ')}`);
  process.exitCode = 1;
}
