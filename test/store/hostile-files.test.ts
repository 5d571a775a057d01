// Files the store meets at its own names (issue 10 items 7, 11, 12): a socket at an entry name
// is a typed refusal and quarantined; a number that parses as Infinity is ECORRUPT at read and
// quarantined; a UTF-8 BOM in an entry never makes an invalid snapshot file.
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { entryFileName, openStore } from '../../src/store/index.js';
import { caught, useTempDirs } from '../support/tmp.js';

const tempDir = useTempDirs();
const servers: Server[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.close();
});

function warningsInto(list: string[]) {
  return { warn: (message: string) => void list.push(message) };
}

describe('what is found at an entry name', () => {
  it.skipIf(process.platform === 'win32')('a UNIX socket: get, update, delete and loadAll never give native ENXIO; it is quarantined', async () => {
    const dir = join(await tempDir(), 'store');
    const warnings: string[] = [];
    const store = await openStore(dir, { fsync: false, logger: warningsInto(warnings) });
    const server = createServer();
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(join(dir, entryFileName('sock')), resolve));
    expect(await store.get('sock')).toBeUndefined();
    expect(existsSync(join(dir, entryFileName('sock')))).toBe(false);
    expect(readdirSync(join(dir, '.quarantine')).some((name) => name.startsWith(entryFileName('sock')))).toBe(true);
    expect(warnings.some((message) => message.includes('quarantined'))).toBe(true);
    // Planted again: update and delete meet it too, and still work.
    const again = createServer();
    servers.push(again);
    await new Promise<void>((resolve) => again.listen(join(dir, entryFileName('sock')), resolve));
    expect(await store.update('sock', () => ({ n: 1 }))).toEqual({ n: 1 });
    expect(await store.delete('sock')).toBe(true);
    await store.close();
  });

  it('1e400 in an entry is ECORRUPT at read and quarantined, never loaded as Infinity', async () => {
    const dir = join(await tempDir(), 'store');
    const store = await openStore(dir, { fsync: false, logger: warningsInto([]) });
    writeFileSync(join(dir, entryFileName('inf')), '{"v":1,"key":"inf","rev":1,"entry":{"updatedAt":1e400}}');
    expect(await store.get('inf')).toBeUndefined();
    expect(await store.loadAll()).toEqual({});
    expect(readdirSync(join(dir, '.quarantine'))).toHaveLength(1);
    // And what the writer refuses, the reader refuses: there is no value that loads but cannot be written back.
    const refused = await caught(store.update('inf', () => ({ updatedAt: Infinity })));
    expect(refused).toBeInstanceOf(TypeError);
    expect(refused.message).toContain('non-finite number at entry.updatedAt'); // names where, by path
    await store.close();
  });

  it('an entry file starting with a UTF-8 BOM loads, and the snapshot file saved from it is valid for every later open', async () => {
    const dir = join(await tempDir(), 'store');
    const first = await openStore(dir, { fsync: false });
    await first.update('plain', () => ({ n: 1 }));
    writeFileSync(join(dir, entryFileName('bom')), Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"v":1,"key":"bom","rev":1,"entry":{"n":2}}')]));
    await first.close();
    // A fresh store reads every file (no snapshot yet) and saves the snapshot file.
    const warnings: string[] = [];
    const second = await openStore(dir, { fsync: false, logger: warningsInto(warnings) });
    expect({ ...(await second.loadAll()) }).toEqual({ plain: { n: 1 }, bom: { n: 2 } });
    await second.close();
    const snapshot = readFileSync(join(dir, '.snapshot'));
    const body = snapshot.subarray(snapshot.indexOf(0x0a) + 1).toString('utf8');
    expect(() => JSON.parse(body) as unknown).not.toThrow();
    const third = await openStore(dir, { fsync: false, logger: warningsInto(warnings) });
    expect({ ...(await third.loadAll()) }).toEqual({ plain: { n: 1 }, bom: { n: 2 } });
    expect(warnings.filter((message) => message.includes('snapshot'))).toEqual([]);
    await third.close();
  });
});
