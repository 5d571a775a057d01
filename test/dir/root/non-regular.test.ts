// Where a regular file is expected, a UNIX socket, a FIFO, a device or a directory is a typed
// refusal (EINSECURE, "not a regular file"), never a hang and never a native ENXIO / EISDIR
// (issue 10, item 7). EINSECURE and not a new code: the object is one hardfs will not trust
// as a file, the same meaning as a FIFO or a file with a second link.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDir, readFileNoFollow } from '../../../src/index.js';
import { useTempDirs } from '../../support/tmp.js';
import { MODES, rejectsWith } from '../harness.js';

async function listenOn(path: string): Promise<() => Promise<void>> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(path, done));
  return () => new Promise<void>((done) => server.close(() => done()));
}

describe.each(MODES)('non-regular objects at a file name (%s resolution)', (resolution) => {
  const tempDir = useTempDirs();

  it('a UNIX socket: every read and write open is EINSECURE', async () => {
    const base = await tempDir();
    const stop = await listenOn(join(base, 'sock'));
    try {
      const dir = await openDir(base, { resolution });
      const calls = [
        () => dir.readFile('sock'),
        () => dir.readFileSync('sock'),
        () => dir.openFile('sock'),
        () => dir.openFile('sock', { append: true }),
        () => dir.open('sock', 'r+'),
        () => dir.appendFile('sock', 'x'),
        () => dir.createReadStream('sock'),
        () => readFileNoFollow(join(base, 'sock'), { resolution }),
      ];
      for (const call of calls) {
        const error = await rejectsWith(call, 'EINSECURE');
        expect(error.message).toContain('not a regular file');
        expect(error.path).toBe(join(base, 'sock'));
      }
      await dir.close();
    } finally {
      await stop();
    }
  });

  it('a FIFO, a character device and a directory: EINSECURE without blocking', async () => {
    const base = await tempDir();
    execFileSync('mkfifo', [join(base, 'fifo')]);
    mkdirSync(join(base, 'dir'));
    const dir = await openDir(base, { resolution });
    for (const name of ['fifo', 'dir']) {
      await rejectsWith(dir.readFile(name), 'EINSECURE');
      await rejectsWith(dir.openFile(name, { write: true }), 'EINSECURE');
      await rejectsWith(dir.appendFile(name, 'x'), 'EINSECURE');
    }
    await dir.close();
    // /dev/tty-like: a character device read through a root on /dev.
    const dev = await openDir('/dev', { resolution });
    for (const name of ['null', 'tty']) {
      await rejectsWith(dev.readFile(name), 'EINSECURE');
    }
    await dev.close();
  });
});
