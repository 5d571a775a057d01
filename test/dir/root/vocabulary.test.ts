// The node:fs/promises vocabulary of a root: same names, argument order and option names, each
// through the walk; what each refuses is pinned in the suites beside this one.
import { constants, chmodSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { pipeline } from 'node:stream/promises';
import { Readable, Writable } from 'node:stream';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isTempFileName, openDir, SafeDirent } from '../../../src/index.js';
import { caught, useTempDirs } from '../../support/tmp.js';
import { MODES, descriptorsInto, modeOf, rejectsWith } from '../harness.js';

describe.each(MODES)('root vocabulary (%s resolution)', (resolution) => {
  const tempDir = useTempDirs();
  const open = (path: string) => openDir(path, { resolution });

  it('readFile with an encoding (string or option) returns a string; writeFile with an encoding writes those bytes', async () => {
    const base = await tempDir();
    const dir = await open(base);
    await dir.writeFile('d/t.txt', 'aGk=', { encoding: 'base64', mkdirs: true });
    expect(readFileSync(join(base, 'd/t.txt'), 'utf8')).toBe('hi');
    expect(await dir.readFile('d/t.txt', 'utf8')).toBe('hi');
    expect(await dir.readFile('d/t.txt', { encoding: 'hex' })).toBe('6869');
    expect(dir.readFileSync('d/t.txt', 'utf8')).toBe('hi');
    expect(Buffer.isBuffer(await dir.readFile('d/t.txt'))).toBe(true);
    await rejectsWith(dir.readFile('d/t.txt', { maxBytes: 1 }), 'ETOOBIG');
    await dir.close();
  });

  it("writeFile keeps an existing file's mode with mode: 'preserve' (0o600 for a new one); writeFileSync is atomic too", async () => {
    const base = await tempDir();
    writeFileSync(join(base, 'keep'), 'old');
    chmodSync(join(base, 'keep'), 0o640);
    const dir = await open(base);
    await dir.writeFile('keep', 'new', { mode: 'preserve' });
    expect(modeOf(join(base, 'keep'))).toBe(0o640);
    await dir.writeFile('fresh', 'x', { mode: 'preserve' });
    expect(modeOf(join(base, 'fresh'))).toBe(0o600);
    dir.writeFileSync('sync/a.json', '{}', { mkdirs: true, mode: 0o644 });
    expect(modeOf(join(base, 'sync/a.json'))).toBe(0o644);
    expect(readdirSync(base).filter(isTempFileName)).toEqual([]);
    const badMode = await caught(dir.writeFile('x', 'y', { mode: 'keep' as unknown as number }));
    expect(badMode).toBeInstanceOf(TypeError);
    expect(badMode.message).toMatch(/^mode /);
    await dir.close();
  });

  it('appendFile creates with the exact mode, then appends', async () => {
    const base = await tempDir();
    const dir = await open(base);
    const previous = process.umask(0o077);
    try {
      await dir.appendFile('log/a.log', 'one\n', { mode: 0o640 }).catch(async () => {
        mkdirSync(join(base, 'log'));
        await dir.appendFile('log/a.log', 'one\n', { mode: 0o640 });
      });
    } finally {
      process.umask(previous);
    }
    await dir.appendFile('log/a.log', 'two\n');
    expect(readFileSync(join(base, 'log/a.log'), 'utf8')).toBe('one\ntwo\n');
    expect(modeOf(join(base, 'log/a.log'))).toBe(0o640);
    await dir.close();
  });

  it('open: node flags, created files get the mode exactly, "w" truncates, "wx" is EEXIST, unknown flags a TypeError', async () => {
    const base = await tempDir();
    const dir = await open(base);
    const created = await dir.open('f', 'w', 0o604);
    await created.writeFile('12345');
    await created.close();
    expect(modeOf(join(base, 'f'))).toBe(0o604);
    const truncating = await dir.open('f', 'w');
    await truncating.close();
    expect(readFileSync(join(base, 'f'), 'utf8')).toBe('');
    expect((await caught(dir.open('f', 'wx'))).code).toBe('EEXIST');
    const reading = await dir.open('f');
    expect((await reading.stat()).isFile()).toBe(true);
    await reading.close();
    const badFlags = await caught(dir.open('f', 'rs+' as 'r'));
    expect(badFlags).toBeInstanceOf(TypeError);
    expect(badFlags.message).toMatch(/^open flags .*"rs\+"/);
    await dir.close();
  });

  it('mkdir: recursive returns the first directory created (or undefined), modes exact, EEXIST without recursive', async () => {
    const base = await tempDir();
    const dir = await open(base);
    const previous = process.umask(0o077);
    let first: string | undefined;
    try {
      first = await dir.mkdir('a/b/c', { recursive: true, mode: 0o750 });
    } finally {
      process.umask(previous);
    }
    expect(first).toBe(join(base, 'a'));
    for (const path of ['a', 'a/b', 'a/b/c']) expect(modeOf(join(base, path))).toBe(0o750);
    expect(await dir.mkdir('a/b/c', { recursive: true })).toBeUndefined();
    expect(await dir.mkdir('a/b/d')).toBeUndefined();
    expect((await caught(dir.mkdir('a/b/d'))).code).toBe('EEXIST');
    writeFileSync(join(base, 'file'), 'x');
    expect((await caught(dir.mkdir('file', { recursive: true }))).code).toBe('EEXIST'); // as node
    await dir.close();
  });

  it('rm: a file, a symlink itself, a tree with recursive; force ignores a missing path; a directory without recursive is EISDIR', async () => {
    const base = await tempDir();
    const outside = await tempDir();
    writeFileSync(join(outside, 'victim'), 'keep');
    mkdirSync(join(base, 'tree', 'deep', 'er'), { recursive: true });
    writeFileSync(join(base, 'tree', 'deep', 'er', 'f'), 'x');
    symlinkSync(outside, join(base, 'tree', 'out'));
    writeFileSync(join(base, 'file'), 'x');
    symlinkSync(join(outside, 'victim'), join(base, 'link'));
    const dir = await open(base);
    expect((await caught(dir.rm('tree'))).code).toBe('EISDIR');
    await dir.rm('file');
    await dir.rm('link');
    await dir.rm('tree', { recursive: true });
    await dir.rm('missing', { force: true });
    await dir.rm('missing/deeper', { force: true });
    expect((await caught(dir.rm('missing'))).code).toBe('ENOENT');
    expect(readdirSync(base)).toEqual([]);
    expect(readFileSync(join(outside, 'victim'), 'utf8')).toBe('keep');
    await dir.close();
    expect(descriptorsInto(base)).toEqual([]);
  });

  it('readdir withFileTypes gives SafeDirent objects naming the caller directory, never /proc/self/fd', async () => {
    const base = await tempDir();
    mkdirSync(join(base, 'd', 'sub'), { recursive: true });
    writeFileSync(join(base, 'd', 'f'), 'x');
    symlinkSync('f', join(base, 'd', 'l'));
    const dir = await open(base);
    const dirents = (await dir.readdir('d', { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
    expect(dirents.every((dirent) => dirent instanceof SafeDirent)).toBe(true);
    expect(dirents.map((dirent) => [dirent.name, dirent.isFile(), dirent.isDirectory(), dirent.isSymbolicLink()])).toEqual([
      ['f', true, false, false],
      ['l', false, false, true],
      ['sub', false, true, false],
    ]);
    expect(dirents[0]?.parentPath).toBe(join(base, 'd'));
    expect(dirents[0]?.path).toBe(join(base, 'd'));
    expect((await dir.readdir()).sort()).toEqual(['d']);
    await dir.close();
  });

  it('readdir withFileTypes (and readdirSync) types a FIFO, a socket and device nodes as what they are, each only as that', async () => {
    const base = await tempDir();
    execFileSync('mkfifo', [join(base, 'fifo')]);
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(join(base, 'sock'), resolve);
    });
    // We run as root (CAP_MKNOD): a character and a block device node, never opened.
    execFileSync('mknod', [join(base, 'chr'), 'c', '1', '3']);
    execFileSync('mknod', [join(base, 'blk'), 'b', '7', '250']);
    writeFileSync(join(base, 'file'), 'x');
    const dir = await open(base);
    try {
      const kinds = (dirent: SafeDirent): string[] =>
        (
          [
            ['file', dirent.isFile()],
            ['dir', dirent.isDirectory()],
            ['link', dirent.isSymbolicLink()],
            ['fifo', dirent.isFIFO()],
            ['socket', dirent.isSocket()],
            ['block', dirent.isBlockDevice()],
            ['char', dirent.isCharacterDevice()],
          ] as const
        )
          .filter(([, is]) => is)
          .map(([kind]) => kind);
      const expected = [
        ['blk', ['block']],
        ['chr', ['char']],
        ['fifo', ['fifo']],
        ['file', ['file']],
        ['sock', ['socket']],
      ];
      const byName = (a: SafeDirent, b: SafeDirent): number => a.name.localeCompare(b.name);
      expect((await dir.readdir('.', { withFileTypes: true })).sort(byName).map((dirent) => [dirent.name, kinds(dirent)])).toEqual(expected);
      expect(dir.readdirSync('.', { withFileTypes: true }).sort(byName).map((dirent) => [dirent.name, kinds(dirent)])).toEqual(expected);
    } finally {
      await dir.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('symlink (node argument order), readlink, link; chmod, chown, utimes through a descriptor', async () => {
    const base = await tempDir();
    writeFileSync(join(base, 'f'), 'x');
    const dir = await open(base);
    await dir.symlink('f', 'l');
    expect(readlinkSync(join(base, 'l'))).toBe('f');
    expect(await dir.readlink('l')).toBe('f');
    await dir.link('f', 'hard');
    expect(statSync(join(base, 'hard')).ino).toBe(statSync(join(base, 'f')).ino);
    await dir.chmod('f', 0o604);
    expect(modeOf(join(base, 'f'))).toBe(0o604);
    await dir.chown('f', 0, 0);
    await dir.lchown('l', 0, 0);
    await dir.utimes('f', 1_000, 2_000);
    expect(statSync(join(base, 'f')).mtimeMs).toBe(2_000_000);
    await rejectsWith(dir.symlink('bad\0target', 'l2'), 'EBADNAME');
    await dir.close();
  });

  it('copyFile within a root and into another; COPYFILE_EXCL never replaces; the copy keeps the mode', async () => {
    const base = await tempDir();
    const other = await tempDir();
    writeFileSync(join(base, 'src'), 'content');
    chmodSync(join(base, 'src'), 0o640);
    writeFileSync(join(base, 'taken'), 'keep');
    const dir = await open(base);
    const target = await open(other);
    await dir.copyFile('src', 'copy');
    expect(readFileSync(join(base, 'copy'), 'utf8')).toBe('content');
    expect(modeOf(join(base, 'copy'))).toBe(0o640);
    await dir.copyFile('src', 'nested/copy', { targetDir: target }).catch(async () => {
      await target.mkdir('nested');
      await dir.copyFile('src', 'nested/copy', { targetDir: target });
    });
    expect(readFileSync(join(other, 'nested/copy'), 'utf8')).toBe('content');
    expect((await caught(dir.copyFile('src', 'taken', constants.COPYFILE_EXCL))).code).toBe('EEXIST');
    expect(readFileSync(join(base, 'taken'), 'utf8')).toBe('keep');
    await dir.copyFile('src', 'excl-new', constants.COPYFILE_EXCL);
    expect(readFileSync(join(base, 'excl-new'), 'utf8')).toBe('content');
    await rejectsWith(dir.copyFile('src', 'x', constants.COPYFILE_FICLONE_FORCE), 'EUNSUPPORTED');
    expect(readdirSync(base).filter(isTempFileName)).toEqual([]);
    await target.close();
    await dir.close();
  });

  it('access, exists, existsSync', async () => {
    const base = await tempDir();
    writeFileSync(join(base, 'f'), 'x');
    const dir = await open(base);
    await dir.access('f', constants.R_OK);
    expect((await caught(dir.access('missing'))).code).toBe('ENOENT');
    expect(await dir.exists('f')).toBe(true);
    expect(await dir.exists('missing')).toBe(false);
    expect(await dir.exists('f/under-a-file')).toBe(false);
    expect(dir.existsSync('f')).toBe(true);
    expect(dir.existsSync('nope/nope')).toBe(false);
    await rejectsWith(dir.exists('../x'), 'EESCAPE');
    await dir.close();
  });

  it('createReadStream reads a regular file; createWriteStream commits on finish and discards on destroy', async () => {
    const base = await tempDir();
    writeFileSync(join(base, 'in'), 'streamed bytes');
    writeFileSync(join(base, 'target'), 'old');
    const dir = await open(base);
    const chunks: Buffer[] = [];
    for await (const chunk of dir.createReadStream('in', { start: 9 })) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('bytes');
    const out = dir.createWriteStream('target', { mode: 0o640 });
    out.write('new ');
    expect(readFileSync(join(base, 'target'), 'utf8')).toBe('old'); // nothing visible before the commit
    await pipeline(Readable.from(['content']), out);
    expect(readFileSync(join(base, 'target'), 'utf8')).toBe('new content');
    expect(modeOf(join(base, 'target'))).toBe(0o640);
    const discarded = dir.createWriteStream('target');
    const failure = new Promise((done) => discarded.once('error', done));
    discarded.write('partial');
    discarded.destroy(new Error('abandoned'));
    expect(((await failure) as Error).message).toBe('abandoned'); // the caller's own error, passed through
    expect(readFileSync(join(base, 'target'), 'utf8')).toBe('new content');
    // highWaterMark is node's option of the same name: it sets the stream's buffer bound.
    const small = dir.createWriteStream('small', { highWaterMark: 4 });
    expect(small.writableHighWaterMark).toBe(4);
    await new Promise((done, fail) => small.on('finish', done).on('error', fail).end('more than four bytes'));
    expect(readFileSync(join(base, 'small'), 'utf8')).toBe('more than four bytes');
    const unset = dir.createWriteStream('default');
    expect(unset.writableHighWaterMark).toBe(new Writable().writableHighWaterMark);
    await new Promise((done) => unset.on('close', done).destroy());
    expect(readdirSync(base).filter(isTempFileName)).toEqual([]);
    await dir.close();
    expect(descriptorsInto(base)).toEqual([]);
  });

  it('openRoot opens a sub-root (openSubdir is the same); await using closes it', async () => {
    const base = await tempDir();
    mkdirSync(join(base, 'a', 'b'), { recursive: true });
    writeFileSync(join(base, 'a', 'b', 'f'), 'deep');
    const dir = await open(base);
    {
      await using sub = await dir.openRoot('a/b');
      expect(sub.path).toBe(join(base, 'a', 'b'));
      expect(await sub.readFile('f', 'utf8')).toBe('deep');
      await rejectsWith(sub.readFile('../../a/b/f'), 'EESCAPE');
      const self = await dir.openRoot('.');
      expect(self.identity).toEqual(dir.identity);
      await self.close();
    }
    // create makes the last component only: its parent must exist.
    expect((await caught(dir.openSubdir('made/here', { create: true }))).code).toBe('ENOENT');
    const created = await dir.openSubdir('made', { create: true, mode: 0o710 });
    await created.close();
    expect(lstatSync(join(base, 'made')).isDirectory()).toBe(true);
    expect(modeOf(join(base, 'made'))).toBe(0o710);
    await dir.close();
    expect(descriptorsInto(base)).toEqual([]);
  });

  it('stat follows per policy (ESYMLINK under refuse, EESCAPE outside under follow-within); statSync, lstat and lstatSync; stat of the root itself', async () => {
    const base = await tempDir();
    writeFileSync(join(base, 'f'), 'abc');
    symlinkSync('f', join(base, 'l'));
    const refusing = await open(base);
    expect((await refusing.stat('f')).size).toBe(3);
    expect(refusing.statSync('f').size).toBe(3);
    expect((await refusing.lstat('l')).isSymbolicLink()).toBe(true);
    expect(refusing.lstatSync('l').isSymbolicLink()).toBe(true);
    expect((await refusing.stat()).isDirectory()).toBe(true);
    expect((await refusing.stat('.', { bigint: true })).ino).toBe(statSync(base, { bigint: true }).ino);
    // Under refuse stat would have to follow the final link: ESYMLINK with the caller's path,
    // as statSync, exists, existsSync and access; lstat still answers for the name itself.
    const refused = await rejectsWith(refusing.stat('l'), 'ESYMLINK');
    expect(refused.path).toBe(join(base, 'l'));
    expect(refused.op).toBe('stat');
    expect(refused.message).toContain('refusing to follow a symlink');
    expect((await rejectsWith(() => refusing.statSync('l'), 'ESYMLINK')).op).toBe('statSync');
    expect((await rejectsWith(refusing.stat('l', { bigint: true }), 'ESYMLINK')).path).toBe(join(base, 'l'));
    await rejectsWith(refusing.exists('l'), 'ESYMLINK');
    await rejectsWith(() => refusing.existsSync('l'), 'ESYMLINK');
    await rejectsWith(refusing.access('l'), 'ESYMLINK');
    symlinkSync('missing', join(base, 'dangling'));
    expect((await rejectsWith(refusing.stat('dangling'), 'ESYMLINK')).path).toBe(join(base, 'dangling'));
    await refusing.close();
    const outside = await tempDir();
    writeFileSync(join(outside, 'secret'), 'secret');
    symlinkSync(join(outside, 'secret'), join(base, 'out'));
    const following = await openDir(base, { resolution, symlinks: 'follow-within' });
    expect((await following.stat('l')).isFile()).toBe(true);
    expect(following.statSync('l').size).toBe(3);
    expect(await following.exists('l')).toBe(true);
    expect((await rejectsWith(following.stat('out'), 'EESCAPE')).path).toBe(join(base, 'out'));
    await rejectsWith(() => following.statSync('out'), 'EESCAPE');
    await rejectsWith(following.exists('out'), 'EESCAPE');
    expect((await following.lstat('out')).isSymbolicLink()).toBe(true);
    await following.close();
  });
});
