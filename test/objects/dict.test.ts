import { describe, expect, it } from 'vitest';
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
  it('keeps ordinary keys in order and drops blocked ones', () => {
    const built = dictFromEntries([
      ['a', 1],
      ['__proto__', 2],
      ['constructor', 3],
      ['prototype', 4],
      ['__defineGetter__', 5],
      ['b', 6],
    ]);
    expect(Object.getPrototypeOf(built)).toBeNull();
    expect(Object.entries(built)).toEqual([
      ['a', 1],
      ['b', 6],
    ]);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('accepts any iterable of entries; a later duplicate wins', () => {
    const built = dictFromEntries(new Map([['x', 1], ['toString', 2]]).entries());
    expect(built['toString']).toBe(2);
    expect(dictFromEntries([['k', 1], ['k', 2]])['k']).toBe(2);
  });
});
