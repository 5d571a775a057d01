import { statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { storeIn } from './support.js';

describe('entry file modes', () => {
  it('entry files are exactly 0o600 whatever the umask (0o277 would make them 0o400)', async () => {
    const { store, fileOf } = await storeIn();
    const previous = process.umask(0o277);
    try {
      await store.update('k', () => ({ v: 1 }));
      await store.updateMany((record) => void (record['m'] = { v: 1 }));
      await store.updateMany((record) => {
        record['x'] = { v: 1 }; // two keys: staged files, renamed in
        record['y'] = { v: 1 };
      });
    } finally {
      process.umask(previous);
    }
    for (const key of ['k', 'm', 'x', 'y']) expect([key, statSync(fileOf(key)).mode & 0o777]).toEqual([key, 0o600]);
  });
});
