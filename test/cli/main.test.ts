import { readFileSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CLI, PROCESS_ONLY, requireBuiltCli, runCli } from './cli-support.js';

requireBuiltCli();

describe('hardfs bin: dispatch, help, version, usage errors', () => {
  // Process-only: about the built file itself, which in-process runs do not use.
  it.skipIf(PROCESS_ONLY)('is an executable node script with a shebang', () => {
    expect(readFileSync(CLI, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(statSync(CLI).mode & 0o111).not.toBe(0);
  });

  it('--help lists every command with an example and exits 0', async () => {
    for (const flag of ['--help', '-h', 'help']) {
      const result = await runCli([flag]);
      expect(result.status).toBe(0);
      for (const command of ['audit <dir>', 'sessions migrate', 'sessions inspect', 'sessions verify', 'sessions export', 'sessions rollback']) {
        expect(result.stdout).toContain(`hardfs ${command}`);
      }
      expect(result.stdout.match(/e\.g\. hardfs /g)?.length).toBe(6);
      expect(result.stdout).toMatch(/Exit status: 0 .* 1 .* 2 /);
    }
  });

  it('each command has its own --help, which needs no arguments', async () => {
    for (const command of [['audit'], ['sessions', 'migrate'], ['sessions', 'inspect'], ['sessions', 'verify'], ['sessions', 'export'], ['sessions', 'rollback']]) {
      const result = await runCli([...command, '--help']);
      expect(result.status).toBe(0);
      expect(result.stdout).toContain(`Usage: hardfs ${command.join(' ')}`);
      expect(result.stdout).toContain('Example:');
    }
    const sessions = await runCli(['sessions', '--help']);
    expect(sessions.status).toBe(0);
    expect(sessions.stdout).toContain('hardfs sessions verify');
  });

  it('--version and -V print the version from package.json', async () => {
    const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const result = await runCli([flag]);
      expect(result.status).toBe(0);
      expect(result.stdout.trim()).toBe(manifest.version);
    }
  });

  it.each([
    [[], /hardfs: missing command/, "Run 'hardfs --help'"],
    [['audti', '/tmp'], /unknown command 'audti' \(did you mean 'audit'\?\)/, "Run 'hardfs --help'"],
    [['--bogus'], /unknown option '--bogus'/, "Run 'hardfs --help'"],
    [['audit'], /hardfs audit: missing <dir>/, "Run 'hardfs audit --help'"],
    [['audit', 'a', 'b'], /unexpected argument 'b'/, "Run 'hardfs audit --help'"],
    [['audit', '/tmp', '--fxi'], /unknown option '--fxi' \(did you mean --fix\?\)/, "Run 'hardfs audit --help'"],
    [['audit', '/tmp', '--json=yes'], /option '--json' does not take a value/, "Run 'hardfs audit --help'"],
    [['sessions'], /missing subcommand/, "Run 'hardfs sessions --help'"],
    [['sessions', 'verfy', 'x'], /unknown subcommand 'verfy' \(did you mean 'verify'\?\)/, "Run 'hardfs sessions --help'"],
    [['sessions', 'migrate', 'x', '--dryrun'], /unknown option '--dryrun' \(did you mean --dry-run\?\)/, "Run 'hardfs sessions migrate --help'"],
    [['sessions', 'inspect'], /missing <store\.json>/, "Run 'hardfs sessions inspect --help'"],
    [['audit', '/tmp', '--max-depth', 'x'], /--max-depth takes an integer of at least 1, got 'x'/, "Run 'hardfs audit --help'"],
    [['audit', '/tmp', '--exclude'], /option '--exclude' needs a value/, "Run 'hardfs audit --help'"],
    [['audit', '/tmp', '--dry-run'], /--dry-run goes with --fix/, "Run 'hardfs audit --help'"],
    [['sessions', 'migrate', 'x', '--keep-backups', '0'], /--keep-backups takes an integer of at least 1/, "Run 'hardfs sessions migrate --help'"],
    [['sessions', 'export'], /missing <store\.json>/, "Run 'hardfs sessions export --help'"],
  ])('usage error %j exits 2 with a hint', async (args, message, hint) => {
    const result = await runCli(args);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toContain(hint);
  });

  it('escapes control characters of arguments echoed in messages', async () => {
    const result = await runCli(['\u001b[31mred']);
    expect(result.status).toBe(2);
    expect(result.stderr).not.toContain('\u001b');
    expect(result.stderr).toContain('\\u001b[31mred');
  });
});
