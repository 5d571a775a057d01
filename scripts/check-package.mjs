// Package checks on the packed tarball, the way users install it: publint (strict) and
// Are The Types Wrong (ESM, CJS and types resolve for `hardfs` and `hardfs/session-store`),
// then a smoke test that installs the tarball into a temp project, imports both entry points
// from ESM and from CJS, and runs the bin. Exits non-zero on any failure.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'hardfs-pack-'));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';

function step(title, command, args, options = {}) {
  process.stdout.write(`check-package: ${title} … `);
  const result = spawnSync(command, args, { encoding: 'utf8', ...options });
  if (result.status !== 0) {
    console.log('FAILED');
    console.log(result.stdout, result.stderr);
    process.exitCode = 1;
    throw new Error(`${title} failed`);
  }
  console.log('ok');
  return result.stdout;
}

try {
  execFileSync(npm, ['pack', '--silent', '--pack-destination', work], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  const tarball = join(work, readdirSync(work).find((name) => name.endsWith('.tgz')));
  step('publint --strict', npx, ['publint', 'run', tarball, '--strict'], { cwd: root });
  step('attw (node16 profile: ESM + CJS + types for both entry points)', npx, ['attw', tarball, '--profile', 'node16', '--format', 'ascii'], { cwd: root });

  const project = join(work, 'consumer');
  execFileSync('mkdir', ['-p', project]);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, version: '1.0.0' }));
  step('npm install <tarball> into a temp project', npm, ['install', '--no-audit', '--no-fund', '--offline', tarball], { cwd: project });
  writeFileSync(
    join(project, 'esm.mjs'),
    `import { openDir, HardfsError, encodeKey } from 'hardfs';
import { openSessionStore, migrateSessionStoreToDirectory } from 'hardfs/session-store';
import { mkdtempSync } from 'node:fs'; import { tmpdir } from 'node:os'; import { join } from 'node:path';
const dir = mkdtempSync(join(tmpdir(), 'hardfs-esm-'));
const store = await openSessionStore(join(dir, 'sessions.json'), { fsync: false });
await store.update('k', () => ({ updatedAt: 1 }));
if ((await store.getUpdatedAt('k')) !== 1) throw new Error('esm round trip');
await store.close();
if (typeof openDir !== 'function' || typeof migrateSessionStoreToDirectory !== 'function' || encodeKey('A') !== '%41') throw new Error('esm exports');
if (!(new HardfsError('EBADNAME', 'x') instanceof Error)) throw new Error('HardfsError');
console.log('esm ok');`,
  );
  writeFileSync(
    join(project, 'cjs.cjs'),
    `const { openDir, HardfsError } = require('hardfs');
const { openSessionStore } = require('hardfs/session-store');
if (typeof openDir !== 'function' || typeof openSessionStore !== 'function' || typeof HardfsError !== 'function') throw new Error('cjs exports');
console.log('cjs ok');`,
  );
  step('import both entry points from ESM', process.execPath, ['esm.mjs'], { cwd: project });
  step('require both entry points from CJS', process.execPath, ['cjs.cjs'], { cwd: project });
  const version = step('run the bin (npx hardfs --version)', npx, ['--no-install', 'hardfs', '--version'], { cwd: project });
  console.log(`check-package: bin printed ${version.trim()}`);
} catch (error) {
  process.exitCode = 1;
  console.error(String(error instanceof Error ? error.message : error));
} finally {
  rmSync(work, { recursive: true, force: true });
}
