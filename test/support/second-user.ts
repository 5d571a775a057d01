import { execFileSync, spawn } from 'node:child_process';
import { userInfo } from 'node:os';

/**
 * A second local user for attack tests: the threat model's attacker is another account that
 * can write where we write (a sticky world-writable parent, a shared volume). Tests run as
 * root in CI; there the account is created on first use. Anywhere else the tests that need it
 * are skipped with the reason printed (see `secondUserSkipReason`).
 */
export const SECOND_USER_NAME = 'hardfs-attacker';

export interface SecondUser {
  name: string;
  uid: number;
  gid: number;
}

let cached: SecondUser | string | undefined;

function lookup(): SecondUser | undefined {
  try {
    const uid = Number(execFileSync('id', ['-u', SECOND_USER_NAME], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', SECOND_USER_NAME], { encoding: 'utf8' }).trim());
    return { name: SECOND_USER_NAME, uid, gid };
  } catch {
    return undefined;
  }
}

function resolveSecondUser(): SecondUser | string {
  if (process.platform === 'win32') return 'no POSIX users on Windows';
  if (userInfo().uid !== 0) return 'creating a second local user needs root';
  const existing = lookup();
  if (existing) return existing;
  try {
    execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', SECOND_USER_NAME], {
      stdio: 'pipe',
    });
  } catch (error) {
    // Another test file (its own process) may have created it at the same instant.
    const raced = lookup();
    if (raced) return raced;
    return `useradd failed: ${(error as Error).message.split('\n')[0]}`;
  }
  return lookup() ?? 'useradd succeeded but the user cannot be looked up';
}

/** The second user, or undefined (then `secondUserSkipReason()` says why). */
export function secondUser(): SecondUser | undefined {
  cached ??= resolveSecondUser();
  return typeof cached === 'string' ? undefined : cached;
}

export function secondUserSkipReason(): string | undefined {
  cached ??= resolveSecondUser();
  if (typeof cached !== 'string') return undefined;
  console.warn(`[second-user] skipped: ${cached}`);
  return cached;
}

/**
 * Runs a JavaScript snippet as the second user (`node --input-type=module -e`), with `args` in
 * `process.argv.slice(1)`. Resolves to its stdout; rejects with its stderr on a non-zero exit.
 */
export function runAsSecondUser(script: string, args: string[] = [], timeoutMs = 30_000): Promise<string> {
  const user = secondUser();
  if (!user) return Promise.reject(new Error(`no second user: ${String(cached)}`));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, '--', ...args], {
      uid: user.uid,
      gid: user.gid,
      cwd: '/',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: timeoutMs,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve(stdout);
      else reject(new Error(`second-user script failed (${signal ?? code}): ${stderr.trim()}`));
    });
  });
}
