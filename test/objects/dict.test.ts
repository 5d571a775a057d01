import { describe, expect, it } from 'vitest';
import { expectHardfsError } from './expect-hardfs-error.js';
import { createDict, dictFromEntries } from '../../src/objects/index.js';

describe('createDict', () => {
  it('has no prototype, so __proto__ is an ordinary own key', () => {
    const dict = createDict<number>();
    expect(Object.getPrototypeOf(dict)).toBeNull();
    dict['__proto__'] = 1;
    expect(Object.getPrototypeOf(dict)).toBeNull();
    expect(Object.keys(dict)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>)['toString']).toBeTypeOf('function');
    expect(dict['toString']).toBeUndefined();
    expect('hasOwnProperty' in dict).toBe(false);
  });

  it('gives a fresh record on each call', () => {
    const a = createDict<number>();
    a['x'] = 1;
    expect(createDict<number>()['x']).toBeUndefined();
  });
});

describe('dictFromEntries', () => {
  it('keeps ordinary keys in order, with no prototype', () => {
    const built = dictFromEntries([
      ['a', 1],
      ['toString', 2],
      ['b', 6],
    ]);
    expect(Object.getPrototypeOf(built)).toBeNull();
    expect(Object.entries(built)).toEqual([
      ['a', 1],
      ['toString', 2],
      ['b', 6],
    ]);
  });

  it.each(['__proto__', 'constructor', 'prototype', '__defineGetter__'])('refuses the blocked key %s with EBADNAME, dropping nothing silently', (key) => {
    const error = expectHardfsError(() => dictFromEntries([['a', 1], [key, 2]]), 'EBADNAME');
    expect(error.path).toBe(key);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('refuses a key that is not a string with a TypeError', () => {
    expect(() => dictFromEntries([[Symbol('s'), 1]] as unknown as Array<[string, number]>)).toThrow(/keys must be strings/);
    expect(() => dictFromEntries([[7, 1]] as unknown as Array<[string, number]>)).toThrow(TypeError);
  });

  it('accepts any iterable of entries; a later duplicate wins', () => {
    const built = dictFromEntries(new Map([['x', 1], ['toString', 2]]).entries());
    expect(built['toString']).toBe(2);
    expect(dictFromEntries([['k', 1], ['k', 2]])['k']).toBe(2);
  });
});
