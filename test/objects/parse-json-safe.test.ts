import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_JSON_MAX_BYTES, DEFAULT_JSON_MAX_DEPTH, parseJsonSafe } from '../../src/objects/index.js';
import { expectHardfsError } from './expect-hardfs-error.js';

const prototypeNames = Object.getOwnPropertyNames(Object.prototype).sort();

afterEach(() => {
  vi.restoreAllMocks();
});

describe('parseJsonSafe: blocked keys', () => {
  it('refuses a blocked key by default with EBADNAME, its path the key\'s, and pollutes nothing', () => {
    const error = expectHardfsError(() => parseJsonSafe('{"__proto__":{"polluted":1}}'), 'EBADNAME');
    expect(error.path).toBe('$.__proto__');
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeNames);
  });

  it.each([
    ['{"a":[{"constructor":1}]}', '$.a[0].constructor'],
    ['[1,{"b":{"prototype":{}}}]', '$[1].b.prototype'],
    ['{"odd key":{"\\u005f_proto__":1}}', '$["odd key"].__proto__'],
    ['{"a":{"__lookupSetter__":null}}', '$.a.__lookupSetter__'],
  ])('%s is EBADNAME at %s, at any depth and however spelled', (text, path) => {
    expect(expectHardfsError(() => parseJsonSafe(text), 'EBADNAME').path).toBe(path);
    expect(expectHardfsError(() => parseJsonSafe(text, { onBlockedKey: 'throw' }), 'EBADNAME').path).toBe(path);
  });

  it("drops blocked keys only when asked (onBlockedKey: 'drop'), at every depth, also when spelled with escapes", () => {
    const text =
      '{"constructor":{"prototype":{"polluted":2}},"a":{"__proto__":{"x":1},"b":[{"\\u005f_proto__":{"polluted":3},"ok":1}]},' +
      '"__defineGetter__":1,"__defineSetter__":1,"__lookupGetter__":1,"__lookupSetter__":1,"prototype":1}';
    const parsed = parseJsonSafe(text, { onBlockedKey: 'drop' }) as Record<string, Record<string, unknown>>;
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.keys(parsed)).toEqual(['a']);
    const a = parsed['a'] as Record<string, unknown>;
    expect(Object.keys(a)).toEqual(['b']);
    const item = (a['b'] as Array<Record<string, unknown>>)[0] as Record<string, unknown>;
    expect(Object.keys(item)).toEqual(['ok']);
    expect(Object.getPrototypeOf(item)).toBeNull();
  });

  it('tells onDroppedKey every key dropped, whether it was top-level, and the path of its holder', () => {
    const dropped: Array<[string, boolean, string]> = [];
    const parsed = parseJsonSafe('{"__proto__":1,"a":{"constructor":2,"b":[{"prototype":3}]}}', {
      onDroppedKey: (key, topLevel, holder) => dropped.push([key, topLevel, JSON.stringify(holder)]),
    });
    expect(dropped.sort()).toEqual([
      ['__proto__', true, '[]'],
      ['constructor', false, '["a"]'],
      ['prototype', false, '["a","b",0]'],
    ]);
    expect(JSON.stringify(parsed)).toBe('{"a":{"b":[{}]}}');
  });

  it('giving onDroppedKey asks for the drop; asking to throw as well is a TypeError', () => {
    expect(parseJsonSafe('{"a":1,"constructor":1}', { onDroppedKey: () => undefined })).toEqual(Object.assign(Object.create(null) as object, { a: 1 }));
    expect(() => parseJsonSafe('1', { onBlockedKey: 'throw', onDroppedKey: () => undefined })).toThrow(TypeError);
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
    ['{"a":1,"b":2} x', 14],
  ] as const)('%j is ECORRUPT at byte %i, with no cause', (text, position) => {
    const error = expectHardfsError(() => parseJsonSafe(text), 'ECORRUPT');
    expect(error.message).toContain(`malformed JSON at byte ${position} `);
    expect(error.cause).toBeUndefined();
  });

  it('gives the line and column too', () => {
    const error = expectHardfsError(() => parseJsonSafe('{\n  "a": 1,\n  "b": ?\n}'), 'ECORRUPT');
    expect(error.message).toContain('byte 19 (line 3, column 8)');
    expect(expectHardfsError(() => parseJsonSafe('{\n  "a": 1,\n  "b" 2\n}'), 'ECORRUPT').message).toContain('byte 18 (line 3, column 7)');
  });

  it('counts bytes as UTF-8, and columns in characters', () => {
    const error = expectHardfsError(() => parseJsonSafe('["é😀", x]'), 'ECORRUPT');
    expect(error.message).toContain('byte 11 (line 1, column 9)');
  });

  it('counts the BOM of byte input, which the decoder drops', () => {
    const error = expectHardfsError(() => parseJsonSafe(Buffer.from('\uFEFF[1,x]')), 'ECORRUPT');
    expect(error.message).toContain('byte 6 (line 1, column 4)');
    expect(expectHardfsError(() => parseJsonSafe(Buffer.from('[1,x]')), 'ECORRUPT').message).toContain('byte 3 (line 1, column 4)');
  });

  it('counts only a real BOM as leading bytes, not characters that share two of its bytes', () => {
    // U+FEC0 is EF BB 80, U+F3FF is EF 8F BF, U+0EFF is E0 BB BF: each differs from the BOM in one byte.
    for (const char of ['\uFEC0', '\uF3FF', '\u0EFF']) {
      const error = expectHardfsError(() => parseJsonSafe(Buffer.from(`"${char}" x`)), 'ECORRUPT');
      expect(error.message).toContain('byte 6 (line 1, column 5)');
    }
  });

  it('says when the text ends early, and only then', () => {
    expect(expectHardfsError(() => parseJsonSafe('[1,2'), 'ECORRUPT').message).toContain('ends early');
    const inside = expectHardfsError(() => parseJsonSafe('[1,2}'), 'ECORRUPT').message;
    expect(inside).not.toContain('ends early');
    expect(inside).toMatch(/column 5\)$/);
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

  it('passes on an error of JSON.parse that is not a syntax error', () => {
    const failure = new RangeError('out of memory');
    const parse = vi.spyOn(JSON, 'parse').mockImplementation(() => {
      throw failure;
    });
    expect(() => parseJsonSafe('1')).toThrow(failure);
    expect(parse).toHaveBeenCalledTimes(1);
  });
});

describe('parseJsonSafe: an enumerable property added to Object.prototype', () => {
  it('is never walked into, changed or taken for a key of the parsed objects', () => {
    const evil = { x: 1 };
    Object.defineProperty(Object.prototype, 'evil', { value: evil, enumerable: true, configurable: true, writable: true });
    try {
      const parsed = parseJsonSafe('{"a":{"b":[{"c":1}]}}') as Record<string, Record<string, unknown>>;
      expect(Object.getPrototypeOf(evil)).toBe(Object.prototype);
      expect(Object.keys(parsed)).toEqual(['a']);
      expect(Object.getPrototypeOf(parsed['a'])).toBeNull();
      expect(JSON.stringify(parsed)).toBe('{"a":{"b":[{"c":1}]}}');
    } finally {
      delete (Object.prototype as Record<string, unknown>)['evil'];
    }
  });
});

describe('parseJsonSafe: numbers JSON cannot carry back', () => {
  it.each([
    ['1e400', 0],
    ['-1e400', 0],
    ['[1, 2e308]', 4],
    ['{"a":{"b":[0,1E+999]}}', 13],
    ['{"s":"1e400","n":[1e400]}', 18],
  ])('%s is ECORRUPT at byte %i', (text, position) => {
    const error = expectHardfsError(() => parseJsonSafe(text), 'ECORRUPT');
    expect(error.message).toContain(`finite range at byte ${position} `);
    expectHardfsError(() => parseJsonSafe(Buffer.from(text), { onBlockedKey: 'drop' }), 'ECORRUPT');
  });

  it('is refused before a blocked key can be dropped, whichever comes first', () => {
    expectHardfsError(() => parseJsonSafe('{"constructor":1,"a":[1e999]}', { onBlockedKey: 'drop' }), 'ECORRUPT');
  });

  it('keeps numbers that only lose precision or underflow to zero', () => {
    expect(parseJsonSafe('[1e-400, 1.7976931348623157e308, 123456789012345678901234567890]')).toEqual([0, Number.MAX_VALUE, 1.2345678901234568e29]);
  });
});

describe('parseJsonSafe: options', () => {
  it('refuses option values that are not bounds', () => {
    expect(() => parseJsonSafe('1', { maxDepth: 0 })).toThrow(TypeError);
    expect(() => parseJsonSafe('1', { maxDepth: 1.5 })).toThrow(TypeError);
    expect(() => parseJsonSafe('1', { maxDepth: Number.NaN })).toThrow(TypeError);
    expect(() => parseJsonSafe('1', { maxBytes: -1 })).toThrow(TypeError);
    expect(() => parseJsonSafe('1', { maxBytes: Number.POSITIVE_INFINITY })).toThrow(TypeError);
    expect(() => parseJsonSafe('1', { onBlockedKey: 'keep' as 'drop' })).toThrow(/onBlockedKey .*got keep/);
    expect(() => parseJsonSafe(42 as unknown as string)).toThrow(TypeError);
  });

  it('maxBytes 0 admits nothing but the empty input', () => {
    expectHardfsError(() => parseJsonSafe('1', { maxBytes: 0 }), 'ETOOBIG');
    expectHardfsError(() => parseJsonSafe('', { maxBytes: 0 }), 'ECORRUPT');
  });
});

describe('parseJsonSafe: a BOM is exactly EF BB BF', () => {
  // Each text starts with a three-byte character sharing two of the BOM's bytes: no byte is
  // dropped, so the error's byte offset counts from the first byte.
  it.each([
    ['E1 BB BF (U+1EFF)', '\u1EFF'],
    ['EF BC BF (U+FF3F)', '\uFF3F'],
    ['EF BB 80 (U+FEC0)', '\uFEC0'],
  ])('%s is no BOM', (_name, lead) => {
    const error = expectHardfsError(() => parseJsonSafe(Buffer.from(`["${lead}" x`, 'utf8')), 'ECORRUPT');
    expect(error.message).toContain('byte 7 (line 1, column 6)');
  });

  it('a real BOM is counted in the byte offset, not in the column', () => {
    const error = expectHardfsError(() => parseJsonSafe(Buffer.from('\uFEFF["a" x', 'utf8')), 'ECORRUPT');
    expect(error.message).toContain('byte 8 (line 1, column 6)');
  });
});
