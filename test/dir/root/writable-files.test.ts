// A file opened for writing or appending must be a regular file with exactly one link
// (EINSECURE otherwise, proven by fstat on the descriptor): a planted hard link to a file
// elsewhere is never written through (issue 10, item 4).
import { chmodSync, chownSync, linkSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDir } from '../../../src/index.js';
import { runAsSecondUser, secondUser, secondUserSkipReason } from '../../support/second-user.js';
import { useTempDirs } from '../../support/tmp.js';
import { MODES, descriptorsInto, rejectsWith } from '../harness.js';

describe.each(MODES)('writable opens refuse hard links (%s resolution)', (resolution) => {
  const tempDir = useTempDirs();

  it('openFile({ write | append }), open(r+ | w | a), appendFile: EINSECURE; the outside file is unchanged', async () => {
    const base = await tempDir();
    const outside = await tempDir();
    writeFileSync(join(outside, 'victim'), 'original');
    linkSync(join(outside, 'victim'), join(base, 'planted'));
    const dir = await openDir(base, { resolution });
    const refusals = [
      () => dir.openFile('planted', { write: true }),
      () => dir.openFile('planted', { append: true }),
      () => dir.open('planted', 'r+'),
      () => dir.open('planted', 'w'),
      () => dir.open('planted', 'a'),
      () => dir.appendFile('planted', 'attacker sees this'),
    ];
    for (const refuse of refusals) {
      const error = await rejectsWith(refuse, 'EINSECURE');
      expect(error.path).toBe(join(base, 'planted'));
      expect(error.message).toContain('2 links');
    }
    // 'w' did not truncate before the check: the bytes are all there.
    expect(readFileSync(join(outside, 'victim'), 'utf8')).toBe('original');
    // Reading through a hard link is harmless and allowed.
    expect(await dir.readFile('planted', 'utf8')).toBe('original');
    const reader = await dir.openFile('planted');
    await reader.close();
    // An atomic write replaces the name (the link), never the outside file.
    await dir.writeFile('planted', 'replaced');
    expect(readFileSync(join(outside, 'victim'), 'utf8')).toBe('original');
    expect(statSync(join(base, 'planted')).nlink).toBe(1);
    await dir.close();
    expect(descriptorsInto(base)).toEqual([]);
  });

  it.skipIf(secondUserSkipReason() !== undefined)(
    'a hard link planted by another user in a shared sticky directory is refused; their file gets nothing',
    async () => {
      const user = secondUser();
      if (!user) return;
      const base = await tempDir();
      chmodSync(base, 0o755); // the other user must reach the directories below
      const shared = join(base, 'shared');
      mkdirSync(shared);
      chmodSync(shared, 0o1777);
      const theirs = join(base, 'theirs');
      mkdirSync(theirs);
      chownSync(theirs, user.uid, user.gid);
      await runAsSecondUser(
        `import { writeFileSync, linkSync } from 'node:fs';
         const [dir, shared] = process.argv.slice(1);
         writeFileSync(dir + '/collect', '');
         linkSync(dir + '/collect', shared + '/app.log');`,
        [theirs, shared],
      );
      const dir = await openDir(shared, { resolution });
      await rejectsWith(dir.appendFile('app.log', 'secret token'), 'EINSECURE');
      await rejectsWith(dir.openFile('app.log', { append: true }), 'EINSECURE');
      expect(readFileSync(join(theirs, 'collect'), 'utf8')).toBe('');
      await dir.close();
    },
  );
});
