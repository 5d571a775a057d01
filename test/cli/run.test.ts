// runCli (src/cli/run.ts) in-process is what mutation testing runs instead of the bin
// (HARDFS_CLI_IN_PROCESS=1): it must print what the bin prints, byte for byte, and exit the same.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTempDirs } from '../support/tmp.js';
import { checkBuiltCli, runBuiltCli, runCliInProcess } from './cli-support.js';

// Both runners, whatever HARDFS_CLI_IN_PROCESS says: this file compares them.
beforeAll(checkBuiltCli);

describe('runCli in-process and the built bin', () => {
  const tempDir = useTempDirs();

  it.each([
    ['help', ['--help']],
    ['the version', ['--version']],
    ['a command help', ['sessions', 'migrate', '--help']],
    ['a usage error', ['audti', '/tmp']],
    ['a usage error with an escaped argument', ['sessions', 'inspect', 'x', '--\u001bjsn']],
  ])('print the same bytes and exit the same: %s', async (_, args) => {
    const bin = runBuiltCli(args);
    const inProcess = await runCliInProcess(args);
    expect(inProcess).toEqual(bin);
    // Not two empty outputs agreeing: each case prints something.
    expect(bin.stdout.length + bin.stderr.length).toBeGreaterThan(0);
  });

  it('print the same --json inspect of a legacy store, named relative to the given working directory', async () => {
    const base = await tempDir();
    writeFileSync(join(base, 'sessions.json'), JSON.stringify({ 'agent:main:a': { updatedAt: 1_700_000_000_000 }, b: { note: '\u202e' } }), { mode: 0o600 });
    const args = ['sessions', 'inspect', 'sessions.json', '--json'];
    const bin = runBuiltCli(args, { cwd: base });
    const inProcess = await runCliInProcess(args, { cwd: base });
    expect(inProcess).toEqual(bin);
    expect(bin.status).toBe(0);
    expect(JSON.parse(bin.stdout)).toMatchObject({ storePath: join(base, 'sessions.json'), source: 'legacy', count: 2 });
  });

  it('print the same refusal, on stderr and as --json on stdout, for a store that is not there', async () => {
    const base = await tempDir();
    const args = ['sessions', 'verify', 'missing/sessions.json', '--json'];
    const bin = runBuiltCli(args, { cwd: base });
    const inProcess = await runCliInProcess(args, { cwd: base });
    expect(inProcess).toEqual(bin);
    expect(bin.status).toBe(2);
    expect(bin.stderr).toContain(join(base, 'missing'));
    expect((JSON.parse(bin.stdout) as { error: { code: string } }).error.code).toBe('ENOENT');
  });
});
