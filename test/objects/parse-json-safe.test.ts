import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_JSON_MAX_BYTES, DEFAULT_JSON_MAX_DEPTH, parseJsonSafe } from '../../src/objects/index.js';
import { expectHardfsError } from './expect-hardfs-error.js';

const prototypeNames = Object.getOwnPropertyNames(Object.prototype).sort();

afterEach(() => {
  vi.restoreAllMocks();
});

describe('parseJsonSafe: prototype pollution', () => {
  it('{"__proto__":{"polluted":1}} pollutes nothing and comes back without the key', () => {
    const parsed = parseJsonSafe('{"__proto__":{"polluted":1}}') as Record<string, unknown>;
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.getPrototypeOf(parsed)).toBeNull();
    expect(Object.getOwnPropertyNames(parsed)).toEqual([]);
    expect(parsed['polluted']).toBeUndefined();
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeNames);
  });

  it('drops every blocked key at every depth, also when spelled with escapes', () => {
    const text =
      '{"constructor":{"prototype":{"polluted":2}},"a":{"__proto__":{"x":1},"b":[{"\\u005f_proto__":{"polluted":3},"ok":1}]},' +
      '"__defineGetter__":1,"__defineSetter__":1,"__lookupGetter__":1,"__lookupSetter__":1,"prototype":1}';
    const parsed = parseJsonSafe(text) as Record<string, Record<string, unknown>>;
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.keys(parsed)).toEqual(['a']);
    const a = parsed['a'] as Record<string, unknown>;
    expect(Object.keys(a)).toEqual(['b']);
    const item = (a['b'] as Array<Record<string, unknown>>)[0] as Record<string, unknown>;
    expect(Object.keys(item)).toEqual(['ok']);
    expect(Object.getPrototypeOf(item)).toBeNull();
  });

  it("onBlockedKey: 'throw' refuses with EBADNAME naming the key", () => {
    const error = expectHardfsError(() => parseJsonSafe('{"a":[{"constructor":1}]}', { onBlockedKey: 'throw' }), 'EBADNAME');
    expect(error.path).toBe('constructor');
    expect(parseJsonSafe('{"a":1}', { onBlockedKey: 'throw' })).toEqual(Object.assign(Object.create(null) as object, { a: 1 }));
  });

  it('keeps ordinary keys that merely resemble blocked ones, and Object.prototype names', () => {
    const parsed = parseJsonSafe('{"__proto":1,"Constructor":2,"toString":3,"hasOwnProperty":4}') as Record<string, unknown>;
    expect(Object.keys(parsed)).toEqual(['__proto', 'Constructor', 'toString', 'hasOwnProperty']);
    expect(parsed['toString']).toBe(3);
  });

  it('returns primitives and arrays as JSON.parse does; arrays keep Array.prototype', () => {
    expect(parseJsonSafe('null')).toBeNull();
    expect(parseJsonSafe(' "x" ')).toBe('x');
    expect(parseJsonSafe('-1.5e3')).toBe(-1500);
    const list = parseJsonSafe('[1,{"a":[]}]') as unknown[];
    expect(Array.isArray(list)).toBe(true);
    expect(Object.getPrototypeOf(list[1])).toBeNull();
  });
});

describe('parseJsonSafe: EDEPTH', () => {
  it.each([
    ['100,000 levels of [', '['.repeat(100_000)],
    ['100,000 levels of {"a":', '{"a":'.repeat(100_000)],
    ['100,000 closed levels of [', `${'['.repeat(100_000)}${']'.repeat(100_000)}`],
    ['100,000 closed levels of {"a":', `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`],
  ])('%s is EDEPTH, not a RangeError', (_name, text) => {
    expectHardfsError(() => parseJsonSafe(text), 'EDEPTH');
  });

  it('checks depth before JSON.parse ever sees the text', () => {
    const parse = vi.spyOn(JSON, 'parse');
    expectHardfsError(() => parseJsonSafe(`${'['.repeat(5_000)}${']'.repeat(5_000)}`), 'EDEPTH');
    expect(parse).not.toHaveBeenCalled();
  });

  it('allows exactly maxDepth levels, default 256', () => {
    expect(DEFAULT_JSON_MAX_DEPTH).toBe(256);
    const nested = (levels: number): string => `${'['.repeat(levels)}${']'.repeat(levels)}`;
    expect(() => parseJsonSafe(nested(256))).not.toThrow();
    expectHardfsError(() => parseJsonSafe(nested(257)), 'EDEPTH');
    expect(parseJsonSafe('{"a":{"b":1}}', { maxDepth: 2 })).toBeTruthy();
    expectHardfsError(() => parseJsonSafe('{"a":{"b":1}}', { maxDepth: 1 }), 'EDEPTH');
    expect(parseJsonSafe('1', { maxDepth: 1 })).toBe(1);
  });

  it('does not count brackets inside strings, escaped quotes included', () => {
    const value = { a: '[[[[[[[[[[{{{{{{\\"', b: ['"[[[', '\\', '\\"{{{{'] };
    expect(parseJsonSafe(JSON.stringify(value), { maxDepth: 2 })).toEqual(JSON.parse(JSON.stringify(value)));
    expectHardfsError(() => parseJsonSafe(JSON.stringify(value), { maxDepth: 1 }), 'EDEPTH');
  });
});

describe('parseJsonSafe: ETOOBIG', () => {
  it('bounds strings by their UTF-8 bytes, not their UTF-16 length', () => {
    expectHardfsError(() => parseJsonSafe('"ééé"', { maxBytes: 7 }), 'ETOOBIG');
    expect(parseJsonSafe('"ééé"', { maxBytes: 8 })).toBe('ééé');
    expectHardfsError(() => parseJsonSafe('"😀"', { maxBytes: 5 }), 'ETOOBIG');
    expect(parseJsonSafe('"😀"', { maxBytes: 6 })).toBe('😀');
  });

  it('bounds Buffer and Uint8Array input by byteLength', () => {
    expectHardfsError(() => parseJsonSafe(Buffer.from('[1,2,3]'), { maxBytes: 6 }), 'ETOOBIG');
    expect(parseJsonSafe(Buffer.from('[1,2,3]'), { maxBytes: 7 })).toEqual([1, 2, 3]);
    const bytes = new TextEncoder().encode('{"k":"v"}');
    expectHardfsError(() => parseJsonSafe(bytes, { maxBytes: bytes.length - 1 }), 'ETOOBIG');
    expect((parseJsonSafe(bytes) as Record<string, unknown>)['k']).toBe('v');
  });

  it('defaults to 16 MiB', () => {
    expect(DEFAULT_JSON_MAX_BYTES).toBe(16 * 1024 * 1024);
    const fits = `"${'a'.repeat(DEFAULT_JSON_MAX_BYTES - 2)}"`;
    expect((parseJsonSafe(fits) as string).length).toBe(DEFAULT_JSON_MAX_BYTES - 2);
    expectHardfsError(() => parseJsonSafe(`${fits} `), 'ETOOBIG');
  });
});

describe('parseJsonSafe: ECORRUPT', () => {
  it.each([
    ['{"a":}', 5],
    ['[1,2', 4],
    ['', 0],
    ['   ', 3],
    ['{"a":1,}', 7],
    ['[1 2]', 3],
    ['{"a":1} x', 8],
    ['[tx]', 2],
    ['nul', 3],
    ['NaN', 0],
    ['[1,]', 3],
    ['"\\x"', 2],
    ['\uFEFF1', 0],
    ['{"a":1,\n"b":tru}', 15],
  ] as const)('%j is ECORRUPT at position %i', (text, position) => {
    const error = expectHardfsError(() => parseJsonSafe(text), 'ECORRUPT');
    expect(error.message).toContain(`position ${position} `);
    expect(error.cause).toBeInstanceOf(SyntaxError);
  });

  it('gives the line and column too', () => {
    const error = expectHardfsError(() => parseJsonSafe('{\n  "a": 1,\n  "b": ?\n}'), 'ECORRUPT');
    expect(error.message).toContain('position 19 (line 3 column 8)');
  });

  it('refuses invalid UTF-8 in byte input with the offset of the first bad byte', () => {
    const error = expectHardfsError(() => parseJsonSafe(Buffer.from([0x22, 0x61, 0xff, 0x22])), 'ECORRUPT');
    expect(error.message).toContain('byte 2');
    // a UTF-8-encoded lone surrogate is not UTF-8 either
    expectHardfsError(() => parseJsonSafe(Buffer.from([0x22, 0xed, 0xa0, 0x80, 0x22])), 'ECORRUPT');
  });

  it('accepts a UTF-8 byte order mark in byte input, as editors write one', () => {
    expect(parseJsonSafe(Buffer.from([0xef, 0xbb, 0xbf, 0x31]))).toBe(1);
  });
});

describe('parseJsonSafe: options', () => {
  it('refuses option values that are not bounds', () => {
    expect(() => parseJsonSafe('1', { maxDepth: 0 })).toThrow(TypeError);
    expect(() => parseJsonSafe('1', { maxDepth: 1.5 })).toThrow(TypeError);
    expect(() => parseJsonSafe('1', { maxDepth: Number.NaN })).toThrow(TypeError);
    expect(() => parseJsonSafe('1', { maxBytes: -1 })).toThrow(TypeError);
    expect(() => parseJsonSafe('1', { maxBytes: Number.POSITIVE_INFINITY })).toThrow(TypeError);
    expect(() => parseJsonSafe('1', { onBlockedKey: 'keep' as 'drop' })).toThrow(TypeError);
    expect(() => parseJsonSafe(42 as unknown as string)).toThrow(TypeError);
  });

  it('maxBytes 0 admits nothing but the empty input', () => {
    expectHardfsError(() => parseJsonSafe('1', { maxBytes: 0 }), 'ETOOBIG');
    expectHardfsError(() => parseJsonSafe('', { maxBytes: 0 }), 'ECORRUPT');
  });
});
