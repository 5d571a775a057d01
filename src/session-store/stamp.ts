import { randomBytes } from 'node:crypto';
import { errnoCode, type SafeDir } from '../index.js';
import { STAMP_FILE } from './layout.js';

/**
 * The coherence stamp: a random token rewritten after every commit (entry first, stamp
 * second). A reader that finds the token it cached knows no commit has finished since; any
 * other token, or none, means reload. Tokens are random rather than counters so that two
 * writers racing on the stamp can never produce a value a reader has already seen.
 * The stamp is not fsynced: after a power loss every process's cache is gone anyway.
 */
export async function readStamp(dir: SafeDir): Promise<string | undefined> {
  try {
    return (await dir.readFile(STAMP_FILE, { maxBytes: 256 })).toString('utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

export async function touchStamp(dir: SafeDir): Promise<string> {
  const token = randomBytes(16).toString('hex');
  await dir.writeFileAtomic(STAMP_FILE, token, { fsync: false });
  return token;
}
