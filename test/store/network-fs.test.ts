// Network filesystems (issue 12 guarantee 5): statfs types where O_APPEND, rename and O_EXCL are
// not what the change log and the locks assume are named, and a store there is refused unless
// allowNetworkFilesystem: true. No NFS server here: the mapping is checked on its own, and a
// local filesystem is checked to open with and without the flag.
import { statfsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { networkFilesystemName, openStore } from '../../src/store/index.js';
import { useTempDirs } from '../support/tmp.js';

const tempDir = useTempDirs();

describe('network filesystem detection', () => {
  it('names NFS, SMB/CIFS, FUSE, Ceph, 9P and the others by their statfs magic; local ones are not named', () => {
    expect(networkFilesystemName(0x6969)).toBe('NFS');
    expect(networkFilesystemName(0xff534d42)).toBe('CIFS');
    expect(networkFilesystemName(0xfe534d42)).toBe('SMB2');
    expect(networkFilesystemName(0x517b)).toBe('SMB');
    expect(networkFilesystemName(0x65735546)).toBe('FUSE');
    expect(networkFilesystemName(0x00c36400)).toBe('Ceph');
    expect(networkFilesystemName(0x01021997)).toBe('9P');
    // statfs may report the magic as a negative 32-bit number on some platforms
    expect(networkFilesystemName(0xff534d42 | 0)).toBe('CIFS');
    for (const local of [0xef53 /* ext4 */, 0x01021994 /* tmpfs */, 0x58465342 /* xfs */, 0x9123683e /* btrfs */]) {
      expect(networkFilesystemName(local)).toBeUndefined();
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
  });
});
