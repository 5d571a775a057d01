// No error of the safe-JSON layer carries the input: V8's JSON.parse message quotes the text
// around the error (a token, say), so neither that message nor the SyntaxError itself may
// reach a HardfsError. Positions (byte, line, column) say where; keys in a path say which
// member; values never appear.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assertSafeJsonValue, parseJsonSafe, stableStringify } from '../../src/objects/index.js';
import { fcParams } from '../support/fc.js';
import { mutatedJsonText } from './json-arbitraries.js';

const SECRET = 'sk-live-7f3a9c1e5b2d';

/** Every text an error exposes: message, stack, own properties, and the same of its causes. */
function exposedText(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && depth < 8; depth += 1) {
    if (current instanceof Error) {
      parts.push(current.message, current.stack ?? '', JSON.stringify({ ...current }));
      current = current.cause;
    } else {
      parts.push(String(current));
      current = undefined;
    }
  }
  return parts.join('\n');
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('parseJsonSafe errors never quote the input', () => {
  it("V8's own message does quote it, for an unexpected token", () => {
    expect(exposedText(thrown(() => JSON.parse(`{"token":${SECRET}}`)))).toContain(SECRET.slice(0, 4));
  });

  it.each([
    ['truncated after the secret', `{"token":"${SECRET}"`],
    ['a bad token right after the secret', `{"token":"${SECRET}"x}`],
    ['an unterminated string holding the secret', `{"token":"${SECRET}`],
    ['the secret as a bare word', `{"token":${SECRET}}`],
    ['the secret after a complete value', `{"a":1} ${SECRET}`],
    ['a control character inside the secret', `{"token":"${SECRET}\u0001"}`],
    ['a bad escape inside the secret', `{"token":"${SECRET}\\q"}`],
    ['a BOM before the secret, then truncated', `\uFEFF{"token":"${SECRET}"`],
  ])('%s', (_name, text) => {
    for (const input of [text, Buffer.from(text)]) {
      const error = thrown(() => parseJsonSafe(input));
      expect(error).toMatchObject({ code: 'ECORRUPT' });
      expect(exposedText(error)).not.toContain(SECRET.slice(0, 6));
      expect((error as Error).cause).toBeUndefined();
    }
  });

  it('a BOM in byte input, then malformed JSON holding the secret', () => {
    const error = thrown(() => parseJsonSafe(Buffer.from(`\uFEFF{"token":"${SECRET}" 1}`)));
    expect(error).toMatchObject({ code: 'ECORRUPT' });
    expect(exposedText(error)).not.toContain(SECRET.slice(0, 6));
  });

  it('invalid UTF-8 next to the secret', () => {
    const bytes = Buffer.concat([Buffer.from(`{"token":"${SECRET}`), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
    const error = thrown(() => parseJsonSafe(bytes));
    expect(error).toMatchObject({ code: 'ECORRUPT' });
    expect((error as Error).message).toContain('at byte 30');
    expect(exposedText(error)).not.toContain(SECRET.slice(0, 6));
  });

  it('a number out of range beside the secret', () => {
    const error = thrown(() => parseJsonSafe(`{"token":"${SECRET}","n":1e999}`));
    expect(error).toMatchObject({ code: 'ECORRUPT' });
    expect(exposedText(error)).not.toContain(SECRET.slice(0, 6));
  });
});

describe('stableStringify and assertSafeJsonValue errors never quote a value', () => {
  it.each([
    ['a non-finite number', { token: SECRET, n: Number.POSITIVE_INFINITY }],
    ['a BigInt', { token: SECRET, n: 10n }],
  ])('stableStringify: %s', (_name, value) => {
    const error = thrown(() => stableStringify(value));
    expect(error).toMatchObject({ code: 'ECORRUPT', path: '$.n' });
    expect(exposedText(error)).not.toContain(SECRET.slice(0, 6));
  });

  it.each([
    ['a non-finite number', { token: SECRET, n: Number.NaN }],
    ['undefined in an array', { token: SECRET, n: [SECRET, undefined] }],
    ['a Date', { token: SECRET, n: new Date() }],
    ['a blocked key', JSON.parse(`{"token":"${SECRET}","n":{"__proto__":"${SECRET}"}}`) as unknown],
  ])('assertSafeJsonValue: %s', (_name, value) => {
    const error = thrown(() => assertSafeJsonValue(value));
    expect(exposedText(error)).not.toContain(SECRET.slice(0, 6));
    expect((error as { path: string }).path.startsWith('$.n')).toBe(true);
  });
});

describe('property: no error text holds a marker planted in malformed input', () => {
  const marker = fc.stringMatching(/^[A-Za-z][A-Za-z0-9]{11}$/);

  /** A JSON text JSON.parse refuses, with the marker inside a string, a key, or bare. */
  const malformed = fc
    .tuple(mutatedJsonText, marker, fc.nat(), fc.constantFrom('value', 'key', 'bare', 'unterminated'))
    .map(([text, mark, at, where]) => {
      const i = at % (text.length + 1);
      const planted = where === 'value' ? `"${mark}"` : where === 'key' ? `{"${mark}":1}` : where === 'bare' ? mark : `"${mark}`;
      return { text: text.slice(0, i) + planted + text.slice(i), mark };
    })
    .filter(({ text }) => {
      // A leading U+FEFF is malformed in a string but, as UTF-8 bytes, the byte order mark
      // that a decoder drops: keep only texts malformed in every form.
      if (text.startsWith('\uFEFF')) return false;
      try {
        JSON.parse(text);
        return false;
      } catch {
        return true;
      }
    });

  it('for string and byte input, with and without a BOM or a bad byte', () => {
    fc.assert(
      fc.property(malformed, fc.constantFrom('string', 'bytes', 'bom', 'badbyte'), ({ text, mark }, form) => {
        const input =
          form === 'string'
            ? text
            : form === 'bytes'
              ? Buffer.from(text)
              : form === 'bom'
                ? Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)])
                : Buffer.concat([Buffer.from(text), Buffer.from([0xc3])]);
        const error = thrown(() => parseJsonSafe(input, { maxDepth: 1000 }));
        expect(error).toMatchObject({ code: 'ECORRUPT' });
        expect(exposedText(error)).not.toContain(mark);
      }),
      fcParams(400),
    );
  });
});
