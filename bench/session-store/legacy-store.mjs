// A faithful model of the legacy store the directory store replaces: every session in one
// sessions.json; every update takes one global in-process mutex plus a lock file, reads and
// parses the whole file, changes one entry, stringifies everything and renames a fsynced
// temp file over it (then fsyncs the directory). No TTL cache: reads parse the file.
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';

const LOCK_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL;
const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

export class LegacyStore {
  #path;
  #lockPath;
  #fsync;
  #queue = Promise.resolve();

  constructor(path, { fsync = true } = {}) {
    this.#path = path;
    this.#lockPath = `${path}.lock`;
    this.#fsync = fsync;
  }

  async loadAll() {
    try {
      return JSON.parse(await readFile(this.#path, 'utf8'));
    } catch (error) {
      if (error.code === 'ENOENT') return {};
      throw error;
    }
  }

  async get(key) {
    return (await this.loadAll())[key];
  }

  async getUpdatedAt(key) {
    return (await this.get(key))?.updatedAt;
  }

  update(key, mutator) {
    const run = this.#queue.then(() => this.#withLockFile(async () => {
      const store = await this.loadAll();
      store[key] = mutator(store[key]);
      await this.#writeAll(store);
      return store[key];
    }));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async replaceAll(store) {
    await this.#withLockFile(() => this.#writeAll(store));
  }

  async #writeAll(store) {
    const temp = `${this.#path}.${randomBytes(8).toString('hex')}.tmp`;
    const handle = await open(temp, LOCK_FLAGS, 0o600);
    await handle.writeFile(JSON.stringify(store, null, 2));
    if (this.#fsync) await handle.sync();
    await handle.close();
    await rename(temp, this.#path);
    if (this.#fsync) {
      const dir = await open(dirname(this.#path), constants.O_RDONLY);
      await dir.sync();
      await dir.close();
    }
  }

  async #withLockFile(fn) {
    for (let delay = 1; ; delay = Math.min(delay * 2, 20)) {
      try {
        const handle = await open(this.#lockPath, LOCK_FLAGS, 0o600);
        await handle.writeFile(String(process.pid));
        await handle.close();
        break;
      } catch (error) {
        if (error.code !== 'EEXIST') throw error;
        await sleep(delay * Math.random());
      }
    }
    try {
      return await fn();
    } finally {
      await unlink(this.#lockPath);
    }
  }
}

export function legacyPathIn(dir) {
  return join(dir, 'sessions.json');
}
