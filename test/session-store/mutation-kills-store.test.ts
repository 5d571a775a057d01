// Behaviour of SessionStore, its change tracker, snapshot and change records that mutation
// testing showed no other test pinned down: the exact refusals (code, message, path), which
// files a refresh re-reads, what the logger is told, and what the updateMany record does for
// each Proxy operation.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isTempFileName, openChangeLog, openDir, withFileLock } from '../../src/index.js';
import { announceAllChanged, changeRecordFor } from '../../src/session-store/change-records.js';
import {
  entryFileName,
  openSessionStore,
  type SessionStore,
  type SessionStoreOptions,
} from '../../src/session-store/index.js';
import { caught, useTempDirs } from '../support/tmp.js';

const tempDir = useTempDirs();

/** Open file descriptors of this process (Linux): a leaked handle shows up here. */
function openDescriptors(): number {
  return readdirSync('/proc/self/fd').length;
}

interface Warning {
  message: string;
  details: Record<string, unknown> | undefined;
}

const opened: SessionStore[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()));
});

async function open(path: string, warnings: Warning[] = [], options: SessionStoreOptions = {}): Promise<SessionStore> {
  const store = await openSessionStore(path, {
    fsync: false,
    logger: { warn: (message, details) => warnings.push({ message, details }) },
    ...options,
  });
  opened.push(store);
  return store;
}

async function storeIn(options: SessionStoreOptions = {}) {
  const path = join(await tempDir(), 'sessions.json');
  const warnings: Warning[] = [];
  const store = await open(path, warnings, options);
  const dir = store.directoryPath;
  return { path, dir, store, warnings, fileOf: (key: string): string => join(dir, entryFileName(key)) };
}

/** Rewrites an entry file directly, as a commit would leave it, but announced to nobody. */
function editBehindTheStoresBack(dir: string, key: string, entry: object, rev: number): void {
  writeFileSync(join(dir, entryFileName(key)), `{"entry":${JSON.stringify(entry)},"key":${JSON.stringify(key)},"rev":${rev},"v":1}\n`);
}

/** A writer and a warm reader on one store holding a, b and c = { n: 1 }. */
async function twoStores() {
  const path = join(await tempDir(), 'sessions.json');
  const warnings: Warning[] = [];
  const reader = await open(path, warnings);
  const writer = await open(path, warnings);
  for (const key of ['a', 'b', 'c']) await writer.update(key, () => ({ n: 1 }));
  expect(Object.keys(await reader.loadAll()).sort()).toEqual(['a', 'b', 'c']);
  return { path, dir: writer.directoryPath, reader, writer, warnings };
}

/** Holds the cross-process lock of `key` (as another writer would) until the returned release is called. */
async function holdLock(dir: string, key: string): Promise<() => Promise<void>> {
  const locks = await openDir(join(dir, '.locks'));
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let acquired!: () => void;
  const ready = new Promise<void>((resolve) => (acquired = resolve));
  const held = withFileLock(locks, `${entryFileName(key)}.lock`, () => {
    acquired();
    return gate;
  });
  await ready;
  return async () => {
    release();
    await held;
    await locks.close();
  };
}

function quarantined(dir: string): string[] {
  const path = join(dir, '.quarantine');
  return existsSync(path) ? readdirSync(path) : [];
}

describe('refusals name themselves', () => {
  it('after close every method is ECLOSED "session store is closed" naming the store path; a second close is a no-op', async () => {
    const { path, store } = await storeIn();
    await store.update('k', () => ({ v: 1 }));
    await store.close();
    await store.close();
    const calls: Array<() => Promise<unknown>> = [
      () => store.get('k'),
      () => store.loadAll(),
      () => store.update('k', () => ({ v: 2 })),
      () => store.updateMany(() => undefined),
      () => store.delete('k'),
    ];
    for (const call of calls) {
      const error = await caught(call);
      expect(error.code).toBe('ECLOSED');
      expect(error.message).toBe(`ECLOSED: session store is closed: ${path}`);
      expect(error.path).toBe(path);
    }
  });

  it('update and updateMany refuse a mutator that is not a function with "mutator must be a function"', async () => {
    const { store, fileOf } = await storeIn();
    for (const call of [() => store.update('k', 'x' as never), () => store.updateMany(42 as never)]) {
      const error = await caught(call);
      expect(error).toBeInstanceOf(TypeError);
      expect(error.message).toBe('mutator must be a function');
    }
    expect(existsSync(fileOf('k'))).toBe(false);
  });

  it('updateMany that gives up says how many attempts it made and names the store directory', async () => {
    const { path, dir, store } = await storeIn({ maxUpdateRetries: 2 });
    const other = await open(path);
    let runs = 0;
    const error = await caught(
      store.updateMany(async (record) => {
        runs += 1;
        await other.update('hot', () => ({ n: runs }));
        record['hot'] = { mine: true };
      }),
    );
    expect(error.code).toBe('ELOCKED');
    expect(error.message).toBe(`ELOCKED: updateMany gave up after 3 attempts: concurrent writers kept changing the same keys: ${dir}`);
    expect(error.path).toBe(dir);
  });

  it('an entry over maxEntryBytes is ETOOBIG naming the bound and the key; an entry of exactly maxEntryBytes is stored', async () => {
    const probe = await storeIn();
    await probe.store.update('k1', () => ({ pad: 'xxxx' }));
    const exact = statSync(probe.fileOf('k1')).size;
    const { store, fileOf } = await storeIn({ maxEntryBytes: exact });
    expect(await store.update('k2', () => ({ pad: 'yyyy' }))).toEqual({ pad: 'yyyy' });
    expect(statSync(fileOf('k2')).size).toBe(exact);
    const error = await caught(store.update('k3', () => ({ pad: 'zzzzz' })));
    expect(error.code).toBe('ETOOBIG');
    expect(error.message).toBe(`ETOOBIG: entry is over the ${exact}-byte bound: k3`);
    expect(error.path).toBe('k3');
    const many = await caught(store.updateMany((record) => void (record['k4'] = { pad: 'zzzzz' })));
    expect(many.code).toBe('ETOOBIG');
    expect(existsSync(fileOf('k3'))).toBe(false);
    expect(existsSync(fileOf('k4'))).toBe(false);
  });

  it('keys of one update that normalize alike are named both in the TypeError', async () => {
    const { store } = await storeIn();
    const error = await caught(
      store.updateMany((record) => {
        record['X'] = { v: 1 };
        record['x'] = { v: 2 };
      }),
    );
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toBe('keys "x" and "X" normalize to the same key');
  });

  it('a stored key that the current normalizeKey would change cannot be updated through updateMany (TypeError), nothing written', async () => {
    const path = join(await tempDir(), 'sessions.json');
    const exact = await open(path, [], { normalizeKey: (key) => key });
    await exact.update('Mixed', () => ({ v: 1 }));
    const store = await open(path);
    const error = await caught(
      store.updateMany((record) => {
        (record['Mixed'] as { v: number }).v = 2;
      }),
    );
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toBe('key "Mixed" is not normalized');
    expect(await exact.get('Mixed')).toEqual({ v: 1 });
    expect(await exact.get('mixed')).toBeUndefined();
  });
});

describe('entry file modes', () => {
  it('entry files are created 0o600 narrowed by the umask, never chmodded back wider', async () => {
    const { store, fileOf } = await storeIn();
    const previous = process.umask(0o277);
    try {
      await store.update('k', () => ({ v: 1 }));
      await store.updateMany((record) => void (record['m'] = { v: 1 }));
    } finally {
      process.umask(previous);
    }
    expect(statSync(fileOf('k')).mode & 0o777).toBe(0o400);
    expect(statSync(fileOf('m')).mode & 0o777).toBe(0o400);
  });
});

describe('getUpdatedAt', () => {
  it('is undefined when the stored updatedAt is not a number', async () => {
    const { dir, store } = await storeIn();
    editBehindTheStoresBack(dir, 'k', { updatedAt: 'yesterday' }, 1);
    const entry = await store.get('k');
    if (entry !== undefined) {
      // Only a stored entry can tell: a loader that refuses such files leaves nothing to ask.
      expect(await store.getUpdatedAt('k')).toBeUndefined();
    }
    await store.update('n', () => ({ updatedAt: 7 }));
    expect(await store.getUpdatedAt('n')).toBe(7);
  });
});

describe('key locks', () => {
  it('delete waits for the key lock: it times out with ELOCKED while another writer holds it, and deletes nothing', async () => {
    const { dir, store, fileOf } = await storeIn({ lockTimeoutMs: 300 });
    await store.update('k', () => ({ v: 1 }));
    const release = await holdLock(dir, 'k');
    try {
      const error = await caught(store.delete('k'));
      expect(error.code).toBe('ELOCKED');
      expect(error.message).toContain('within 300 ms');
      expect(existsSync(fileOf('k'))).toBe(true);
    } finally {
      await release();
    }
    expect(await store.delete('k')).toBe(true);
  }, 8_000);

  it('updateMany takes the lock of every key it writes, the second one too', async () => {
    const { dir, store, fileOf } = await storeIn({ lockTimeoutMs: 300 });
    for (const locked of ['a', 'b']) {
      const release = await holdLock(dir, locked);
      try {
        const error = await caught(
          store.updateMany((record) => {
            record['a'] = { v: 1 };
            record['b'] = { v: 1 };
          }),
        );
        expect(error.code).toBe('ELOCKED');
        expect(error.message).toContain('within 300 ms');
      } finally {
        await release();
      }
      expect(existsSync(fileOf('a'))).toBe(false);
      expect(existsSync(fileOf('b'))).toBe(false);
    }
  }, 8_000);

  it('update waits for the key lock and honours lockTimeoutMs', async () => {
    const { dir, store, fileOf } = await storeIn({ lockTimeoutMs: 200 });
    const release = await holdLock(dir, 'k');
    try {
      const error = await caught(store.update('k', () => ({ v: 1 })));
      expect(error.code).toBe('ELOCKED');
      expect(error.message).toContain('within 200 ms');
    } finally {
      await release();
    }
    expect(existsSync(fileOf('k'))).toBe(false);
  }, 8_000);

  it('two updateMany calls writing the same keys in opposite orders both commit (locks are taken in sorted order)', async () => {
    const { store } = await storeIn();
    const both = Promise.all([
      store.updateMany((record) => {
        record['a'] = { from: 1 };
        record['b'] = { from: 1 };
      }),
      store.updateMany((record) => {
        record['b'] = { from: 2 };
        record['a'] = { from: 2 };
      }),
    ]);
    let timer: NodeJS.Timeout | undefined;
    const deadlock = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error('the two commits wait on each other')), 4_000);
    });
    await Promise.race([both, deadlock]).finally(() => clearTimeout(timer));
    const all = await store.loadAll();
    expect(all['a']).toEqual(all['b']);
  }, 8_000);
});

describe('the updateMany record (a Proxy over the store)', () => {
  it('reads of an assigned key return the very object assigned; reads of a stored key return one copy, kept across reads', async () => {
    const { store } = await storeIn();
    await store.update('a', () => ({ n: 1 }));
    await store.update('b', () => ({ n: 1 }));
    await store.updateMany((record) => {
      const assigned = { n: 2 };
      record['a'] = assigned;
      expect(record['a']).toBe(assigned);
      const first = record['b'] as { n: number; m?: number };
      first.n = 5;
      expect(record['b']).toBe(first);
      (record['b'] as { m?: number }).m = 6;
    });
    expect(await store.get('a')).toEqual({ n: 2 });
    expect(await store.get('b')).toEqual({ n: 5, m: 6 });
  });

  it('a deleted key reads as undefined, also when it is stored', async () => {
    const { store } = await storeIn();
    await store.update('a', () => ({ n: 1 }));
    await store.updateMany((record) => {
      delete record['a'];
      expect(record['a']).toBeUndefined();
      expect(record['a']).toBeUndefined();
    });
    expect(await store.get('a')).toBeUndefined();
  });

  it('property descriptors: stored and assigned keys are enumerable writable data properties; absent keys and symbols have none', async () => {
    const { store } = await storeIn();
    await store.update('a', () => ({ n: 1 }));
    await store.updateMany((record) => {
      expect(Object.getOwnPropertyDescriptor(record, 'a')).toEqual({ value: { n: 1 }, writable: true, enumerable: true, configurable: true });
      expect(Object.getOwnPropertyDescriptor(record, 'zz')).toBeUndefined();
      expect(Object.getOwnPropertyDescriptor(record, Symbol.iterator)).toBeUndefined();
      expect(Object.hasOwn(record, 'a')).toBe(true);
      expect(Object.hasOwn(record, 'zz')).toBe(false);
      expect(Object.hasOwn(record, Symbol.iterator)).toBe(false);
      expect(Symbol.iterator in record).toBe(false);
      expect((record as unknown as Record<symbol, unknown>)[Symbol.iterator]).toBeUndefined();
      expect(Object.keys(record)).toEqual(['a']);
      expect({ ...record }).toEqual({ a: { n: 1 } });
    });
  });

  it('Object.defineProperty with a value assigns; an accessor is refused with "session entries cannot be accessor properties"', async () => {
    const { store } = await storeIn();
    await store.updateMany((record) => {
      Object.defineProperty(record, 'd', { value: { v: 1 }, enumerable: true, configurable: true, writable: true });
      expect(record['d']).toEqual({ v: 1 });
      expect(Reflect.defineProperty(record, 'e', { value: { v: 2 } })).toBe(true);
    });
    expect(await store.get('d')).toEqual({ v: 1 });
    expect(await store.get('e')).toEqual({ v: 2 });
    const error = await caught(
      store.updateMany((record) => {
        Object.defineProperty(record, 'g', { get: () => ({}) });
      }),
    );
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toBe('session entries cannot be accessor properties');
  });

  it('deleting a symbol property is allowed and changes nothing; assigning one is "session keys must be strings"', async () => {
    const { dir, store } = await storeIn();
    await store.update('a', () => ({ n: 1 }));
    const stamp = readFileSync(join(dir, '.stamp'));
    expect(
      await store.updateMany((record) => {
        return delete (record as unknown as Record<symbol, unknown>)[Symbol.iterator];
      }),
    ).toBe(true);
    expect(readFileSync(join(dir, '.stamp'))).toEqual(stamp);
    const error = await caught(
      store.updateMany((record) => {
        (record as unknown as Record<symbol, unknown>)[Symbol('s')] = { n: 1 };
      }),
    );
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toBe('session keys must be strings');
  });

  it('its prototype cannot be set: Reflect.setPrototypeOf is false and Object.setPrototypeOf throws', async () => {
    const { store } = await storeIn();
    await store.updateMany((record) => {
      expect(Reflect.setPrototypeOf(record, Object.prototype)).toBe(false);
      expect(() => Object.setPrototypeOf(record, Object.prototype)).toThrow(TypeError);
      expect(Object.getPrototypeOf(record)).toBeNull();
    });
  });

  it('assigning a blocked object key throws EBADNAME at the assignment itself, inside the mutator', async () => {
    const { store } = await storeIn();
    const seen: Array<{ code: string | undefined; message: string; path: string | undefined }> = [];
    await store.updateMany((record) => {
      for (const key of ['__proto__', 'constructor']) {
        try {
          record[key] = { polluted: true };
        } catch (error) {
          const { code, message, path } = error as { code: string | undefined; message: string; path: string | undefined };
          seen.push({ code, message, path });
        }
      }
    });
    expect(seen).toEqual([
      { code: 'EBADNAME', message: 'EBADNAME: session key is a blocked object key: __proto__', path: '__proto__' },
      { code: 'EBADNAME', message: 'EBADNAME: session key is a blocked object key: constructor', path: 'constructor' },
    ]);
    expect(Object.keys(await store.loadAll())).toEqual([]);
  });
});

describe('optimistic concurrency of updateMany', () => {
  it('a key another writer changed and changed back (same content, newer rev) still makes the mutator run again', async () => {
    const { path, store } = await storeIn();
    const other = await open(path);
    await store.update('k', () => ({ n: 1 }));
    let runs = 0;
    await store.updateMany(async (record) => {
      runs += 1;
      const current = record['k'] as { n: number };
      if (runs === 1) {
        await other.update('k', () => ({ n: 2 }));
        await other.update('k', () => ({ n: 1 }));
      }
      record['k'] = { n: current.n + 10 };
    });
    expect(runs).toBe(2);
    expect(await store.get('k')).toEqual({ n: 11 });
  });
});

describe('entry files that cannot be read are quarantined, whichever method meets them', () => {
  it('get() of a key whose file is a symlink or a directory moves it to .quarantine and warns', async () => {
    const { dir, store, warnings } = await storeIn();
    symlinkSync('/etc/hostname', join(dir, entryFileName('link')));
    mkdirSync(join(dir, entryFileName('sub')));
    expect(await store.get('link')).toBeUndefined();
    expect(await store.get('sub')).toBeUndefined();
    expect(existsSync(join(dir, entryFileName('link')))).toBe(false);
    expect(existsSync(join(dir, entryFileName('sub')))).toBe(false);
    expect(quarantined(dir)).toHaveLength(2);
    expect(warnings.map((warning) => warning.message)).toEqual([
      `hardfs session store: quarantined ${entryFileName('link')}`,
      `hardfs session store: quarantined ${entryFileName('sub')}`,
    ]);
  });

  it('a file nested deeper than maxEntryDepth is quarantined (EDEPTH), by get() and by loadAll()', async () => {
    const { dir, store, warnings } = await storeIn({ maxEntryDepth: 3 });
    const deep = { a: { b: { c: { d: { e: { f: 1 } } } } } };
    editBehindTheStoresBack(dir, 'deep', deep, 1);
    expect(await store.get('deep')).toBeUndefined();
    expect(quarantined(dir)).toHaveLength(1);
    editBehindTheStoresBack(dir, 'deep2', deep, 1);
    expect(Object.keys(await store.loadAll())).toEqual([]);
    expect(quarantined(dir)).toHaveLength(2);
    expect(warnings).toHaveLength(2);
  });

  it('the quarantine warning names the file, where it went, and why', async () => {
    const { dir, store, warnings } = await storeIn();
    writeFileSync(join(dir, entryFileName('bad')), 'not json');
    expect(await store.get('bad')).toBeUndefined();
    const [moved] = quarantined(dir);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.message).toBe(`hardfs session store: quarantined ${entryFileName('bad')}`);
    expect(warnings[0]?.details).toEqual({
      file: join(dir, entryFileName('bad')),
      movedTo: join(dir, '.quarantine', moved as string),
      reason: expect.any(String) as unknown,
    });
    expect(String(warnings[0]?.details?.['reason']).length).toBeGreaterThan(0);
  });

  it('a directory found by a full load is quarantined as "not a regular file (directory)"', async () => {
    const { dir, store, warnings } = await storeIn();
    await store.update('a', () => ({ n: 1 }));
    mkdirSync(join(dir, entryFileName('sub')));
    const fresh = await open(join(dir, '..', 'sessions.json'), warnings);
    expect(Object.keys(await fresh.loadAll())).toEqual(['a']);
    expect(quarantined(dir)).toHaveLength(1);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.details?.['reason']).toBe('EINSECURE: not a regular file (directory)');
  });
  it('a file over maxEntryBytes is refused by its size before it is read, by get() and by a full load', async () => {
    const { dir, path, warnings } = await storeIn();
    const big = { pad: 'x'.repeat(300) };
    editBehindTheStoresBack(dir, 'big', big, 1);
    const small = await open(path, warnings, { maxEntryBytes: 100 });
    expect(await small.get('big')).toBeUndefined();
    editBehindTheStoresBack(dir, 'big2', big, 1);
    const fresh = await open(path, warnings, { maxEntryBytes: 100 });
    expect(await fresh.loadAll()).toEqual({});
    expect(quarantined(dir)).toHaveLength(2);
    expect(warnings.map((warning) => String(warning.details?.['reason']))).toEqual([
      expect.stringMatching(/^ETOOBIG: file is \d+ bytes, over the 100-byte bound/) as unknown,
      expect.stringMatching(/^ETOOBIG: file is \d+ bytes, over the 100-byte bound/) as unknown,
    ]);
  });
});

describe('no descriptor is leaked', () => {
  it('quarantining files closes the quarantine directory handle every time', async () => {
    const { dir, store } = await storeIn();
    writeFileSync(join(dir, entryFileName('bad0')), 'garbage');
    expect(await store.get('bad0')).toBeUndefined(); // first quarantine: anything opened once is open now
    const before = openDescriptors();
    for (let i = 1; i <= 5; i += 1) {
      writeFileSync(join(dir, entryFileName(`bad${i}`)), 'garbage');
      expect(await store.get(`bad${i}`)).toBeUndefined();
    }
    expect(quarantined(dir)).toHaveLength(6);
    expect(openDescriptors()).toBe(before);
  });

  it('announceAllChanged closes the change log it opened', async () => {
    const { dir } = await storeIn();
    const handle = await openDir(dir);
    await announceAllChanged(handle, { warn: () => undefined });
    const before = openDescriptors();
    for (let i = 0; i < 5; i += 1) await announceAllChanged(handle, { warn: () => undefined });
    expect(openDescriptors()).toBe(before);
    await handle.close();
  });
});

describe('which files a refresh re-reads', () => {
  it('a rotated change log makes a warm cache read every file again', async () => {
    const { dir, reader } = await twoStores();
    editBehindTheStoresBack(dir, 'b', { n: 99 }, 2);
    const handle = await openDir(dir);
    const log = await openChangeLog(handle, '.stamp');
    await log.rotate();
    await log.close();
    await handle.close();
    expect((await reader.loadAll())['b']).toEqual({ n: 99 });
  });

  it('a delete announces only the deleted file', async () => {
    const { dir, reader, writer } = await twoStores();
    editBehindTheStoresBack(dir, 'b', { n: 99 }, 2);
    expect(await writer.delete('a')).toBe(true);
    const all = await reader.loadAll();
    expect(Object.keys(all).sort()).toEqual(['b', 'c']);
    expect(all['b']).toEqual({ n: 1 }); // not announced: not re-read
  });

  it('a quarantine announces only the quarantined file', async () => {
    const { dir, reader, writer } = await twoStores();
    editBehindTheStoresBack(dir, 'b', { n: 99 }, 2);
    writeFileSync(join(dir, entryFileName('a')), 'garbage');
    expect(await writer.get('a')).toBeUndefined();
    const all = await reader.loadAll();
    expect(Object.keys(all).sort()).toEqual(['b', 'c']);
    expect(all['b']).toEqual({ n: 1 });
  });

  it('files in .locks that only resemble entry locks make nothing re-read, and never a non-entry file', async () => {
    const { dir, reader, writer, warnings } = await twoStores();
    // Five characters after the entry file name, like ".lock", but not ".lock".
    writeFileSync(join(dir, '.locks', `${entryFileName('b')}.LOCK`), 'x');
    writeFileSync(join(dir, '.locks', '.stamp.lock'), 'x');
    writeFileSync(join(dir, '.locks', '.snapshot.lock'), 'x');
    editBehindTheStoresBack(dir, 'b', { n: 99 }, 2);
    await writer.update('a', () => ({ n: 2 }));
    const all = await reader.loadAll();
    expect(all['a']).toEqual({ n: 2 });
    expect(all['b']).toEqual({ n: 1 });
    expect(quarantined(dir)).toEqual([]);
    expect(warnings).toEqual([]);
    expect(existsSync(join(dir, '.stamp'))).toBe(true);
  });

  it('concurrent loadAll calls share one refresh even while a lock makes every refresh re-read a file', async () => {
    const { dir, reader } = await twoStores();
    writeFileSync(join(dir, '.locks', `${entryFileName('b')}.lock`), 'a commit under way');
    const all = await Promise.all([reader.loadAll(), reader.loadAll(), reader.loadAll()]);
    expect(all[1]).toBe(all[0]);
    expect(all[2]).toBe(all[0]);
  });

  it('a change record naming no entry file is reported with the change log path', async () => {
    const { dir, reader, warnings } = await twoStores();
    const handle = await openDir(dir);
    const log = await openChangeLog(handle, '.stamp');
    await log.append('not-an-entry');
    await log.close();
    await handle.close();
    await reader.loadAll();
    expect(warnings).toEqual([
      {
        message: 'hardfs session store: a change record names no entry file; reloading every entry',
        details: { file: join(dir, '.stamp') },
      },
    ]);
  });
});

describe('the .snapshot file', () => {
  it('an empty store saves no snapshot', async () => {
    const { dir, store } = await storeIn();
    expect(await store.loadAll()).toEqual({});
    expect(existsSync(join(dir, '.snapshot'))).toBe(false);
  });

  it('is saved once per generation: a full load in a generation it already saved does not write it again', async () => {
    const { dir, reader } = await twoStores(); // the reader's first load saved it
    const snapshotPath = join(dir, '.snapshot');
    expect(existsSync(snapshotPath)).toBe(true);
    rmSync(snapshotPath);
    const handle = await openDir(dir);
    const log = await openChangeLog(handle, '.stamp');
    await log.append('*');
    await log.close();
    await handle.close();
    expect(Object.keys(await reader.loadAll()).sort()).toEqual(['a', 'b', 'c']);
    expect(existsSync(snapshotPath)).toBe(false);
  });

  it('a full load does not rewrite a snapshot another store already saved for the current generation', async () => {
    const path = join(await tempDir(), 'sessions.json');
    const late = await open(path);
    expect(await late.loadAll()).toEqual({}); // seeded (no snapshot): cached, empty
    const writer = await open(path);
    await writer.update('a', () => ({ n: 1 }));
    const first = await open(path);
    await first.loadAll(); // full load: saves the snapshot
    const snapshotPath = join(writer.directoryPath, '.snapshot');
    const before = statSync(snapshotPath).ino;
    const handle = await openDir(writer.directoryPath);
    const log = await openChangeLog(handle, '.stamp');
    await log.append('*');
    await log.close();
    await handle.close();
    expect(Object.keys(await late.loadAll())).toEqual(['a']); // full load, same generation
    expect(statSync(snapshotPath).ino).toBe(before);
  });

  it('a store that replaced an unusable snapshot does not rewrite one saved by another store for a later generation', async () => {
    const path = join(await tempDir(), 'sessions.json');
    const writer = await open(path);
    await writer.update('a', () => ({ n: 1 }));
    const dir = writer.directoryPath;
    writeFileSync(join(dir, '.snapshot'), 'garbage without a header line');
    const warnings: Warning[] = [];
    const replacer = await open(path, warnings);
    await replacer.loadAll(); // reports it and saves a good one
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.details).toEqual({ file: join(dir, '.snapshot'), reason: expect.any(String) as unknown });
    const handle = await openDir(dir);
    const log = await openChangeLog(handle, '.stamp');
    await log.rotate();
    await log.close();
    await handle.close();
    const other = await open(path);
    await other.loadAll(); // new generation: saves its snapshot
    const before = statSync(join(dir, '.snapshot')).ino;
    await replacer.loadAll(); // a full load in the same new generation
    expect(statSync(join(dir, '.snapshot')).ino).toBe(before);
  });

  it('a snapshot that cannot be saved is reported with its path and the reason', async () => {
    const path = join(await tempDir(), 'sessions.json');
    const writer = await open(path);
    await writer.update('a', () => ({ n: 1 }));
    mkdirSync(join(writer.directoryPath, '.snapshot'));
    const warnings: Warning[] = [];
    const reader = await open(path, warnings);
    await reader.loadAll();
    const saving = warnings.find((warning) => warning.message === 'hardfs session store: could not save the snapshot');
    expect(saving?.details).toEqual({ file: join(writer.directoryPath, '.snapshot'), reason: expect.any(String) as unknown });
  });
});

describe('opening a store', () => {
  it('a temp file swept on open is reported with its path', async () => {
    const path = join(await tempDir(), 'sessions.json');
    const first = await open(path);
    await first.update('a', () => ({ n: 1 }));
    const dir = first.directoryPath;
    const tempName = `.hardfs-${'0'.repeat(32)}.tmp`;
    expect(isTempFileName(tempName)).toBe(true);
    writeFileSync(join(dir, tempName), 'half written');
    const anHourAgo = Date.now() / 1000 - 3600; // older than any staleTempMs, whatever the clocks' granularity
    utimesSync(join(dir, tempName), anHourAgo, anHourAgo);
    const warnings: Warning[] = [];
    await open(path, warnings, { staleTempMs: 0 });
    expect(warnings).toEqual([
      { message: 'hardfs session store: removed a temp file left by a crash', details: { file: join(dir, tempName) } },
    ]);
  });

  it('a garbled change log is replaced with a warning naming it', async () => {
    const { dir, path } = await storeIn();
    writeFileSync(join(dir, '.stamp'), 'garbage');
    const warnings: Warning[] = [];
    const store = await open(path, warnings);
    await store.update('a', () => ({ n: 1 }));
    expect(warnings.length).toBeGreaterThan(0);
    for (const warning of warnings) {
      expect(warning.message).toMatch(/^hardfs session store: replaced the change log \(/);
      expect(warning.details).toEqual({ file: join(dir, '.stamp') });
    }
  });
});

describe('change records', () => {
  it('no file names, or names over 32 KiB in all, are "*"; names of exactly 32 KiB are listed', () => {
    expect(changeRecordFor([])).toBe('*');
    expect(changeRecordFor(['a.json', 'b.json'])).toBe('a.json/b.json');
    const exact = ['x'.repeat(16 * 1024 - 1), 'y'.repeat(16 * 1024)];
    expect(Buffer.byteLength(exact.join('/'))).toBe(32 * 1024);
    expect(changeRecordFor(exact)).toBe(exact.join('/'));
    expect(changeRecordFor([...exact.slice(0, 1), `${exact[1] as string}z`])).toBe('*');
  });

  it('announceAllChanged appends "*" for every reader', async () => {
    const { dir, reader } = await twoStores();
    editBehindTheStoresBack(dir, 'b', { n: 99 }, 2);
    const handle = await openDir(dir);
    await announceAllChanged(handle, { warn: () => undefined });
    await handle.close();
    expect(readFileSync(join(dir, '.stamp'), 'utf8').endsWith('\n*\n')).toBe(true);
    expect((await reader.loadAll())['b']).toEqual({ n: 99 });
  });
});

