import { statfsSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { HardfsError } from '../index.js';

/**
 * Filesystems where what the change log and the locks assume does not hold: O_APPEND writes
 * from several clients are not placed atomically at the end (NFS), rename and O_EXCL create
 * are not atomic across clients, or the semantics depend on a userspace server (FUSE). Linux
 * statfs(2) f_type magic numbers (linux/magic.h and the filesystems' own headers).
 */
const NETWORK_FILESYSTEMS = new Map<number, string>([
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
]);

/** The network filesystem `type` (a statfs f_type) names, if it is one. */
export function networkFilesystemName(type: number): string | undefined {
  return NETWORK_FILESYSTEMS.get(type >>> 0);
}

/**
 * Refuses a store on a network filesystem unless allowed. Linux only: other platforms' statfs
 * types are not stable numbers (macOS numbers filesystems by load order), so nothing is
 * detected there (SECURITY.md says so).
 */
export async function assertLocalFilesystem(path: string, allowNetworkFilesystem: boolean): Promise<void> {
  if (allowNetworkFilesystem || process.platform !== 'linux') return;
  refuseNetworkType(path, (await statfs(path)).type);
}

/** assertLocalFilesystem, synchronously (openStoreSync). */
export function assertLocalFilesystemSync(path: string, allowNetworkFilesystem: boolean): void {
  if (allowNetworkFilesystem || process.platform !== 'linux') return;
  refuseNetworkType(path, statfsSync(path).type);
}

function refuseNetworkType(path: string, type: number): void {
  const name = networkFilesystemName(type);
  if (name === undefined) return;
  throw new HardfsError(
    'EINSECURE',
    `the store directory is on ${name}, where O_APPEND, rename and exclusive create are not atomic across clients (the change log and the locks rely on them); pass allowNetworkFilesystem: true to open it anyway`,
    { path },
  );
}
