// The snapshot file checked against the files (issue 10 item 13): a snapshot rewritten with the
// current generation never makes loadAll list a key get() has no file for, and verify() — what
// `hardfs sessions verify` calls — reports a snapshot whose values differ from the files.
import { existsSync, lstatSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openChangeLog, openDir } from '../../src/index.js';
import { entryFileName, openStore } from '../../src/store/index.js';
import { useTempDirs } from '../support/tmp.js';

const tempDir = useTempDirs();

/** Rewrites `.snapshot` keeping its header (the current generation): the body is replaced. */
function forgeSnapshot(dir: string, records: string[]): void {
  const path = join(dir, '.snapshot');
  const bytes = readFileSync(path, 'utf8');
  writeFileSync(path, `${bytes.slice(0, bytes.indexOf('\n'))}\n[${records.join(',')}]`);
}

async function storeWithSnapshot() {
  const dir = join(await tempDir(), 'store');
  const writer = await openStore(dir, { fsync: false });
  await writer.update('a', () => ({ n: 1 }));
  await writer.update('b', () => ({ n: 1 }));
  await writer.close();
  const loader = await openStore(dir, { fsync: false });
  await loader.loadAll(); // a full load saves the snapshot file
  await loader.close();
  return dir;
}

describe('the snapshot file against the entry files', () => {
  it('a forged snapshot listing a key with no file is not used: loadAll and get agree', async () => {
    const dir = await storeWithSnapshot();
    forgeSnapshot(dir, [
      '{"entry":{"n":1},"key":"a","rev":1,"v":1}',
      '{"entry":{"n":1},"key":"b","rev":1,"v":1}',
      '{"entry":{"n":666},"key":"ghost","rev":1,"v":1}',
    ]);
    const warnings: string[] = [];
    const store = await openStore(dir, { fsync: false, logger: { warn: (message) => void warnings.push(message) } });
    const all = await store.loadAll();
    expect(Object.keys(all).sort()).toEqual(['a', 'b']);
    expect(await store.get('ghost')).toBeUndefined();
    expect(warnings.some((message) => message.includes('unusable snapshot'))).toBe(true);
    await store.close();
  });

  it('a forged snapshot missing a key that has a file is not used either', async () => {
    const dir = await storeWithSnapshot();
    forgeSnapshot(dir, ['{"entry":{"n":1},"key":"a","rev":1,"v":1}']);
    const store = await openStore(dir, { fsync: false, logger: { warn: () => undefined } });
    expect(Object.keys(await store.loadAll()).sort()).toEqual(['a', 'b']);
    await store.close();
  });

  it('verify() reports a snapshot value that differs from its file, and reports nothing for a sound store', async () => {
    const dir = await storeWithSnapshot();
    const sound = await openStore(dir, { fsync: false });
    const clean = await sound.verify();
    expect(clean).toMatchObject({ ok: true, entries: 2, snapshotChecked: true, problems: [] });
    await sound.close();
    forgeSnapshot(dir, [
      '{"entry":{"n":1},"key":"a","rev":1,"v":1}',
      '{"entry":{"n":999},"key":"b","rev":7,"v":1}',
    ]);
    const store = await openStore(dir, { fsync: false });
    const report = await store.verify();
    expect(report.ok).toBe(false);
    expect(report.problems).toContainEqual({ kind: 'snapshot-differs', file: entryFileName('b'), detail: 'snapshot holds rev 7, file rev 1' });
    // Details never carry content.
    expect(JSON.stringify(report)).not.toContain('999');
    await store.close();
  });

  it('verify() does not flag files committed after the snapshot (the change log names them)', async () => {
    const dir = await storeWithSnapshot();
    const store = await openStore(dir, { fsync: false });
    await store.update('b', () => ({ n: 2 }));
    await store.update('c', () => ({ n: 1 }));
    expect((await store.verify()).problems).toEqual([]);
    await store.close();
  });
});

describe('verify() against files changed behind the store', () => {
  /** A store with a and b whose cache is warm and whose snapshot is saved; verify then reads only what changed. */
  async function warm() {
    const dir = await storeWithSnapshot();
    const store = await openStore(dir, { fsync: false, logger: { warn: () => undefined } });
    await store.loadAll();
    return { dir, store };
  }

  it('entry files the store would quarantine are reported by code or reason, and left where they are', async () => {
    const { dir, store } = await warm();
    symlinkSync('/etc/passwd', join(dir, entryFileName('link')));
    writeFileSync(join(dir, entryFileName('garbage')), '{"entry": SECRET');
    writeFileSync(join(dir, entryFileName('elsewhere')), '{"entry":{},"key":"other","rev":1,"v":1}\n');
    // A UNIX socket at an entry name: the root refuses it as no regular file.
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(join(dir, entryFileName('sock')), resolve);
    });
    const report = await store.verify().finally(() => new Promise<void>((resolve) => server.close(() => resolve())));
    expect(report.ok).toBe(false);
    const byFile = new Map(report.problems.map((problem) => [problem.file, problem]));
    expect(byFile.get(entryFileName('link'))).toEqual({ kind: 'bad-entry-file', file: entryFileName('link'), detail: 'ESYMLINK' });
    expect(byFile.get(entryFileName('sock'))).toEqual({ kind: 'bad-entry-file', file: entryFileName('sock'), detail: 'EINSECURE' });
    expect(byFile.get(entryFileName('garbage'))?.kind).toBe('bad-entry-file');
    expect(byFile.get(entryFileName('elsewhere'))?.detail).toContain(`expected ${entryFileName('other')}`);
    expect(JSON.stringify(report)).not.toContain('SECRET');
    expect(report.entries).toBe(2);
    expect(existsSync(join(dir, '.quarantine'))).toBe(false);
    expect(lstatSync(join(dir, entryFileName('link'))).isSymbolicLink()).toBe(true);
    await store.close();
  });

  it("a multi-key commit's tombstone on disk counts as no entry and is no problem", async () => {
    const { dir, store } = await warm();
    const id = 'ef'.repeat(12);
    writeFileSync(join(dir, entryFileName('t')), `{"deleted":true,"key":"t","rev":2,"txn":"${id}","v":1,"with":["${entryFileName('t')}"]}\n`);
    expect(await store.verify()).toMatchObject({ ok: true, entries: 2, snapshotChecked: true, problems: [] });
    await store.close();
  });

  it('a file removed behind the store: the cache and the snapshot hold a rev with no entry file; a file added: missing from the snapshot', async () => {
    const { dir, store } = await warm();
    rmSync(join(dir, entryFileName('b')));
    writeFileSync(join(dir, entryFileName('c')), '{"entry":{"n":1},"key":"c","rev":4,"v":1}\n');
    const report = await store.verify();
    expect(report.entries).toBe(2);
    expect(report.problems).toEqual(
      expect.arrayContaining([
        { kind: 'snapshot-differs', file: entryFileName('b'), detail: 'snapshot holds rev 1, no entry file' },
        { kind: 'snapshot-missing', file: entryFileName('c'), detail: 'file rev 4 not in the snapshot' },
        { kind: 'cache-differs', file: entryFileName('b'), detail: 'cache holds rev 1, no entry file' },
      ]),
    );
    expect(report.problems).toHaveLength(3);
    await store.close();
  });

  it('a cache rev that differs from the file is reported with both revs', async () => {
    const { dir, store } = await warm();
    writeFileSync(join(dir, entryFileName('a')), '{"entry":{"n":5},"key":"a","rev":5,"v":1}\n');
    const report = await store.verify();
    expect(report.problems).toContainEqual({ kind: 'cache-differs', file: entryFileName('a'), detail: 'cache holds rev 1, file rev 5' });
    await store.close();
  });

  it('an unusable snapshot body is one bad-snapshot problem; the entry files are still compared', async () => {
    const dir = await storeWithSnapshot();
    const path = join(dir, '.snapshot');
    const header = readFileSync(path, 'utf8').split('\n')[0] as string;
    const store = await openStore(dir, { fsync: false, logger: { warn: () => undefined } });
    await store.loadAll();
    writeFileSync(path, `${header}\n[{"entry":{"n":1},"key":"a","rev":1,"v":1},not json`);
    const report = await store.verify();
    expect(report.entries).toBe(2);
    expect(report.problems).toHaveLength(1);
    expect(report.problems[0]).toMatchObject({ kind: 'bad-snapshot', file: '.snapshot' });
    await store.close();
  });

  it('a snapshot no new process would use (the log says everything changed since) is not compared', async () => {
    const dir = await storeWithSnapshot();
    const handle = await openDir(dir);
    const log = await openChangeLog(handle, '.changes');
    await log.append('*');
    await log.close();
    await handle.close();
    writeFileSync(join(dir, entryFileName('a')), '{"entry":{"n":5},"key":"a","rev":5,"v":1}\n');
    const store = await openStore(dir, { fsync: false, logger: { warn: () => undefined } });
    expect(await store.verify()).toMatchObject({ ok: true, entries: 2, snapshotChecked: false, problems: [] });
    await store.close();
  });
});

describe('verify() against the snapshot, field by field', () => {
  it('a store without a snapshot (an empty one saves none) says the snapshot was not checked', async () => {
    const dir = join(await tempDir(), 'store');
    const store = await openStore(dir, { fsync: false });
    expect(await store.verify()).toStrictEqual({ ok: true, entries: 0, snapshotChecked: false, problems: [] });
    expect(existsSync(join(dir, '.snapshot'))).toBe(false);
    await store.close();
  });

  it('a snapshot record with the file’s content but another rev differs', async () => {
    const dir = await storeWithSnapshot();
    forgeSnapshot(dir, ['{"entry":{"n":1},"key":"a","rev":3,"v":1}', '{"entry":{"n":1},"key":"b","rev":1,"v":1}']);
    const store = await openStore(dir, { fsync: false, logger: { warn: () => undefined } });
    const problems = (await store.verify()).problems.filter((problem) => problem.kind.startsWith('snapshot'));
    expect(problems).toEqual([{ kind: 'snapshot-differs', file: entryFileName('a'), detail: 'snapshot holds rev 3, file rev 1' }]);
    await store.close();
  });

  it('a snapshot record with the file’s rev but other content differs', async () => {
    const dir = await storeWithSnapshot();
    forgeSnapshot(dir, ['{"entry":{"n":1},"key":"a","rev":1,"v":1}', '{"entry":{"n":42},"key":"b","rev":1,"v":1}']);
    const store = await openStore(dir, { fsync: false, logger: { warn: () => undefined } });
    const report = await store.verify();
    expect(report.problems).toEqual([{ kind: 'snapshot-differs', file: entryFileName('b'), detail: 'snapshot holds rev 1, file rev 1' }]);
    expect(JSON.stringify(report)).not.toContain('42');
    await store.close();
  });

  it('files the change log names since the snapshot are skipped, the others are still compared', async () => {
    const dir = await storeWithSnapshot();
    const writer = await openStore(dir, { fsync: false });
    await writer.update('b', () => ({ n: 2 })); // a change record names b
    await writer.close();
    forgeSnapshot(dir, ['{"entry":{"n":1},"key":"a","rev":9,"v":1}', '{"entry":{"n":1},"key":"b","rev":1,"v":1}']);
    const store = await openStore(dir, { fsync: false, logger: { warn: () => undefined } });
    const report = await store.verify();
    expect(report.snapshotChecked).toBe(true);
    expect(report.problems.filter((problem) => problem.kind.startsWith('snapshot'))).toEqual([
      { kind: 'snapshot-differs', file: entryFileName('a'), detail: 'snapshot holds rev 9, file rev 1' },
    ]);
    await store.close();
  });

  it('a change record that cannot be parsed makes the snapshot one no new process would use: not compared', async () => {
    const dir = await storeWithSnapshot();
    const handle = await openDir(dir);
    const log = await openChangeLog(handle, '.changes');
    await log.append('not/a/record');
    await log.close();
    await handle.close();
    forgeSnapshot(dir, ['{"entry":{"n":1},"key":"a","rev":9,"v":1}', '{"entry":{"n":1},"key":"b","rev":1,"v":1}']);
    const store = await openStore(dir, { fsync: false, logger: { warn: () => undefined } });
    expect(await store.verify()).toMatchObject({ ok: true, snapshotChecked: false, problems: [] });
    await store.close();
  });

  it('a tombstone is not counted as an entry', async () => {
    const dir = await storeWithSnapshot();
    const id = 'ef'.repeat(12);
    writeFileSync(join(dir, entryFileName('t')), `{"deleted":true,"key":"t","rev":2,"txn":"${id}","v":1,"with":["${entryFileName('t')}"]}\n`);
    const store = await openStore(dir, { fsync: false, logger: { warn: () => undefined } });
    expect(await store.verify()).toMatchObject({ ok: true, entries: 2, problems: [] });
    await store.close();
  });

  it('an entry file over maxEntryBytes is a bad entry file, reported by code', async () => {
    const dir = join(await tempDir(), 'store');
    const store = await openStore(dir, { fsync: false, maxEntryBytes: 200, logger: { warn: () => undefined } });
    await store.update('a', () => ({ n: 1 }));
    await store.loadAll(); // warm: the load would quarantine the file verify is to report
    writeFileSync(join(dir, entryFileName('big')), `{"entry":{"s":"${'x'.repeat(300)}"},"key":"big","rev":1,"v":1}\n`);
    const report = await store.verify();
    expect(report.problems).toContainEqual({ kind: 'bad-entry-file', file: entryFileName('big'), detail: 'ETOOBIG' });
    await store.close();
  });
});

describe('verify() after the change log was rotated', () => {
  it('a snapshot of an older log generation is not compared (a new process would not use it)', async () => {
    const dir = await storeWithSnapshot();
    const old = readFileSync(join(dir, '.snapshot'), 'utf8');
    const store = await openStore(dir, { fsync: false, logger: { warn: () => undefined } });
    await store.loadAll();
    const handle = await openDir(dir);
    const log = await openChangeLog(handle, '.changes');
    await log.rotate();
    await log.close();
    await handle.close();
    expect((await store.verify()).ok).toBe(true); // the store follows the new generation
    // Put back a snapshot of the old generation, with a body that differs from the files.
    writeFileSync(join(dir, '.snapshot'), old);
    forgeSnapshot(dir, ['{"entry":{"n":1},"key":"a","rev":9,"v":1}', '{"entry":{"n":1},"key":"b","rev":1,"v":1}']);
    const report = await store.verify();
    expect(report.problems.filter((problem) => problem.kind.startsWith('snapshot'))).toEqual([]);
    expect(report.snapshotChecked).toBe(false);
    await store.close();
  });
});
