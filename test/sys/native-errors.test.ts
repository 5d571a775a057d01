// renameDescriptorPaths: a native error raised on /proc/self/fd/<fd>/… is made to name the
// caller's path (path, dest and the message), keeping code, errno, syscall and the stack.
// The errors are real: syscalls on /proc/self/fd paths of a real directory descriptor.
import { closeSync, mkdirSync, openSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as loaded from '../../src/sys/native-errors.js';
import { importFresh } from '../support/platform.js';
import { caught, useTempDirs } from '../support/tmp.js';


// The module as loaded, and a copy evaluated by this test file (see importFresh): its prefix
// and pattern are built when it loads.
describe.each(['as loaded', 'loaded afresh'])('renameDescriptorPaths (%s)', (copy) => {
  const tempDir = useTempDirs();
  let native: typeof loaded;
  beforeAll(async () => {
    native = copy === 'as loaded' ? loaded : await importFresh<typeof loaded>(new URL('../../src/sys/native-errors.ts', import.meta.url));
  });
  const opened: number[] = [];
  afterEach(() => {
    for (const fd of opened.splice(0)) closeSync(fd);
  });

  /** A descriptor on `dir` numbered 10 or more (so a multi-digit number is exercised). */
  function descriptorOn(dir: string): number {
    for (;;) {
      const fd = openSync(dir, 'r');
      opened.push(fd);
      if (fd >= 10) return fd;
    }
  }

  it('an open on /proc/self/fd/<fd>/name: path and message name the caller\u2019s path, code and errno kept', async () => {
    const base = await tempDir();
    const fd = descriptorOn(base);
    const error = (await caught(() => openSync(`/proc/self/fd/${fd}/missing`, 'r'))) as NodeJS.ErrnoException;
    const { code, errno, syscall, stack } = error;
    expect(error.path).toBe(`/proc/self/fd/${fd}/missing`);
    const asked: number[] = [];
    native.renameDescriptorPaths(error, (n) => {
      asked.push(n);
      return n === fd ? base : undefined;
    });
    expect(asked).toContain(fd);
    expect(error.path).toBe(join(base, 'missing'));
    expect(error.message).toContain(`'${join(base, 'missing')}'`);
    expect(error.message).not.toContain('/proc/self/fd');
    expect([error.code, error.errno, error.syscall, error.stack]).toEqual([code, errno, syscall, stack]);
    expect(code).toBe('ENOENT');
  });

  it('a rename between two descriptor paths: path, dest and both halves of the message', async () => {
    const base = await tempDir();
    mkdirSync(join(base, 'from'));
    mkdirSync(join(base, 'to'));
    const from = descriptorOn(join(base, 'from'));
    const to = descriptorOn(join(base, 'to'));
    const error = (await caught(() => renameSync(`/proc/self/fd/${from}/a`, `/proc/self/fd/${to}/b`))) as NodeJS.ErrnoException & {
      dest?: string;
    };
    expect(error.code).toBe('ENOENT');
    const names = new Map([
      [from, join(base, 'from')],
      [to, join(base, 'to')],
    ]);
    native.renameDescriptorPaths(error, (n) => names.get(n));
    expect(error.path).toBe(join(base, 'from', 'a'));
    expect(error.dest).toBe(join(base, 'to', 'b'));
    expect(error.message).toContain(`'${join(base, 'from', 'a')}' -> '${join(base, 'to', 'b')}'`);
    expect(error.syscall).toBe('rename');
  });

  it('a descriptor the operation did not resolve through keeps its /proc path', async () => {
    const base = await tempDir();
    const fd = descriptorOn(base);
    const error = (await caught(() => openSync(`/proc/self/fd/${fd}/missing`, 'r'))) as NodeJS.ErrnoException;
    const message = error.message;
    native.renameDescriptorPaths(error, () => undefined);
    expect(error.path).toBe(`/proc/self/fd/${fd}/missing`);
    expect(error.message).toBe(message);
  });

  it('a caller\u2019s own path is left alone, even one that has a /proc/self/fd/<n> further down', async () => {
    const base = await tempDir();
    const fd = descriptorOn(base);
    writeFileSync(join(base, 'file'), 'x');
    const plain = (await caught(() => openSync(join(base, 'file', 'below'), 'r'))) as NodeJS.ErrnoException;
    const message = plain.message;
    native.renameDescriptorPaths(plain, () => '/elsewhere');
    expect([plain.code, plain.path, plain.message]).toEqual(['ENOTDIR', join(base, 'file', 'below'), message]);
    const nested = join(base, 'proc', 'self', 'fd', String(fd), 'missing');
    const deep = (await caught(() => openSync(nested, 'r'))) as NodeJS.ErrnoException;
    native.renameDescriptorPaths(deep, (n) => (n === fd ? '/elsewhere' : undefined));
    expect([deep.code, deep.path]).toEqual(['ENOENT', nested]);
  });

  it('anything thrown that is not an error object is left as it is', () => {
    const nameOf = (): string => {
      throw new Error('nameOf must not be asked');
    };
    for (const thrown of [undefined, null, 'ENOENT: /proc/self/fd/3/x', 42]) {
      expect(() => {
        native.renameDescriptorPaths(thrown, nameOf);
      }).not.toThrow();
    }
    const bare = { code: 'EIO' };
    native.renameDescriptorPaths(bare, nameOf);
    expect(bare).toEqual({ code: 'EIO' });
    const odd = { code: 'EIO', path: 3, dest: ['/proc/self/fd/3/x'], message: 7 };
    native.renameDescriptorPaths(odd, nameOf);
    expect(odd).toEqual({ code: 'EIO', path: 3, dest: ['/proc/self/fd/3/x'], message: 7 });
  });

  it('an error object whose path names a descriptor but has no message still gets its path', () => {
    const error: { code: string; path: string; dest: string; message?: string } = {
      code: 'EACCES',
      path: '/proc/self/fd/12/a',
      dest: '/proc/self/fd/12/b',
    };
    native.renameDescriptorPaths(error, (n) => (n === 12 ? '/root/dir' : undefined));
    expect(error).toEqual({ code: 'EACCES', path: '/root/dir/a', dest: '/root/dir/b' });
  });
});
