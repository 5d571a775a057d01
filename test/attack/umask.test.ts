// A permissive (or hostile) umask must not widen or narrow anything hardfs creates: modes are set
// with fchmod on the descriptor. The umask is process-wide, so the writes run in a child process
// (fixtures/umask-child.mjs, using the built package).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDirs } from '../support/tmp.js';
import { MODES, modeOf } from '../dir/harness.js';
import { fixture } from './race.js';

const EXPECTED: Record<string, number> = {
  'atomic-default': 0o600,
  'atomic-644': 0o644,
  'atomic-640-nofsync': 0o640,
  'path-default': 0o600,
  'path-604': 0o604,
  'exclusive-default': 0o600,
  'exclusive-640': 0o640,
  'sub-default': 0o700,
  'sub-750': 0o750,
  ensure: 0o700,
  'ensure/a': 0o700,
  'ensure/a/b': 0o700,
  // ensureRealDir creates one component at a time: recursive mkdir would give the intermediate
  // components 0o777 & ~umask
  rooted: 0o700,
  'rooted/a': 0o700,
  'rooted/a/b': 0o700,
  'rooted-751': 0o751,
  'rooted-751/a': 0o751,
};

describe.each(MODES)('modes under any umask (%s resolution)', (resolution) => {
  const tempDir = useTempDirs();

  it.each(['0', '022', '777'])('umask %s: files and directories get exactly the requested (or default) mode', async (umask) => {
    const base = await tempDir();
    const result = spawnSync(process.execPath, [fixture('umask-child.mjs'), base, umask], {
      encoding: 'utf8',
      env: { ...process.env, HARDFS_RESOLUTION: resolution },
    });
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe(`done ${resolution}`);
    const actual = Object.fromEntries(Object.keys(EXPECTED).map((name) => [name, modeOf(join(base, name)).toString(8)]));
    const expected = Object.fromEntries(Object.entries(EXPECTED).map(([name, mode]) => [name, mode.toString(8)]));
    expect(actual).toEqual(expected);
  });
});
