// encodeKey / decodeKey: the mapping between keys and file name stems, its escapes and refusals.
import { describe, expect, it } from 'vitest';
import { HardfsError } from '../../src/errors.js';
import { LONG_STEM_DIGEST_LENGTH, MAX_STEM_LENGTH, decodeKey, encodeKey } from '../../src/keys/index.js';
import { importFresh } from '../support/platform.js';
import { expectHardfsError } from '../objects/expect-hardfs-error.js';

const MODULE = new URL('../../src/keys/key-codec.ts', import.meta.url);

describe('encodeKey', () => {
  it.each([
    ['abc-1_2', 'abc-1_2'],
    ['agent:main:telegram:42', 'agent%3Amain%3Atelegram%3A42'],
    ['ABC', '%41%42%43'],
    ['a.b', 'a.b'],
    ['a b', 'a%20b'],
    ['a/b\\c', 'a%2Fb%5Cc'],
    ['nul\0', 'nul%00'],
    ['~', '%7E'],
    ['%41', '%2541'],
    ['é', '%C3%A9'],
    ['😀', '%F0%9F%98%80'],
    ['\uFEFFx', '%EF%BB%BFx'],
  ])('%j → %s', (key, stem) => {
    expect(encodeKey(key)).toBe(stem);
    expect(decodeKey(stem)).toBe(key);
  });

  it.each([
    ['.', '%2E'],
    ['..', '%2E%2E'],
    ['...', '%2E.%2E'],
    ['.env', '%2Eenv'],
    ['x.', 'x%2E'],
    ['x..', 'x.%2E'],
  ])('escapes a dot at either end: %j → %s', (key, stem) => {
    expect(encodeKey(key)).toBe(stem);
    expect(decodeKey(stem)).toBe(key);
  });

  it.each([
    ['con', '%63on'],
    ['prn', '%70rn'],
    ['aux', '%61ux'],
    ['nul', '%6Eul'],
    ['com0', '%63om0'],
    ['com9', '%63om9'],
    ['lpt0', '%6Cpt0'],
    ['lpt3.txt', '%6Cpt3.txt'],
    ['aux.tar.gz', '%61ux.tar.gz'],
  ])('escapes the first character of a device base name: %j → %s', (key, stem) => {
    expect(encodeKey(key)).toBe(stem);
    expect(decodeKey(stem)).toBe(key);
  });

  it('leaves names that merely start like a device alone', () => {
    for (const key of ['console', 'com10', 'lpt', 'co', 'nul-1', 'auxiliary.json', 'x.con']) expect(encodeKey(key)).toBe(key);
    // The escaped trailing dot already makes the base name `con%2E`, which is no device.
    expect(encodeKey('con.')).toBe('con%2E');
    // Upper case is escaped anyway, which already keeps CON from being a device name.
    expect(encodeKey('CON')).toBe('%43%4F%4E');
    expect(encodeKey('Con.txt')).toBe('%43on.txt');
  });

  it('refuses an empty key and ill-formed UTF-16 with EBADNAME', () => {
    expect(expectHardfsError(() => encodeKey(''), 'EBADNAME').message).toContain('non-empty string');
    expect(expectHardfsError(() => encodeKey('a\ud800'), 'EBADNAME').message).toContain('lone surrogate');
    expectHardfsError(() => encodeKey('\uD800'), 'EBADNAME');
    expectHardfsError(() => encodeKey('a\uDC00b'), 'EBADNAME');
    expectHardfsError(() => encodeKey('\uDE00\uD83D'), 'EBADNAME');
    expectHardfsError(() => encodeKey(42 as unknown as string), 'EBADNAME');
    expect(encodeKey('\uD83D\uDE00')).toBe('%F0%9F%98%80');
  });
});

describe('decodeKey', () => {
  it.each([
    ['', 'empty'],
    ['%41%4a', 'lower-case hex'],
    ['%4', 'short escape'],
    ['%', 'bare percent'],
    ['%zz', 'not hex'],
    ['A', 'literal upper case'],
    ['a/b', 'a separator'],
    ['a\\b', 'a backslash'],
    ['a b', 'a space'],
    ['é', 'non-ASCII'],
    ['%61', 'escape of a literal'],
    ['%2Ea.b%2E.%2E', 'escape of an inner dot'],
    ['.', 'dot'],
    ['..', 'dot dot'],
    ['.env', 'leading dot'],
    ['x.', 'trailing dot'],
    ['%2e', 'lower-case escape of a dot'],
    ['con', 'device name'],
    ['con.json', 'device name with an extension'],
    ['%63%6Fn', 'device name escaped too much'],
    ['%FF', 'invalid UTF-8'],
    ['%C3', 'truncated UTF-8'],
    ['%ED%A0%80', 'UTF-8 of a surrogate'],
    ['%C0%AF', 'overlong UTF-8'],
    ['~', 'bare separator'],
    ['~abc', 'empty prefix'],
    [`a~${'0'.repeat(LONG_STEM_DIGEST_LENGTH)}`, 'long-key shape with a short prefix'],
    ['a'.repeat(MAX_STEM_LENGTH + 1), 'over the bound'],
  ])('refuses %j (%s) with EBADNAME', (stem) => {
    expectHardfsError(() => decodeKey(stem), 'EBADNAME');
  });

  it('names the refused stem, with control characters made visible', () => {
    const error = expectHardfsError(() => decodeKey('a\0b'), 'EBADNAME');
    expect(error.path).toBe('a\\x00b');
    expect(expectHardfsError(() => decodeKey(42 as unknown as string), 'EBADNAME')).toBeInstanceOf(HardfsError);
  });

  it.each([
    ['not a string', 5, 'stem must be a non-empty string'],
    ['empty', '', 'stem must be a non-empty string'],
    ['a ~ that makes no long-key stem', 'a~b', 'malformed long-key stem'],
    ['just past the length bound', 'k'.repeat(MAX_STEM_LENGTH + 1), 'longer than encodeKey produces'],
    ['an upper-case letter', 'A', 'never emits'],
    ['a Latin-1 letter', 'é', 'never emits'],
    ['a character past Latin-1', 'Ā', 'never emits'],
    ['a separator', 'a/b', 'never emits'],
    ['lower-case hex', '%4a', 'never emits'],
    ['a non-hex first digit', '%G1', 'never emits'],
    ['a non-hex second digit', '%1G', 'never emits'],
    ['a character just past 9', '%:1', 'never emits'],
    ['a character just past F', '%4G', 'never emits'],
    ['a character just before A', '%@1', 'never emits'],
    ['a cut escape', 'a%4', 'never emits'],
    ['a bare percent', '%', 'never emits'],
    ['escapes that are no UTF-8', '%FF', 'valid UTF-8'],
    ['escapes that end inside a character', 'a%C3', 'valid UTF-8'],
    ['a needless escape', '%61', 'canonical form'],
  ])('refuses at the first check that can tell: %s', (_name, stem, fragment) => {
    const error = expectHardfsError(() => decodeKey(stem as string), 'EBADNAME');
    expect(error.message).toContain(fragment);
    expect(error.path).toBe(typeof stem === 'string' && stem !== '' ? stem : undefined);
  });

  it('keeps a leading byte-order mark: it is part of the key', () => {
    expect(decodeKey('%EF%BB%BFx')).toBe('\uFEFFx');
    expect(decodeKey('%EF%BB%BF')).toBe('\uFEFF');
  });

  it('accepts a stem at the length bound', () => {
    expect(decodeKey('k'.repeat(MAX_STEM_LENGTH))).toBe('k'.repeat(MAX_STEM_LENGTH));
  });
});

describe('case-insensitive filesystems', () => {
  it('every key of one or two ASCII characters keeps a distinct stem when lower-cased', () => {
    const keys: string[] = [];
    for (let a = 0; a < 128; a += 1) {
      keys.push(String.fromCharCode(a));
      for (let b = 0; b < 128; b += 1) keys.push(String.fromCharCode(a, b));
    }
    const lowered = new Set(keys.map((key) => encodeKey(key).toLowerCase()));
    expect(lowered.size).toBe(keys.length);
  });

  it('case variants of device names, dots and letters stay distinct', () => {
    const keys = ['con', 'CON', 'Con', 'cON', 'con.txt', 'CON.TXT', 'a', 'A', '.a', '.A', 'a.', 'A.', 'é', 'É', 'ß', 'SS', 'ss'];
    const lowered = new Set(keys.map((key) => encodeKey(key).toLowerCase()));
    expect(lowered.size).toBe(keys.length);
  });
});

describe('the codec as it loads', () => {
  // A copy evaluated by this test (see importFresh): the surrogate pattern and the strict
  // decoder are built when the module loads.
  it('refuses lone surrogates only, decodes strictly and keeps a byte-order mark', async () => {
    const fresh = await importFresh<typeof import('../../src/keys/key-codec.js')>(MODULE);
    expect(fresh.encodeKey('a')).toBe('a');
    expect(fresh.encodeKey('\uD83D\uDE00')).toBe('%F0%9F%98%80');
    expect(expectHardfsError(() => fresh.encodeKey('\uD800'), 'EBADNAME').message).toContain('lone surrogate');
    expect(fresh.decodeKey('%EF%BB%BFa')).toBe('\uFEFFa');
    const invalid = expectHardfsError(() => fresh.decodeKey('%FF'), 'EBADNAME');
    expect(invalid.message).toContain('valid UTF-8');
    expect(invalid.path).toBe('%FF');
  });
});
