// openChangeLog's arguments: the name and the options, refused before anything is created.
import { readdirSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { HardfsError, openChangeLog, type ChangeLogOptions } from '../../src/index.js';
import { caught } from '../support/tmp.js';
import { useLogs } from './harness.js';

const { fixture, track } = useLogs();

describe('openChangeLog arguments', () => {
  it('a name that is not one component is EBADNAME, naming the change log', async () => {
    const { base, dir } = await fixture();
    for (const name of ['a/b', '../log']) {
      const error = await caught(openChangeLog(dir, name));
      expect(error, name).toBeInstanceOf(HardfsError);
      expect(error.code, name).toBe('EBADNAME');
      expect(error.path, name).toBe(name);
      expect(error.message, name).toContain('change log name');
    }
    expect(readdirSync(base)).toEqual([]);
  });

  it('a mode that is not an integer up to 0o777 keeping owner read and write is a TypeError that says so', async () => {
    const { base, dir } = await fixture();
    for (const mode of [-1, -0o600, 0o1000, 0o1600, 0o4755, 1.5, Number.NaN, 0, 0o400, 0o200, 0o477]) {
      const error = await caught(openChangeLog(dir, 'log', { mode } as ChangeLogOptions));
      expect(error, String(mode)).toBeInstanceOf(TypeError);
      expect(error.message, String(mode)).toContain('mode must be an integer up to 0o777 with owner read and write');
    }
    expect(readdirSync(base)).toEqual([]);
  });

  it('the widest mode, 0o777, is accepted and exact', async () => {
    const previous = process.umask(0o022);
    try {
      const { dir, path } = await fixture();
      const log = track(await openChangeLog(dir, 'log', { mode: 0o777 }));
      expect(statSync(path).mode & 0o7777).toBe(0o777);
      await log.rotate();
      expect(statSync(path).mode & 0o7777).toBe(0o777);
    } finally {
      process.umask(previous);
    }
  });
});
