import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HardfsError, isPathWithin, resolveWithin } from '../../src/index.js';
import { fcParams } from '../support/fc.js';

/**
 * Reference model, written independently of node:path: split on '/', drop '' and '.', pop on
 * '..' (never above the root), restart at the root on an absolute segment.
 */
function normalize(...segments: string[]): string[] {
  let stack: string[] = [];
  for (const segment of segments) {
    if (segment.startsWith('/')) stack = [];
    for (const part of segment.split('/')) {
      if (part === '' || part === '.') continue;
      if (part === '..') stack.pop();
      else stack.push(part);
    }
  }
  return stack;
}

function within(root: string[], candidate: string[]): boolean {
  return candidate.length >= root.length && root.every((part, i) => candidate[i] === part);
}

const component = fc.constantFrom('a', 'b', 'bc', 'b-', 'a.b', '..', '.', '', 'c', '...', 'b ');
const relative = fc.array(component, { maxLength: 6 }).map((parts) => parts.join('/'));
const absolute = relative.map((path) => `/${path}`);
const withTrailing = fc.tuple(fc.oneof(absolute, relative), fc.constantFrom('', '/', '//', '/.')).map(([p, t]) => p + t);

describe('containment against a reference model', () => {
  it('isPathWithin agrees with the model', () => {
    fc.assert(
      fc.property(absolute, fc.oneof(absolute, withTrailing), (root, candidate) => {
        const modelRoot = normalize(root);
        const modelCandidate = normalize(process.cwd(), candidate);
        expect(isPathWithin(root, candidate)).toBe(within(modelRoot, modelCandidate));
      }),
      fcParams(2000),
    );
  });

  it('resolveWithin throws EESCAPE exactly when the model says outside, else returns the resolved path', () => {
    fc.assert(
      fc.property(absolute, fc.array(fc.oneof(relative, withTrailing, absolute), { maxLength: 3 }), (root, segments) => {
        const expected = normalize(root, ...segments);
        const inside = within(normalize(root), expected);
        if (inside) {
          expect(resolveWithin(root, ...segments)).toBe(`/${expected.join('/')}`);
        } else {
          try {
            resolveWithin(root, ...segments);
            throw new Error('expected EESCAPE');
          } catch (error) {
            expect(error).toBeInstanceOf(HardfsError);
            expect((error as HardfsError).code).toBe('EESCAPE');
          }
        }
      }),
      fcParams(2000),
    );
  });

  it('prefix-confusable siblings are outside', () => {
    expect(isPathWithin('/a/b', '/a/bc')).toBe(false);
    expect(isPathWithin('/a/b', '/a/b-')).toBe(false);
    expect(isPathWithin('/a/b', '/a/b/')).toBe(true);
    expect(isPathWithin('/a/b/', '/a/b/c/../d')).toBe(true);
    expect(isPathWithin('/a/b', '/a/b/../c')).toBe(false);
    expect(isPathWithin('/', '/anything')).toBe(true);
    expect(() => resolveWithin('/a', 'x\0y')).toThrow(expect.objectContaining({ code: 'EBADNAME' }) as unknown as Error);
    expect(() => isPathWithin('/a\0', '/a')).toThrow(HardfsError);
  });
});
