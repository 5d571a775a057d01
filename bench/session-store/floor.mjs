// The physical floor for a durable update: O_EXCL temp, write, fsync, rename, directory fsync
// of the same bytes to a distinct file per writer; no locks, no reads, no parsing. The caller
// fills the directory as the compared store's is filled.
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { join } from 'node:path';

const FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

export async function openFloor(dir) {
  const dirHandle = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  return {
    async write(name, text) {
      const temp = join(dir, `.floor-${randomBytes(16).toString('hex')}.tmp`);
      const handle = await open(temp, FLAGS, 0o600);
      await handle.writeFile(text);
      await handle.sync();
      await handle.close();
      await rename(temp, join(dir, name));
      await dirHandle.sync();
    },
    close: () => dirHandle.close(),
  };
}
