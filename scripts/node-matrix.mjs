// The test suite on every supported Node release line, as `npm test` runs it.
//
// Which versions: the release lines in package.json `engines.node` (written `^N.0.0 || …`), or
// HARDFS_NODE_MATRIX=22,26 to choose. What each runs:
//  - the Node running this script: the full suite with coverage (the thresholds of
//    vitest.config.ts apply), whether or not its line is in the list;
//  - every other listed line, fetched from the npm registry as the `node` package
//    (npx -y node@N): the full suite without coverage.
// Runs go in parallel lanes (HARDFS_MATRIX_JOBS, default: one per core, at most the number of
// runs), each vitest with its share of the cores as workers, longest run first. Test file
// filters given as arguments are passed to every run, and then no run collects coverage
// (thresholds mean nothing for a subset).
//
// A version that cannot be fetched is reported as SKIPPED, never as passed; it fails the run
// only with HARDFS_MATRIX_STRICT=1. A version whose tests fail fails the run, and the summary
// at the end names the failed tests, so the tail of a CI log says what broke.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, chmodSync, createWriteStream, linkSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs');
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
const filters = process.argv.slice(2);
const coverage = filters.length === 0 && process.env.HARDFS_COVERAGE !== '0';
const strict = process.env.HARDFS_MATRIX_STRICT === '1';

function engineLines() {
  const range = pkg.engines?.node ?? '';
  const lines = [...range.matchAll(/\^(\d+)\.0\.0/g)].map((match) => match[1]);
  if (lines.length === 0 || range.split('||').length !== lines.length) {
    throw new Error(`engines.node is "${range}": list the supported release lines as "^N.0.0 || ^M.0.0"`);
  }
  return lines;
}

const supported = engineLines();
const listed = (process.env.HARDFS_NODE_MATRIX ?? supported.join(',')).split(',').map((v) => v.trim()).filter(Boolean);
const localMajor = process.versions.node.split('.')[0];
const work = mkdtempSync(join(tmpdir(), 'hardfs-matrix-'));
// The fetched binaries are linked (or copied) here, in a directory only we can write and
// everyone can traverse: tests that run a script as a second local user spawn process.execPath,
// and npx's cache is under a home directory that user cannot enter.
chmodSync(work, 0o755);

const runs = [{ version: localMajor, binary: process.execPath, actual: process.version, coverage, local: true, supported: supported.includes(localMajor) }];
const summary = [];
for (const version of listed) {
  if (version === localMajor) continue;
  const probe = spawnSync(npx, ['-y', `node@${version}`, '-p', 'process.version + "\\n" + process.execPath'], { encoding: 'utf8', timeout: 600_000 });
  const [actual, path] = (probe.stdout ?? '').trim().split('\n').slice(-2);
  if (probe.status !== 0 || !path) {
    const messages = `${probe.error?.message ?? ''}\n${probe.stderr ?? ''}`.split('\n').map((line) => line.trim());
    const reason = messages.find((line) => line && !line.includes('A complete log')) ?? `exit ${probe.status}`;
    summary.push({ version, line: `node ${version}: SKIPPED (could not fetch node@${version}: ${reason})`, skipped: true });
    continue;
  }
  const binary = join(work, `node-${actual}${process.platform === 'win32' ? '.exe' : ''}`);
  try {
    linkSync(realpathSync(path), binary);
  } catch {
    copyFileSync(realpathSync(path), binary);
    chmodSync(binary, 0o755);
  }
  runs.push({ version, binary, actual, coverage: false, local: false, supported: supported.includes(version) });
}

const jobs = Math.max(1, Math.min(runs.length, Number(process.env.HARDFS_MATRIX_JOBS) || availableParallelism()));
const workersPerRun = Math.max(1, Math.floor(availableParallelism() / jobs));
console.log(
  `node-matrix: ${runs.length} run(s) in ${jobs} lane(s), ${workersPerRun} vitest worker(s) each: ` +
    runs.map((run) => `${run.actual}${run.coverage ? ' (with coverage)' : ''}`).join(', ') +
    (filters.length ? `; files: ${filters.join(' ')}` : ''),
);

function noColor() {
  const env = { ...process.env, NO_COLOR: '1' };
  delete env.FORCE_COLOR;
  return env;
}

function execute(run) {
  const report = join(work, `report-${run.actual}.json`);
  const log = join(work, `log-${run.actual}.txt`);
  const args = [
    vitest,
    'run',
    `--maxWorkers=${workersPerRun}`,
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${report}`,
    ...(run.coverage ? ['--coverage'] : []),
    ...filters,
  ];
  const started = Date.now();
  console.log(`node-matrix: Node ${run.actual} started`);
  return new Promise((resolve) => {
    const out = createWriteStream(log);
    const child = spawn(run.binary, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: noColor() });
    child.stdout.pipe(out, { end: false });
    child.stderr.pipe(out, { end: false });
    child.on('close', (status, signal) => {
      out.end(() => resolve({ ...run, status, signal, seconds: (Date.now() - started) / 1000, report, log }));
    });
  });
}

function readReport(path) {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}

function failedTests(report) {
  if (!report) return ['(no JSON report: vitest did not finish)'];
  const lines = [];
  for (const file of report.testResults ?? []) {
    const failed = (file.assertionResults ?? []).filter((test) => test.status === 'failed');
    if (failed.length === 0 && file.status === 'failed') lines.push(`${file.name.replace(root, '')}: ${String(file.message).split('\n')[0]}`);
    for (const test of failed) lines.push(`${file.name.replace(root, '')} > ${test.fullName}: ${String(test.failureMessages?.[0] ?? '').split('\n')[0]}`);
  }
  return lines;
}

const queue = [...runs];
const results = [];
async function lane() {
  for (let run = queue.shift(); run; run = queue.shift()) {
    const result = await execute(run);
    results.push(result);
    const text = readFileSync(result.log, 'utf8').trimEnd().split('\n').filter((line) => !line.startsWith('JSON report written'));
    const passed = result.status === 0;
    // On success the closing lines (counts, duration, coverage summary); on failure more.
    const tail = text.slice(passed ? -(result.coverage ? 16 : 6) : -120);
    console.log(`\n=== Node ${result.actual}${result.coverage ? ', with coverage' : ''}: ${passed ? 'passed' : 'FAILED'} in ${result.seconds.toFixed(0)} s ===`);
    console.log(tail.join('\n'));
  }
}

try {
  await Promise.all(Array.from({ length: jobs }, lane));
} finally {
  const totals = { passed: 0, failed: 0, skipped: 0 };
  for (const result of results.sort((a, b) => Number(a.version) - Number(b.version))) {
    const report = readReport(result.report);
    const counts = report
      ? `${report.numPassedTests} passed, ${report.numFailedTests} failed, ${report.numPendingTests + (report.numTodoTests ?? 0)} skipped`
      : 'no report';
    if (report) {
      totals.passed += report.numPassedTests;
      totals.failed += report.numFailedTests;
      totals.skipped += report.numPendingTests + (report.numTodoTests ?? 0);
    }
    const ok = result.status === 0;
    if (!ok) process.exitCode = 1;
    const what = `${result.coverage ? 'full suite with coverage' : filters.length ? 'selected files' : 'full suite'}${result.local ? ', the Node running npm test' : ''}${result.supported ? '' : ', not a supported line'}`;
    summary.push({
      version: result.version,
      line: `node ${result.version} (${result.actual}, ${what}): ${ok ? 'passed' : result.signal ? `FAILED (${result.signal})` : 'FAILED'} in ${result.seconds.toFixed(0)} s: ${counts}`,
      details: ok ? [] : failedTests(report),
    });
  }
  if (strict && summary.some((entry) => entry.skipped)) process.exitCode = 1;
  summary.sort((a, b) => Number(a.version) - Number(b.version));
  console.log('\nNode matrix:');
  for (const entry of summary) {
    console.log(`  ${entry.line}`);
    for (const detail of entry.details ?? []) console.log(`    ${detail}`);
  }
  rmSync(work, { recursive: true, force: true });
  console.log(`tests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
}
