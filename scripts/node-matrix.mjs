// Runs the test suite on Node 22 and Node 24, fetched as the `node` package from the npm
// registry (npx -y node@N). A version that cannot be fetched is reported as SKIPPED, loudly,
// never counted as a pass; a version whose tests fail fails the run.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const versions = (process.env.HARDFS_NODE_MATRIX ?? '22,24').split(',').filter(Boolean);
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
const vitest = new URL('../node_modules/vitest/vitest.mjs', import.meta.url).pathname;
const summary = [];
for (const version of versions) {
  const probe = spawnSync(npx, ['-y', `node@${version}`, '--version'], { encoding: 'utf8', timeout: 600_000 });
  if (probe.status !== 0) {
    summary.push(`node ${version}: SKIPPED (could not fetch node@${version}: ${(probe.stderr || '').trim().split('\n').pop()})`);
    continue;
  }
  const actual = probe.stdout.trim().split('\n').pop();
  console.log(`\n=== test suite on Node ${actual} ===`);
  // A JSON report beside the console one: the summary at the end names the failed tests, so
  // the tail of a CI log is enough to know what broke.
  const reportDir = mkdtempSync(join(tmpdir(), 'hardfs-matrix-'));
  const report = join(reportDir, 'report.json');
  const run = spawnSync(
    npx,
    ['-y', `node@${version}`, vitest, 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...process.argv.slice(2)],
    { stdio: 'inherit' },
  );
  summary.push(`node ${version} (${actual}): ${run.status === 0 ? 'passed' : 'FAILED'}`);
  if (run.status !== 0) {
    process.exitCode = 1;
    summary.push(...failedTests(report).map((line) => `  ${line}`));
  }
  rmSync(reportDir, { recursive: true, force: true });
}

function failedTests(reportPath) {
  let report;
  try {
    report = JSON.parse(readFileSync(reportPath, 'utf8'));
  } catch {
    return ['(no JSON report: vitest did not finish)'];
  }
  const lines = [];
  for (const file of report.testResults ?? []) {
    const failed = (file.assertionResults ?? []).filter((test) => test.status === 'failed');
    if (failed.length === 0 && file.status === 'failed') lines.push(`${file.name}: ${String(file.message).split('\n')[0]}`);
    for (const test of failed) {
      const reason = String(test.failureMessages?.[0] ?? '').split('\n')[0];
      lines.push(`${file.name} > ${test.fullName}: ${reason}`);
    }
  }
  return lines;
}
console.log(`\nNode matrix:\n  ${summary.join('\n  ')}`);
