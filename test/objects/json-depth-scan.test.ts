// assertJsonDepthWithin: the nesting bound, enforced on the text before JSON.parse sees it.
import { describe, expect, it } from 'vitest';
import { assertJsonDepthWithin } from '../../src/objects/json-depth-scan.js';
import { parseJsonSafe } from '../../src/objects/index.js';
import { expectHardfsError } from './expect-hardfs-error.js';

describe('assertJsonDepthWithin', () => {
  const deep = '['.repeat(6);

  it('allows exactly maxDepth levels of either bracket', () => {
    expect(() => assertJsonDepthWithin('[[{}]]', 3)).not.toThrow();
    expect(expectHardfsError(() => assertJsonDepthWithin('[[{}]]', 2), 'EDEPTH').message).toContain('deeper than 2');
  });

  it('an unmatched closer ends the count (JSON.parse refuses the text anyway)', () => {
    expect(() => assertJsonDepthWithin(`]${deep}`, 2)).not.toThrow();
    expectHardfsError(() => parseJsonSafe(`]${deep}`, { maxDepth: 2 }), 'ECORRUPT');
  });

  it('an unterminated string ends the count', () => {
    expect(() => assertJsonDepthWithin(`["${deep}`, 2)).not.toThrow();
  });

  it('a closed container does not end the count', () => {
    expectHardfsError(() => assertJsonDepthWithin(`[]${deep}`, 2), 'EDEPTH');
    expectHardfsError(() => assertJsonDepthWithin(`{}${deep}`, 2), 'EDEPTH');
  });

  it('a string with escaped quotes and backslashes is skipped whole', () => {
    expect(() => assertJsonDepthWithin(`["\\"[[[[[[\\\\", "\\\\\\"[[[[[["]`, 1)).not.toThrow();
    expectHardfsError(() => assertJsonDepthWithin(`["\\\\"${deep}`, 2), 'EDEPTH');
  });
});
