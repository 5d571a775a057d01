// Properties of the table fitting helpers (truncateMiddle, wrapText, formatTable) and the
// --exclude glob dialect.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { globMatcher } from '../../src/cli/glob.js';
import { formatTable, truncateMiddle, wrapText } from '../../src/cli/output.js';
import { fcParams } from '../support/fc.js';

const printableText = fc.string({ unit: fc.constantFrom(...'abcdefghij/._- '.split('')), maxLength: 200 });
const width = fc.integer({ min: 1, max: 120 });

describe('truncateMiddle', () => {
  it('never exceeds the width, keeps text that fits, and keeps both ends of text that does not', () => {
    fc.assert(
      fc.property(printableText, width, (text, w) => {
        const cut = truncateMiddle(text, w);
        expect(Array.from(cut).length).toBeLessThanOrEqual(Math.max(w, 0));
        if (text.length <= w) expect(cut).toBe(text);
        else if (w >= 3) {
          expect(cut).toContain('…');
          expect(text.startsWith(cut.slice(0, cut.indexOf('…')))).toBe(true);
          expect(text.endsWith(cut.slice(cut.indexOf('…') + 1))).toBe(true);
        }
      }),
      fcParams(),
    );
  });
});

describe('wrapText', () => {
  it('lines fit the width whenever no word is longer, and no character but spaces is lost', () => {
    fc.assert(
      fc.property(printableText, fc.integer({ min: 5, max: 80 }), (text, w) => {
        const lines = wrapText(text, w);
        for (const line of lines) expect(Array.from(line).length).toBeLessThanOrEqual(w);
        expect(lines.join('').replace(/ /g, '')).toBe(text.replace(/ /g, ''));
      }),
      fcParams(),
    );
  });
});

describe('formatTable', () => {
  it('fits 80 columns when paths can be cut and the last column wrapped (headers short enough)', () => {
    const row = fc.tuple(printableText, fc.string({ unit: fc.constantFrom(...'abc-'.split('')), maxLength: 12 }), printableText);
    fc.assert(
      fc.property(fc.array(row, { minLength: 1, maxLength: 8 }), (rows) => {
        const text = formatTable([{ header: 'PATH', truncate: true }, { header: 'KIND' }, { header: 'DETAIL', wrap: true }], rows);
        for (const line of text.split('\n')) expect(Array.from(line).length).toBeLessThanOrEqual(80);
      }),
      fcParams(),
    );
  });
});

describe('globMatcher', () => {
  // Real names: readdir never returns '.' or '..'.
  const name = fc.string({ unit: fc.constantFrom(...'abcxyz.-_'.split('')), minLength: 1, maxLength: 8 }).filter((n) => n !== '.' && n !== '..');
  it('a name pattern matches that name at any depth; * never crosses a /; ** does', () => {
    fc.assert(
      fc.property(fc.array(name, { minLength: 1, maxLength: 5 }), name, (dirs, leaf) => {
        const path = [...dirs, leaf].join('/');
        expect(globMatcher([leaf])(path)).toBe(true);
        expect(globMatcher(['*'])(path)).toBe(true); // a name pattern: the last component
        expect(globMatcher([`${dirs[0] ?? ''}/*`])(path)).toBe(dirs.length === 1);
        expect(globMatcher([`${dirs[0] ?? ''}/**`])(path)).toBe(true);
        expect(globMatcher([`**/${leaf}`])(path)).toBe(true);
      }),
      fcParams(),
    );
  });

  it('escapes regular-expression characters: a literal pattern matches only itself', () => {
    expect(globMatcher(['a.b'])('axb')).toBe(false);
    expect(globMatcher(['a.b'])('a.b')).toBe(true);
    expect(globMatcher(['(x)+'])('(x)+')).toBe(true);
    expect(globMatcher(['dir/'])('x/dir')).toBe(true);
    expect(globMatcher([])('anything')).toBe(false);
  });
});
