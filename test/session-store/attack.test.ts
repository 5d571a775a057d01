import { existsSync, readFileSync, readdirSync, symlinkSync, utimesSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSessionStore } from '../../src/session-store/index.js';
import { useTempDirs } from '../support/tmp.js';

describe('hostile files inside sessions.d', () => {
  const tempDir = useTempDirs();

  it('planted __proto__ / constructor files, garbage, mismatched names and symlinks are quarantined, never followed, never polluting', async () => {
    const base = await tempDir();
    const outside = await tempDir();
    const dir = join(base, 'sessions.d');
    mkdirSync(dir, { mode: 0o700 });
    writeFileSync(join(outside, 'secret.json'), JSON.stringify({ v: 1, key: 'secret', rev: 1, entry: { stolen: true } }));
    const planted: Record<string, string> = {
      '__proto__.json': JSON.stringify({ v: 1, key: '__proto__', rev: 1, entry: { polluted: true } }),
      'constructor.json': JSON.stringify({ v: 1, key: 'constructor', rev: 1, entry: { polluted: true } }),
      'garbage.json': 'not json at all',
      'array.json': '[1,2,3]',
      'deep.json': `${'['.repeat(5000)}${']'.repeat(5000)}`,
      'alice.json': JSON.stringify({ v: 1, key: 'bob', rev: 1, entry: { who: 'bob' } }),
      // written as text: an object literal's __proto__ would set a prototype, not a key
      'proto-entry.json': '{"v":1,"key":"proto-entry","rev":1,"entry":{"__proto__":{"polluted":true},"ok":1}}',
      'good.json': JSON.stringify({ v: 1, key: 'good', rev: 3, entry: { updatedAt: 1 } }),
    };
    for (const [name, content] of Object.entries(planted)) writeFileSync(join(dir, name), content, { mode: 0o600 });
    symlinkSync(join(outside, 'secret.json'), join(dir, 'secret.json'));
    const warnings: string[] = [];
    const store = await openSessionStore(join(base, 'sessions.json'), { logger: { warn: (message) => warnings.push(message) } });
    const all = await store.loadAll();
    expect(Object.keys(all).sort()).toEqual(['good', 'proto-entry']);
    expect(Object.keys(all['proto-entry'] as object)).toEqual(['ok']);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
    const quarantined = readdirSync(join(dir, '.quarantine'));
    for (const name of ['__proto__.json', 'constructor.json', 'garbage.json', 'array.json', 'deep.json', 'alice.json', 'secret.json']) {
      expect(quarantined.some((q) => q.startsWith(`${name}.`))).toBe(true);
      expect(existsSync(join(dir, name))).toBe(false);
    }
    // nothing deleted: the quarantined copies hold the exact bytes
    const alice = quarantined.find((q) => q.startsWith('alice.json.')) as string;
    expect(readFileSync(join(dir, '.quarantine', alice), 'utf8')).toBe(planted['alice.json']);
    expect(readFileSync(join(outside, 'secret.json'), 'utf8')).toContain('stolen'); // target untouched
    expect(warnings.filter((message) => message.includes('quarantined'))).toHaveLength(7);
    expect(await store.get('bob')).toBeUndefined();
    await store.close();
  });

  it('removes temp files left by a crash once they are older than staleTempMs, and keeps young ones', async () => {
    const base = await tempDir();
    const dir = join(base, 'sessions.d');
    mkdirSync(dir, { mode: 0o700 });
    const old = '.hardfs-0123456789abcdef0123456789abcdef.tmp';
    const young = '.hardfs-fedcba9876543210fedcba9876543210.tmp';
    writeFileSync(join(dir, old), 'partial');
    writeFileSync(join(dir, young), 'in flight');
    const past = new Date(Date.now() - 120_000);
    utimesSync(join(dir, old), past, past);
    const store = await openSessionStore(join(base, 'sessions.json'), { logger: { warn: () => undefined } });
    expect(existsSync(join(dir, old))).toBe(false);
    expect(existsSync(join(dir, young))).toBe(true);
    await store.close();
  });
});
