// The snapshot file checked against the files (issue 10 item 13): a snapshot rewritten with the
// current generation never makes loadAll list a key get() has no file for, and verify() — what
// `hardfs sessions verify` calls — reports a snapshot whose values differ from the files.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
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
