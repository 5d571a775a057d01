// Runs the test suite on Node 22 and Node 24, fetched as the `node` package from the npm
// registry (npx -y node@N). A version that cannot be fetched is reported as SKIPPED, loudly,
// never counted as a pass; a version whose tests fail fails the run.
import { spawnSync } from 'node:child_process';

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
  const run = spawnSync(npx, ['-y', `node@${version}`, vitest, 'run', ...process.argv.slice(2)], { stdio: 'inherit' });
  summary.push(`node ${version} (${actual}): ${run.status === 0 ? 'passed' : 'FAILED'}`);
  if (run.status !== 0) process.exitCode = 1;
}
console.log(`\nNode matrix:\n  ${summary.join('\n  ')}`);
