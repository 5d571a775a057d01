import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isTempFileName, openDir, writeFileAtomic } from '../../src/index.js';
import { ATOMIC_WRITE_STEPS, setFaultHook, type AtomicWriteStep } from '../../src/io/fault-seam.js';
import { caught, useTempDirs } from '../support/tmp.js';

afterEach(() => setFaultHook(undefined));

describe.each(['descriptor', 'verify'] as const)('atomic write fault injection (%s)', (resolution) => {
  const tempDir = useTempDirs();

  it.each(ATOMIC_WRITE_STEPS)('a failure at %s surfaces, leaves no temp file, and keeps the old content until the rename', async (step) => {
    for (const size of [16, 512 * 1024]) { // inline and thread-pool paths
      const base = await tempDir();
      writeFileSync(join(base, 'target'), 'old');
      const dir = await openDir(base, { resolution });
      const injected = Object.assign(new Error(`injected at ${step}`), { code: 'EIO' });
      const seen: AtomicWriteStep[] = [];
      setFaultHook((current) => {
        seen.push(current);
        if (current === step) throw injected;
      });
      const error = await caught(dir.writeFileAtomic('target', 'n'.repeat(size)));
      setFaultHook(undefined);
      expect(error).toBe(injected);
      expect(seen.at(-1)).toBe(step);
      const expected = ATOMIC_WRITE_STEPS.indexOf(step) > ATOMIC_WRITE_STEPS.indexOf('rename') ? 'n'.repeat(size) : 'old';
      expect(readFileSync(join(base, 'target'), 'utf8')).toBe(expected);
      expect(readdirSync(base).filter(isTempFileName)).toEqual([]);
      expect(readdirSync(base)).toEqual(['target']);
      // and the handle still works afterwards
      await dir.writeFileAtomic('target', 'after');
      expect(readFileSync(join(base, 'target'), 'utf8')).toBe('after');
      await dir.close();
    }
  });

  it('without fsync the fsync steps are skipped entirely', async () => {
    const base = await tempDir();
    const dir = await openDir(base, { resolution });
    const seen: AtomicWriteStep[] = [];
    setFaultHook((step) => seen.push(step));
    await dir.writeFileAtomic('a', 'x', { fsync: false });
    expect(seen).toEqual(['open', 'chmod', 'write', 'close', 'rename']);
    seen.length = 0;
    await dir.writeFileAtomic('a', 'y', { syncDirectory: false });
    expect(seen).toEqual(['open', 'chmod', 'write', 'fsync', 'close', 'rename']);
    await dir.close();
  });

  it('a real failure (the target name is a directory) leaves no temp file', async () => {
    const base = await tempDir();
    mkdirSync(join(base, 'target'));
    writeFileSync(join(base, 'target', 'inside'), 'keep');
    const dir = await openDir(base, { resolution });
    const error = await caught(dir.writeFileAtomic('target', 'x'));
    expect(['EISDIR', 'ENOTEMPTY', 'EEXIST']).toContain(error.code);
    expect(readdirSync(base)).toEqual(['target']);
    expect(readFileSync(join(base, 'target', 'inside'), 'utf8')).toBe('keep');
    await dir.close();
  });
});

describe('path-level conveniences', () => {
  const tempDir = useTempDirs();

  it('writeFileAtomic / readFileNoFollow pin the parent for one call', async () => {
    const { readFileNoFollow } = await import('../../src/index.js');
    const base = await tempDir();
    await writeFileAtomic(join(base, 'f.json'), 'x', { mode: 0o600 });
    expect((await readFileNoFollow(join(base, 'f.json'))).toString()).toBe('x');
    expect((await caught(readFileNoFollow(join(base, 'f.json'), { maxBytes: 0 }))).code).toBe('ETOOBIG');
    expect((await caught(writeFileAtomic(`${base}/`, 'x'))).code).toBe('EBADNAME');
    expect((await caught(writeFileAtomic('', 'x'))).code).toBe('EBADNAME');
    expect((await caught(writeFileAtomic('/', 'x'))).code).toBe('EBADNAME');
  });
});

describe('concurrent writers and readers', () => {
  const tempDir = useTempDirs();

  it('50 concurrent writes to one name leave exactly one complete content and no temp files', async () => {
    const base = await tempDir();
    const dir = await openDir(base);
    const contents = Array.from({ length: 50 }, (_, i) => `${i}:`.padEnd(4096 + i, String.fromCharCode(97 + (i % 26))));
    await Promise.all(contents.map((content) => dir.writeFileAtomic('shared', content, { fsync: false })));
    expect(contents).toContain(readFileSync(join(base, 'shared'), 'utf8'));
    expect(readdirSync(base)).toEqual(['shared']);
    await dir.close();
  });

  it('a reader in another process never sees a partial file while a writer rewrites it', async () => {
    const base = await tempDir();
    const dir = await openDir(base);
    const version = (i: number): string => JSON.stringify({ i, pad: 'p'.repeat(20_000 + i) });
    await dir.writeFileAtomic('doc', version(0));
    // The reader validates every read: it must parse and have exactly the length of its version.
    const script = `
      const fs = require('node:fs');
      const seen = new Set(); let bad = 0; const stop = Date.now() + 4000;
      process.stdout.write('ready\\n');
      while (Date.now() < stop && !fs.existsSync(process.argv[1] + '.done')) {
        const text = fs.readFileSync(process.argv[1], 'utf8');
        try { const v = JSON.parse(text); if (v.pad.length !== 20000 + v.i) bad++; seen.add(v.i); } catch { bad++; }
      }
      console.log(JSON.stringify({ bad, distinct: seen.size }));`;
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, ['-e', script, join(base, 'doc')]);
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    let err = '';
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    for (let i = 1; i <= 300; i += 1) await dir.writeFileAtomic('doc', version(i), { fsync: false });
    writeFileSync(join(base, 'doc.done'), '');
    await new Promise((resolve) => child.on('close', resolve));
    expect(err).toBe('');
    const result = JSON.parse(out.trim().split('\n').pop() as string) as { bad: number; distinct: number };
    expect(result.bad).toBe(0);
    expect(result.distinct).toBeGreaterThan(1); // the race really ran
    await dir.close();
  });
});
