// assertRealpathWithin / resolveWithin / isPathWithin: containment by real path.
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertRealpathWithin } from '../../src/index.js';
import { caught, useTempDirs } from '../support/tmp.js';

describe('assertRealpathWithin', () => {
  const tempDir = useTempDirs();

  it('compares real paths: a symlink inside pointing outside is EESCAPE', async () => {
    const base = await tempDir();
    const outside = await tempDir();
    mkdirSync(join(base, 'in'));
    symlinkSync(outside, join(base, 'out'));
    expect(await assertRealpathWithin(base, join(base, 'in'))).toBe(join(base, 'in'));
    expect((await caught(assertRealpathWithin(base, join(base, 'out')))).code).toBe('EESCAPE');
    expect((await caught(assertRealpathWithin(base, join(base, 'missing')))).code).toBe('ENOENT');
  });
});
