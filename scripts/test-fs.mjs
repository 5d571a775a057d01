#!/usr/bin/env node
// The real-filesystem matrix (`npm run test:fs`): as root, loop-mount small images of xfs,
// btrfs and ext4 and a tmpfs under a temp directory, and run the attack, crash, change-log,
// lock, store and store-limits suites (and the key codec on a case-folding FUSE filesystem
// stacked on the mount) on each, with HARDFS_TEST_FS=<name> and TMPDIR pointing
// into that mount (the temp-dir helpers check that their directories really are on it). Prints
// what passed, failed and was skipped per filesystem and suite; a filesystem that cannot be
// tested here (not root, no mkfs) is reported as skipped with the reason, never as passed.
// Everything mounted is unmounted and removed on every path, interrupts included.
//
//   npm run test:fs                 every filesystem
//   npm run test:fs -- xfs tmpfs    only these (HARDFS_TEST_FS=<name> in the environment works too)
//   HARDFS_TEST_FS_SUITES=lock,store npm run test:fs    only these suites
//
// Exit status: 1 if any suite failed on any filesystem, 0 otherwise (skips included).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { accessSync, chmodSync, constants as fsConstants, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const IMAGE_BYTES = 640 * 1024 * 1024; // sparse; xfs needs at least 300 MiB

const FILESYSTEMS = {
  ext4: { mkfs: 'mkfs.ext4', args: ['-q', '-F'] },
  xfs: { mkfs: 'mkfs.xfs', args: ['-q', '-f'] },
  btrfs: { mkfs: 'mkfs.btrfs', args: ['-q', '-f'] },
  tmpfs: { mkfs: undefined, args: [] },
};

/** Suites: vitest path filters (only those that exist are passed), and whether the matrix-only config runs too. */
const SUITES = {
  attack: { paths: ['test/attack/'] },
  crash: { paths: ['test/crash/'] },
  'change-log': { paths: ['test/change-log'] },
  lock: { paths: ['test/locks/'] },
  store: { paths: ['test/session-store/', 'test/store/'] },
  'store-limits': { paths: ['test/store-limits/'], matrixOnly: true },
  // The key codec on a case-folding FUSE filesystem whose backing directory is on the mount.
  'case-fold': { paths: ['test/keys/case-insensitive-fs'], matrixOnly: true },
};

function log(line) {
  process.stdout.write(`${line}\n`);
}

function has(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

function selected() {
  const fromArgs = process.argv.slice(2).filter((arg) => !arg.startsWith('-'));
  const fromEnv = (process.env.HARDFS_TEST_FS ?? '').split(',').filter(Boolean);
  const names = fromArgs.length > 0 ? fromArgs : fromEnv.length > 0 ? fromEnv : Object.keys(FILESYSTEMS);
  for (const name of names) {
    if (!(name in FILESYSTEMS)) throw new Error(`unknown filesystem ${name} (known: ${Object.keys(FILESYSTEMS).join(', ')})`);
  }
  return names;
}

function selectedSuites() {
  const names = (process.env.HARDFS_TEST_FS_SUITES ?? '').split(',').filter(Boolean);
  const chosen = names.length > 0 ? names : Object.keys(SUITES);
  for (const name of chosen) if (!(name in SUITES)) throw new Error(`unknown suite ${name} (known: ${Object.keys(SUITES).join(', ')})`);
  return chosen;
}

function skipReasonFor(name) {
  if (process.platform !== 'linux') return 'loop and tmpfs mounts are Linux-only';
  if (userInfo().uid !== 0) return 'mounting filesystems needs root';
  const { mkfs } = FILESYSTEMS[name];
  if (mkfs !== undefined && !has(mkfs)) return `${mkfs} is not installed (apt-get install ${name === 'xfs' ? 'xfsprogs' : name === 'btrfs' ? 'btrfs-progs' : 'e2fsprogs'})`;
  if (mkfs !== undefined && !existsSync('/dev/loop-control')) return 'no loop devices (/dev/loop-control)';
  return undefined;
}

// ---- mounts ----------------------------------------------------------------------------------
// The images live on a tmpfs where there is one (sparse: only written blocks take memory). The
// matrix tests each filesystem's semantics — rename, links, O_APPEND, inode reuse, its own fsync
// code — not the durability of a disk under it; with the images on the host's disk, every fsync
// of the crash suites is a real disk flush through the loop device, which can take the suites
// past their time budgets on a busy machine.
function imageRoot() {
  try {
    if (statSync('/dev/shm').isDirectory()) {
      accessSync('/dev/shm', fsConstants.W_OK);
      return '/dev/shm';
    }
  } catch {
    // no tmpfs at /dev/shm: the default temp dir
  }
  return tmpdir();
}
const work = mkdtempSync(join(imageRoot(), 'hardfs-fs-matrix-'));
// Searchable by everyone (not listable): the second local user of the attack tests must reach
// the mounts' tmp directories, as it reaches /tmp.
chmodSync(work, 0o711);
const mounted = [];
let interrupted = false;

function mount(name) {
  const point = join(work, `mnt-${name}`);
  mkdirSync(point);
  const { mkfs, args } = FILESYSTEMS[name];
  if (mkfs === undefined) {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${IMAGE_BYTES},mode=0755`, 'tmpfs', point]);
  } else {
    const image = join(work, `${name}.img`);
    execFileSync('truncate', ['-s', String(IMAGE_BYTES), image]);
    execFileSync(mkfs, [...args, image], { stdio: ['ignore', 'ignore', 'pipe'] });
    // discard: blocks freed in the filesystem are punched out of the sparse image again.
    execFileSync('mount', ['-o', 'loop,discard', image, point]);
  }
  mounted.push(point);
  chmodSync(point, 0o755); // a fresh ext4/xfs/btrfs root is 0755 already; say it for all
  // A /tmp-like directory on it: world-writable and sticky, so the second local user of the
  // attack tests can work there as it does in /tmp.
  const temp = join(point, 'tmp');
  mkdirSync(temp);
  chmodSync(temp, 0o1777);
  return { point, temp };
}

function unmount(point) {
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const result = spawnSync('umount', [point], { stdio: 'pipe' });
    if (result.status === 0) return;
    spawnSync('sleep', ['0.5']);
  }
  spawnSync('umount', ['-l', point], { stdio: 'inherit' }); // lazy, as a last resort
}

function cleanup() {
  while (mounted.length > 0) unmount(mounted.pop());
  rmSync(work, { recursive: true, force: true });
}

let running; // the vitest child in flight

function killGroup(child) {
  if (child?.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    // already gone
  }
}

/** Waits (up to 15 s, then SIGKILL) until no process of the group `pgid` is left. */
async function groupGone(pgid) {
  for (let i = 0; i < 150; i += 1) {
    try {
      process.kill(-pgid, 0);
    } catch {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // gone meanwhile
  }
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  // Stop the suite in flight (a terminal's Ctrl-C reaches it anyway), run no further suite, and
  // let main() unmount and remove everything.
  process.on(signal, () => {
    interrupted = true;
    killGroup(running);
  });
}

// ---- running ---------------------------------------------------------------------------------
async function vitest(filters, { config, temp, name, report }) {
  const args = ['vitest', 'run', ...(config ? ['--config', config] : []), '--reporter=dot', '--reporter=json', `--outputFile.json=${report}`, ...filters];
  const env = { ...process.env, HARDFS_TEST_FS: name, TMPDIR: temp, TEMP: temp, TMP: temp };
  delete env.HARDFS_CRASH_TMPDIR; // the crash suite uses TMPDIR in a matrix run
  // Its own process group, so that an interrupt ends vitest and every worker and fixture process
  // under it before the mount they work in is taken away.
  running = spawn(process.execPath, [join(root, 'node_modules', 'vitest', 'vitest.mjs'), ...args.slice(1)], {
    cwd: root,
    env,
    stdio: 'inherit',
    detached: true,
  });
  const child = running;
  const result = await new Promise((resolve) => child.on('close', (status, signal) => resolve({ status, signal })));
  running = undefined;
  if (interrupted) await groupGone(child.pid);
  let counts = { passed: 0, failed: 0, skipped: 0 };
  let failedNames = [];
  if (existsSync(report)) {
    const json = JSON.parse(readFileSync(report, 'utf8'));
    counts = { passed: json.numPassedTests, failed: json.numFailedTests, skipped: json.numPendingTests + (json.numTodoTests ?? 0) };
    failedNames = json.testResults.flatMap((file) =>
      file.assertionResults.filter((test) => test.status === 'failed').map((test) => `${file.name.replace(`${root}/`, '')} > ${test.fullName}`),
    );
    // A file that failed to load has no assertion results: count it as a failure too.
    for (const file of json.testResults) {
      if (file.status === 'failed' && file.assertionResults.length === 0) {
        counts.failed += 1;
        failedNames.push(`${file.name.replace(`${root}/`, '')} (did not load: ${String(file.message).split('\n')[0]})`);
      }
    }
  } else if (result.status !== 0) {
    counts.failed += 1;
    failedNames.push(`vitest exited with ${result.status ?? result.signal} and wrote no report`);
  }
  return { ...counts, failedNames, exit: result.status };
}

async function runSuite(suite, fs, name) {
  const { paths, matrixOnly } = SUITES[suite];
  const filters = paths.filter((path) => filesUnder(path, '.test.ts').length > 0);
  const total = { passed: 0, failed: 0, skipped: 0, failedNames: [], ms: 0 };
  const started = Date.now();
  const parts = [];
  if (filters.length > 0) parts.push({ filters, config: undefined });
  const matrixFilters = matrixOnly ? paths.filter((path) => filesUnder(path, '.fs-matrix.ts').length > 0) : [];
  if (matrixFilters.length > 0) parts.push({ filters: matrixFilters, config: 'vitest.fs-matrix.config.ts' });
  for (const [index, part] of parts.entries()) {
    const report = join(work, `${name}-${suite}-${index}.json`);
    const outcome = await vitest(part.filters, { config: part.config, temp: fs.temp, name, report });
    total.passed += outcome.passed;
    total.failed += outcome.failed;
    total.skipped += outcome.skipped;
    total.failedNames.push(...outcome.failedNames);
    if (interrupted) break;
  }
  total.ms = Date.now() - started;
  return total;
}

/** Files whose repository path starts with `prefix` (a folder ending in '/', or a name prefix) and ends with `suffix`. */
function filesUnder(prefix, suffix) {
  const folder = prefix.endsWith('/') ? prefix.slice(0, -1) : dirname(prefix);
  const start = prefix.endsWith('/') ? '' : prefix.slice(folder.length + 1);
  if (!existsSync(join(root, folder))) return [];
  return readdirSync(join(root, folder), { recursive: true })
    .map(String)
    .filter((name) => name.startsWith(start) && name.endsWith(suffix));
}

function formatMs(ms) {
  return ms >= 60_000 ? `${(ms / 60_000).toFixed(1)} min` : `${(ms / 1000).toFixed(1)} s`;
}

async function main() {
  const names = selected();
  const suites = selectedSuites();
  if (!existsSync(join(root, 'dist', 'index.js'))) {
    log('test:fs: building dist/ first (the process fixtures import the built package)');
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
  }
  const summary = [];
  const matrixStarted = Date.now();
  try {
    for (const name of names) {
      if (interrupted) break;
      const reason = skipReasonFor(name);
      if (reason !== undefined) {
        summary.push({ name, skipped: reason });
        log(`\n=== ${name}: SKIPPED (${reason})`);
        continue;
      }
      let fs;
      try {
        fs = mount(name);
      } catch (error) {
        const why = String(error.stderr ?? error.message).trim().split('\n')[0];
        summary.push({ name, skipped: `could not be mounted: ${why}` });
        log(`\n=== ${name}: SKIPPED (could not be mounted: ${why})`);
        continue;
      }
      log(`\n=== ${name}: TMPDIR=${fs.temp} (${statSync(fs.temp).dev})`);
      const results = {};
      const started = Date.now();
      for (const suite of suites) {
        if (interrupted) break;
        log(`\n--- ${name} / ${suite}`);
        results[suite] = await runSuite(suite, fs, name);
      }
      summary.push({ name, results, ms: Date.now() - started });
      unmount(mounted.pop());
    }
  } finally {
    cleanup();
  }

  log('\n=== Filesystem matrix: per filesystem and suite (passed / failed / skipped tests, time)');
  let failed = false;
  for (const entry of summary) {
    if (entry.skipped !== undefined) {
      log(`${entry.name.padEnd(6)} SKIPPED: ${entry.skipped}`);
      continue;
    }
    log(`${entry.name.padEnd(6)} (${formatMs(entry.ms)})`);
    for (const [suite, result] of Object.entries(entry.results)) {
      const verdict = result.failed > 0 ? 'FAILED' : result.passed === 0 ? 'NOTHING RAN' : 'passed';
      if (result.failed > 0) failed = true;
      log(`  ${suite.padEnd(13)} ${verdict.padEnd(11)} ${String(result.passed).padStart(4)} passed  ${String(result.failed).padStart(3)} failed  ${String(result.skipped).padStart(3)} skipped  ${formatMs(result.ms)}`);
      for (const test of result.failedNames) log(`      failed: ${test}`);
    }
  }
  log(`matrix time: ${formatMs(Date.now() - matrixStarted)}${interrupted ? ' (interrupted)' : ''}`);
  process.exitCode = failed || interrupted ? 1 : 0;
}

await main();
