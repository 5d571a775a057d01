// Every file and directory a root creates gets exactly the mode asked for, whatever the
// process umask (issue 10, item 10): measured in a child process started under umask 0o277,
// which would otherwise strip every write bit.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDirs } from '../../support/tmp.js';
import { modeOf } from '../harness.js';

const DIST = new URL('../../../dist/index.js', import.meta.url).href;

describe('exact modes under umask 0o277', () => {
  const tempDir = useTempDirs();

  it.each(['descriptor', 'verify'])('writeFile, writeFileSync, appendFile, open, mkdir, createFileExclusive, createWriteStream, writeFileAtomic(path) (%s)', async (resolution) => {
    const base = await tempDir();
    mkdirSync(join(base, 'd'));
    const script = `
      process.umask(0o277);
      const h = await import(${JSON.stringify(DIST)});
      const base = process.argv[1];
      const dir = await h.openDir(base, { resolution: ${JSON.stringify(resolution)} });
      await dir.writeFile('w', 'x');
      await dir.writeFile('w644', 'x', { mode: 0o644 });
      dir.writeFileSync('ws', 'x', { mode: 0o640 });
      await dir.appendFile('a', 'x', { mode: 0o620 });
      await (await dir.open('o', 'w', 0o660)).close();
      await dir.mkdir('m/n', { recursive: true, mode: 0o750 });
      await (await dir.createFileExclusive('e', 'x', { mode: 0o604 })).close();
      await new Promise((done, fail) => dir.createWriteStream('s', { mode: 0o642 }).on('finish', done).on('error', fail).end('x'));
      await h.writeFileAtomic(base + '/d/p', 'x', { mode: 0o664 });
      await h.writeFileAtomic(base + '/made/q', 'x', { mkdirs: true });
      await dir.close();
    `;
    execFileSync(process.execPath, ['--input-type=module', '-e', script, base], { stdio: 'pipe' });
    const expected: Record<string, number> = {
      w: 0o600,
      w644: 0o644,
      ws: 0o640,
      a: 0o620,
      o: 0o660,
      m: 0o750,
      'm/n': 0o750,
      e: 0o604,
      s: 0o642,
      'd/p': 0o664,
      made: 0o700,
      'made/q': 0o600,
    };
    const actual = Object.fromEntries(Object.keys(expected).map((name) => [name, modeOf(join(base, name))]));
    expect(actual).toEqual(expected);
  });
});
