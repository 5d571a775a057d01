import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HardfsError, isPathWithin, resolveWithin } from '../../src/index.js';
import { fcParams } from '../support/fc.js';

/**
 * Reference model, written independently of node:path: a path is a stack of components.
 * Resolving pushes each component of each segment in turn; '' (repeated or trailing
 * separators) and '.' are no-ops, '..' pops (never above the root), and a segment starting with
 * '/' restarts from the root. Relative input starts from the working directory's components.
 * On POSIX '\' is an ordinary byte, and comparison is byte for byte (no case folding, no
 * Unicode normalisation).
 */
function components(path: string): string[] {
  return path.split('/');
}

function modelResolve(...segments: string[]): string[] {
  let stack: string[] = [];
  for (const part of components(process.cwd())) if (part !== '') stack.push(part);
  for (const segment of segments) {
    if (segment.startsWith('/')) stack = [];
    for (const part of components(segment)) {
      if (part === '' || part === '.') continue;
      if (part === '..') stack.pop();
      else stack.push(part);
    }
  }
  return stack;
}

function modelWithin(root: string[], candidate: string[]): boolean {
  if (candidate.length < root.length) return false;
  for (let i = 0; i < root.length; i += 1) if (candidate[i] !== root[i]) return false;
  return true;
}

function render(stack: string[]): string {
  return `/${stack.join('/')}`;
}

// Components chosen to collide with each other as strings: prefixes and extensions of one
// another ('b', 'bc', 'b-', 'b.'), dot games ('..b', 'b..', '...', '.b'), a backslash (a
// separator on Windows, a plain byte here), case and Unicode look-alikes.
const component = fc.constantFrom('a', 'b', 'bc', 'b-', 'b.', '.b', '..b', 'b..', '...', 'a b', 'a\\b', 'B', 'é', 'e\u0301', '.', '..', '');
const separator = fc.constantFrom('/', '/', '/', '//', '///');

const relativePath = fc
  .tuple(fc.array(fc.tuple(component, separator), { maxLength: 7 }), component, fc.constantFrom('', '/', '//', '/.', '/..'))
  .map(([pairs, last, trailing]) => pairs.map(([part, sep]) => part + sep).join('') + last + trailing);
const absolutePath = fc.tuple(separator, relativePath).map(([sep, rest]) => sep + rest);
const anyPath = fc.oneof(absolutePath, relativePath);

// A root and a candidate built by appending to the root's own spelling: the place where a
// string-prefix test says "inside" and a component test must not ('/a/b' + 'c' is '/a/bc').
const suffix = fc
  .array(fc.constantFrom('c', '-', '.', '..', '/', '//', '/c', '/..', '/../', '/.', 'c/..', '/./c', '/../bc', '/b', '\\c'), {
    minLength: 1,
    maxLength: 4,
  })
  .map((parts) => parts.join(''));
const rootAndExtension = fc.tuple(absolutePath, suffix).map(([root, extra]) => [root, root + extra] as const);

function expectEscape(action: () => unknown, expectedPath: string): void {
  let thrown: unknown;
  try {
    action();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(HardfsError);
  expect((thrown as HardfsError).code).toBe('EESCAPE');
  expect((thrown as HardfsError).path).toBe(expectedPath);
}

describe('isPathWithin against the component-stack model', () => {
  it('agrees on arbitrary roots and candidates (absolute or relative, dotted, repeated and trailing separators)', () => {
    fc.assert(
      fc.property(anyPath, anyPath, (root, candidate) => {
        expect(isPathWithin(root, candidate)).toBe(modelWithin(modelResolve(root), modelResolve(candidate)));
      }),
      fcParams(3000),
    );
  });

  it('agrees when the candidate is the root spelled longer: prefix-confusable siblings are outside', () => {
    fc.assert(
      fc.property(rootAndExtension, ([root, candidate]) => {
        expect(isPathWithin(root, candidate)).toBe(modelWithin(modelResolve(root), modelResolve(candidate)));
      }),
      fcParams(3000),
    );
  });

  it('is reflexive and holds for every descendant the model builds', () => {
    fc.assert(
      fc.property(anyPath, fc.array(fc.constantFrom('a', 'bc', 'b-', '..b', 'x y'), { maxLength: 4 }), (root, below) => {
        expect(isPathWithin(root, root)).toBe(true);
        const descendant = render([...modelResolve(root), ...below]);
        expect(isPathWithin(root, descendant)).toBe(true);
        if (modelResolve(root).length > 0) expect(isPathWithin(root, `${render(modelResolve(root))}/..`)).toBe(false);
      }),
      fcParams(1000),
    );
  });

  it('a NUL anywhere in either argument is EBADNAME', () => {
    fc.assert(
      fc.property(anyPath, anyPath, fc.nat(), fc.boolean(), (root, candidate, at, inRoot) => {
        const insert = (path: string): string => path.slice(0, at % (path.length + 1)) + '\0' + path.slice(at % (path.length + 1));
        const [r, c] = inRoot ? [insert(root), candidate] : [root, insert(candidate)];
        let thrown: unknown;
        try {
          isPathWithin(r, c);
        } catch (error) {
          thrown = error;
        }
        expect(thrown).toBeInstanceOf(HardfsError);
        expect((thrown as HardfsError).code).toBe('EBADNAME');
        expect((thrown as HardfsError).path ?? '').not.toContain('\0');
      }),
      fcParams(500),
    );
  });
});

describe('resolveWithin against the component-stack model', () => {
  it('returns the model path when inside and throws EESCAPE (with the resolved path) exactly when outside', () => {
    fc.assert(
      fc.property(anyPath, fc.array(anyPath, { maxLength: 4 }), (root, segments) => {
        const resolved = modelResolve(root, ...segments);
        if (modelWithin(modelResolve(root), resolved)) {
          const result = resolveWithin(root, ...segments);
          expect(result).toBe(render(resolved));
          expect(isPathWithin(root, result)).toBe(true);
        } else {
          expectEscape(() => resolveWithin(root, ...segments), render(resolved));
        }
      }),
      fcParams(3000),
    );
  });

  it('an absolute segment restarts resolution: inside only if it lands under the root', () => {
    fc.assert(
      fc.property(absolutePath, relativePath, absolutePath, relativePath, (root, before, absolute, after) => {
        const resolved = modelResolve(root, before, absolute, after);
        const inside = modelWithin(modelResolve(root), resolved);
        if (inside) expect(resolveWithin(root, before, absolute, after)).toBe(render(resolved));
        else expectEscape(() => resolveWithin(root, before, absolute, after), render(resolved));
      }),
      fcParams(1000),
    );
  });

  it('a NUL in any segment is EBADNAME, even when the segment would be discarded', () => {
    fc.assert(
      fc.property(absolutePath, fc.array(anyPath, { maxLength: 3 }), fc.nat(), (root, segments, at) => {
        const position = at % (segments.length + 1);
        const placed = [...segments.slice(0, position), 'x\0y', ...segments.slice(position)];
        // an absolute segment after the NUL one would make path.resolve drop it: still refused
        placed.push('/abs');
        let thrown: unknown;
        try {
          resolveWithin(root, ...placed);
        } catch (error) {
          thrown = error;
        }
        expect(thrown).toBeInstanceOf(HardfsError);
        expect((thrown as HardfsError).code).toBe('EBADNAME');
      }),
      fcParams(300),
    );
  });
});

describe('containment examples', () => {
  it('prefix-confusable siblings, dot games, separators', () => {
    const cases: Array<[string, string, boolean]> = [
      ['/a/b', '/a/b', true],
      ['/a/b', '/a/b/', true],
      ['/a/b/', '/a/b', true],
      ['/a/b', '/a/b//c', true],
      ['/a/b', '/a/b/./c/', true],
      ['/a/b', '/a/bc', false],
      ['/a/b', '/a/b-', false],
      ['/a/b', '/a/b.', false],
      ['/a/b', '/a/b/..', false],
      ['/a/b', '/a/b/../bc', false],
      ['/a/b', '/a/b/c/../..', false],
      ['/a/b', '/a/b/..b', true],
      ['/a/b', '/a/b/...', true],
      // a backslash is a byte on POSIX: 'x\..\..' is one component below the root, 'b\..' a sibling
      ['/a/b', '/a/b/x\\..\\..', true],
      ['/a/b', '/a/b\\..', false],
      ['/a/b', '/A/B', false],
      ['/a/é', '/a/e\u0301', false],
      ['/', '/anything', true],
      ['/', '/', true],
      ['//', '/x', true],
      ['/a/b', '/a', false],
      ['/a/b', '/', false],
    ];
    for (const [root, candidate, expected] of cases) {
      expect([root, candidate, isPathWithin(root, candidate)]).toEqual([root, candidate, expected]);
    }
    expect(resolveWithin('/a/b', 'c', '..', 'd')).toBe('/a/b/d');
    expect(resolveWithin('/a/b')).toBe('/a/b');
    expect(resolveWithin('/a/b', '/a/b/x')).toBe('/a/b/x');
    expectEscape(() => resolveWithin('/a/b', '..', 'bc'), '/a/bc');
    expectEscape(() => resolveWithin('/a/b', '/etc/passwd'), '/etc/passwd');
    expectEscape(() => resolveWithin('/a/b', 'c', '../../b-'), '/a/b-');
    expect(() => isPathWithin(1 as unknown as string, '/a')).toThrow(TypeError);
  });
});
