// Network filesystems (issue 12 guarantee 5): statfs types where O_APPEND, rename and O_EXCL are
// not what the change log and the locks assume are named, and a store there is refused unless
// allowNetworkFilesystem: true. No NFS server here: the mapping is checked on its own (on the
// module as imported and on a copy evaluated inside the test, as the table is built when the
// module loads), a local filesystem is checked to open with and without the flag, and a real
// FUSE mount (test/support/casefold-fs.py, a passthrough; root, /dev/fuse and python3-fusepy
// needed, skipped with the reason printed otherwise) is checked to be refused, and to open
// with the flag.
import { existsSync, mkdirSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { networkFilesystemName, openStore, openStoreSync } from '../../src/store/index.js';
import * as networkFs from '../../src/store/network-fs.js';
import { importFresh } from '../support/platform.js';
import { casefoldMountSkipReason, mountCasefold, type CasefoldMount } from '../support/casefold-mount.js';
import { caught, useTempDirs } from '../support/tmp.js';

const tempDir = useTempDirs();
const MODULE = new URL('../../src/store/network-fs.ts', import.meta.url);

/** Every statfs magic named, with its name (linux/magic.h and the filesystems' own headers). */
const NAMED: Array<[number, string]> = [
  [0x6969, 'NFS'],
  [0x517b, 'SMB'],
  [0xfe534d42, 'SMB2'],
  [0xff534d42, 'CIFS'],
  [0x65735546, 'FUSE'],
  [0x00c36400, 'Ceph'],
  [0x5346414f, 'AFS'],
  [0x6b414653, 'kAFS'],
  [0x01021997, '9P'],
  [0x73757245, 'Coda'],
  [0x0000564c, 'NCP'],
  [0x01161970, 'GFS2'],
  [0x7461636f, 'OCFS2'],
  [0x0bd00bd0, 'Lustre'],
  [0x13661366, 'OrangeFS'],
];

describe('network filesystem detection', () => {
  it('names NFS, SMB/CIFS, FUSE, Ceph, 9P and the others by their statfs magic; local ones are not named', async () => {
    const fresh = await importFresh<typeof networkFs>(MODULE);
    for (const name of [networkFilesystemName, fresh.networkFilesystemName]) {
      for (const [type, expected] of NAMED) {
        expect(name(type), expected).toBe(expected);
        // statfs may report the magic as a negative 32-bit number on some platforms
        expect(name(type | 0), expected).toBe(expected);
      }
      for (const local of [0xef53 /* ext4 */, 0x01021994 /* tmpfs */, 0x58465342 /* xfs */, 0x9123683e /* btrfs */, 0]) {
        expect(name(local)).toBeUndefined();
      }
    }
  });

  it.skipIf(process.platform !== 'linux')('a store on this machine’s local temp filesystem opens without the flag', async () => {
    const dir = join(await tempDir(), 'store');
    expect(networkFilesystemName(statfsSync(await tempDir()).type)).toBeUndefined();
    const store = await openStore(dir, { fsync: false });
    await store.update('a', () => ({ n: 1 }));
    await store.close();
    const allowed = await openStore(dir, { fsync: false, allowNetworkFilesystem: true });
    expect(await allowed.get('a')).toEqual({ n: 1 });
    await allowed.close();
    const sync = openStoreSync(dir, { fsync: false });
    expect(sync?.getSync('a')).toEqual({ n: 1 });
    await sync?.close();
  });
});

const fuseSkip = casefoldMountSkipReason();
if (fuseSkip !== undefined) console.log(`store/network-fs: the FUSE mount tests are skipped (${fuseSkip})`);

/** Runs `check` while process.platform reads `platform` (the platform switch is read per call). */
async function asPlatform<T>(platform: NodeJS.Platform, check: () => Promise<T>): Promise<T> {
  const original = Object.getOwnPropertyDescriptor(process, 'platform');
  if (original === undefined) throw new Error('process.platform has no descriptor');
  Object.defineProperty(process, 'platform', { ...original, value: platform });
  try {
    return await check();
  } finally {
    Object.defineProperty(process, 'platform', original);
  }
}

describe.skipIf(fuseSkip !== undefined)('a store on a FUSE filesystem', () => {
  let mount: CasefoldMount | undefined;
  let mountPoint = '';

  beforeAll(async () => {
    mount = await mountCasefold('hardfs-netfs');
    mountPoint = mount.mountPoint;
  });

  afterAll(async () => {
    await mount?.unmount();
  });

  function freshDir(name: string): string {
    const dir = join(mountPoint, name);
    mkdirSync(dir);
    return dir;
  }

  it('is FUSE by its statfs type', () => {
    expect(networkFilesystemName(statfsSync(mountPoint).type)).toBe('FUSE');
  });

  it('is refused (EINSECURE, the store path, the filesystem named) by openStore and openStoreSync', async () => {
    const dir = freshDir('refused');
    const error = await caught(openStore(dir, { fsync: false }));
    expect(error).toMatchObject({ code: 'EINSECURE', path: dir });
    expect(error.message).toContain('on FUSE');
    expect(error.message).toContain('allowNetworkFilesystem');
    // refused before anything is made in it
    expect(existsSync(join(dir, '.locks'))).toBe(false);
    const syncError = await caught(() => openStoreSync(dir, { fsync: false }));
    expect(syncError).toMatchObject({ code: 'EINSECURE', path: dir });
    expect(syncError.message).toContain('on FUSE');
    expect(() => networkFs.assertLocalFilesystemSync(dir, false)).toThrow(expect.objectContaining({ code: 'EINSECURE', path: dir }));
    await expect(networkFs.assertLocalFilesystem(dir, false)).rejects.toMatchObject({ code: 'EINSECURE', path: dir });
  });

  it('opens with allowNetworkFilesystem: true, and what is written there reads back', async () => {
    const dir = freshDir('allowed');
    const store = await openStore(dir, { fsync: false, allowNetworkFilesystem: true });
    await store.update('a', () => ({ n: 1 }));
    await store.close();
    const sync = openStoreSync(dir, { fsync: false, allowNetworkFilesystem: true });
    expect(sync?.getSync('a')).toEqual({ n: 1 });
    await sync?.close();
    await networkFs.assertLocalFilesystem(dir, true);
    networkFs.assertLocalFilesystemSync(dir, true);
  });

  it('is not refused on other platforms, whose statfs types are not these numbers', async () => {
    const dir = freshDir('other-platform');
    for (const platform of ['darwin', 'win32', 'freebsd'] as const) {
      await asPlatform(platform, () => networkFs.assertLocalFilesystem(dir, false));
      await asPlatform(platform, () => Promise.resolve(networkFs.assertLocalFilesystemSync(dir, false)));
    }
  });
});
