// splitRelativePath / isPlainName: the pure half of the walk.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HardfsError } from '../../src/index.js';
import { isPlainName, splitRelativePath } from '../../src/sys/relative-path.js';
import { fcParams } from '../support/fc.js';

const component = fc.stringMatching(/^[a-z.\\ _-]{1,6}$/);
const relative = fc.array(fc.oneof(component, fc.constantFrom('', '.', '..')), { maxLength: 8 }).map((parts) => parts.join('/'));

describe('splitRelativePath', () => {
  it('drops empty and "." components, keeps ".." and every other name byte for byte', () => {
    fc.assert(
      fc.property(relative, (path) => {
        fc.pre(!path.startsWith('/')); // absolute: the property below
        const parts = splitRelativePath(path);
        expect(parts).toEqual(path.split('/').filter((part) => part !== '' && part !== '.'));
        expect(parts.every((part) => part.length > 0 && !part.includes('/'))).toBe(true);
      }),
      fcParams(),
    );
  });

  it('an absolute path is EESCAPE and a NUL anywhere is EBADNAME, for every path', () => {
    fc.assert(
      fc.property(relative, fc.nat(), (path, at) => {
        expect(() => splitRelativePath(`/${path}`)).toThrow(expect.objectContaining({ code: 'EESCAPE' }) as Error);
        const cut = at % (path.length + 1);
        const withNul = `${path.slice(0, cut)}\0${path.slice(cut)}`;
        expect(() => splitRelativePath(withNul)).toThrow(HardfsError);
        expect(() => splitRelativePath(withNul)).toThrow(expect.objectContaining({ code: 'EBADNAME' }) as Error);
      }),
      fcParams(),
    );
  });

  it('isPlainName is exactly "splits to one component that is not .."', () => {
    fc.assert(
      fc.property(relative, (path) => {
        const parts = path.includes('\0') || path.startsWith('/') ? undefined : splitRelativePath(path);
        const plain = parts !== undefined && parts.length === 1 && parts[0] !== '..' && parts[0] === path;
        expect(isPlainName(path)).toBe(plain);
      }),
      fcParams(),
    );
  });
});
