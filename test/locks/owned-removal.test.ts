// The two ownership checks behind lock release and takeover bookkeeping, on real files: a name
// is removed only when it still holds our record (token) or our very file (inode), and whatever
// else holds the name — a stranger's record, a symlink, a FIFO, nothing — is left alone.
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, lstatSync, openSync, readFileSync, readdirSync, renameSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDir } from '../../src/index.js';
import { removeIfOwned, removeIfOwnedSync, removeIfSameFileSync } from '../../src/locks/owned-removal.js';
import { MAX_RECORD_BYTES, createOwnerRecord, newToken, serializeOwnerRecord } from '../../src/locks/owner-record.js';
import { caught, useTempDirs } from '../support/tmp.js';

const tempDir = useTempDirs();

const record = (token: string): string => serializeOwnerRecord(createOwnerRecord(token, { pid: process.pid, host: 'here' }));

const TOKEN = 'ab'.repeat(16);
const recordText = (token: string = TOKEN, host = 'elsewhere'): string =>
  serializeOwnerRecord(createOwnerRecord(token, { pid: 4242, host }, 1_000));

const MINE = newToken();

const THEIRS = newToken();

describe('removeIfOwned (by the token read back through the name)', () => {
  it('removes our record, and only ours', async () => {
    const base = await tempDir();
    const dir = await openDir(base);
    writeFileSync(join(base, 'mine.lock'), record(MINE));
    writeFileSync(join(base, 'theirs.lock'), record(THEIRS));
    writeFileSync(join(base, 'garbage.lock'), 'not a record');
    expect(await removeIfOwned(dir, 'mine.lock', MINE)).toEqual({ outcome: 'removed' });
    expect(existsSync(join(base, 'mine.lock'))).toBe(false);
    expect(await removeIfOwned(dir, 'theirs.lock', MINE)).toEqual({ outcome: 'foreign' });
    expect(await removeIfOwned(dir, 'garbage.lock', MINE)).toEqual({ outcome: 'foreign' });
    expect(await removeIfOwned(dir, 'absent.lock', MINE)).toEqual({ outcome: 'missing' });
    expect(readFileSync(join(base, 'theirs.lock'), 'utf8')).toContain(THEIRS);
    await dir.close();
  });

  it('a symlink, a FIFO or an oversized file at the name is foreign, with the reason, and stays', async () => {
    const base = await tempDir();
    const outside = await tempDir();
    writeFileSync(join(outside, 'target'), record(MINE)); // even a link to our record is not ours
    symlinkSync(join(outside, 'target'), join(base, 'link.lock'));
    execFileSync('mkfifo', [join(base, 'fifo.lock')]);
    writeFileSync(join(base, 'big.lock'), 'x'.repeat(MAX_RECORD_BYTES + 1));
    const dir = await openDir(base);
    for (const [name, code] of [['link.lock', 'ESYMLINK'], ['fifo.lock', 'EINSECURE'], ['big.lock', 'ETOOBIG']] as const) {
      const result = await removeIfOwned(dir, name, MINE);
      expect(result.outcome).toBe('foreign');
      expect(result.outcome === 'foreign' ? (result.cause as { code?: string }).code : undefined).toBe(code);
      expect(lstatSync(join(base, name))).toBeDefined();
    }
    expect(readFileSync(join(outside, 'target'), 'utf8')).toContain(MINE);
    await dir.close();
  });
});

describe('removeIfSameFileSync (by the inode of the descriptor we hold)', () => {
  it('removes the name while it holds our file; a replacement or a vanished name is left as found', async () => {
    const base = await tempDir();
    const dir = await openDir(base);
    const path = join(base, 'job.lock');

    writeFileSync(path, record(MINE));
    let fd = openSync(path, 'r');
    expect(removeIfSameFileSync(dir, 'job.lock', fd)).toEqual({ outcome: 'removed' });
    expect(existsSync(path)).toBe(false);
    closeSync(fd);

    writeFileSync(path, record(MINE));
    fd = openSync(path, 'r');
    renameSync(path, join(base, 'aside'));
    writeFileSync(path, record(THEIRS)); // a takeover put its own file at the name
    expect(removeIfSameFileSync(dir, 'job.lock', fd)).toEqual({ outcome: 'foreign' });
    expect(readFileSync(path, 'utf8')).toContain(THEIRS);
    unlinkSync(path);
    symlinkSync(join(base, 'aside'), path); // even a link to our very file is not the name holding it
    expect(removeIfSameFileSync(dir, 'job.lock', fd)).toEqual({ outcome: 'foreign' });
    expect(lstatSync(path).isSymbolicLink()).toBe(true);
    unlinkSync(path);
    expect(removeIfSameFileSync(dir, 'job.lock', fd)).toEqual({ outcome: 'missing' });
    closeSync(fd);
    await dir.close();
  });
});

describe('removeIfOwned / removeIfSameFileSync: errors other than a missing name', () => {
  it('removeIfOwned throws for a name that cannot be read, rather than calling it foreign', async () => {
    const base = await tempDir();
    const dir = await openDir(base);
    const error = await caught(removeIfOwned(dir, '../escape.lock', TOKEN));
    expect(error.code).toBeDefined();
    await dir.close();
  });

  it('removeIfSameFileSync throws for a name that cannot be looked up, rather than calling it missing', async () => {
    const base = await tempDir();
    writeFileSync(join(base, 'job.lock'), recordText());
    const fd = openSync(join(base, 'job.lock'), 'r');
    const dir = await openDir(base);
    try {
      const error = await caught(() => removeIfSameFileSync(dir, '../escape.lock', fd));
      expect(error.code).not.toBe('ENOENT');
      expect(existsSync(join(base, 'job.lock'))).toBe(true);
    } finally {
      closeSync(fd);
      await dir.close();
    }
  });

  it('removeIfSameFileSync leaves another file at the name alone', async () => {
    const base = await tempDir();
    writeFileSync(join(base, 'job.lock'), recordText());
    writeFileSync(join(base, 'other'), recordText());
    const fd = openSync(join(base, 'other'), 'r');
    const dir = await openDir(base);
    expect(removeIfSameFileSync(dir, 'job.lock', fd)).toEqual({ outcome: 'foreign' });
    expect(existsSync(join(base, 'job.lock'))).toBe(true);
    closeSync(fd);
    await dir.close();
  });

  it('a removal through a closed directory handle is an error, not "missing", and the file stays', async () => {
    const base = await tempDir();
    writeFileSync(join(base, 'a.lock'), recordText());
    writeFileSync(join(base, 'b.lock'), recordText());
    const fd = openSync(join(base, 'a.lock'), 'r');
    try {
      let dir = await openDir(base);
      await dir.close();
      expect((await caught(() => removeIfSameFileSync(dir, 'a.lock', fd))).code).toBe('ECLOSED');
      dir = await openDir(base);
      const byToken = removeIfOwned(dir, 'b.lock', TOKEN); // its read is under way
      const closingAgain = dir.close(); // so the close waits for it, and the unlink after it is refused
      expect((await caught(byToken)).code).toBe('ECLOSED');
      await closingAgain;
      expect(readdirSync(base).sort()).toEqual(['a.lock', 'b.lock']);
    } finally {
      closeSync(fd);
    }
  });

  it('the same file removed twice: the first removes it, the second finds it missing', async () => {
    const base = await tempDir();
    writeFileSync(join(base, 'job.lock'), recordText());
    const fd = openSync(join(base, 'job.lock'), 'r');
    const dir = await openDir(base);
    expect(removeIfSameFileSync(dir, 'job.lock', fd)).toEqual({ outcome: 'removed' });
    expect(removeIfSameFileSync(dir, 'job.lock', fd)).toEqual({ outcome: 'missing' });
    expect(existsSync(join(base, 'job.lock'))).toBe(false);
    closeSync(fd);
    await dir.close();
  });
});

describe('removeIfOwnedSync (the exit-handler twin), called directly', () => {
  it('removes our record and reports true; leaves a stranger or garbage and reports false', async () => {
    const base = await tempDir();
    writeFileSync(join(base, 'mine.lock'), recordText());
    writeFileSync(join(base, 'theirs.lock'), recordText('cd'.repeat(16)));
    writeFileSync(join(base, 'garbage.lock'), 'not a record');
    const dir = await openDir(base);
    expect(removeIfOwnedSync(dir, 'mine.lock', TOKEN)).toBe(true);
    expect(existsSync(join(base, 'mine.lock'))).toBe(false);
    expect(removeIfOwnedSync(dir, 'theirs.lock', TOKEN)).toBe(false);
    expect(removeIfOwnedSync(dir, 'garbage.lock', TOKEN)).toBe(false);
    expect(existsSync(join(base, 'theirs.lock'))).toBe(true);
    expect(existsSync(join(base, 'garbage.lock'))).toBe(true);
    await dir.close();
  });

  it('refuses an oversized file with ETOOBIG instead of reading it', async () => {
    const base = await tempDir();
    writeFileSync(join(base, 'big.lock'), 'x'.repeat(MAX_RECORD_BYTES + 1));
    const dir = await openDir(base);
    expect((await caught(() => removeIfOwnedSync(dir, 'big.lock', TOKEN))).code).toBe('ETOOBIG');
    expect(existsSync(join(base, 'big.lock'))).toBe(true);
    await dir.close();
  });
});
