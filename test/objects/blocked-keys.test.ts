import { describe, expect, it } from 'vitest';
import { BLOCKED_OBJECT_KEYS, isBlockedObjectKey } from '../../src/objects/index.js';
import { importFresh } from '../support/platform.js';

const MODULE = new URL('../../src/objects/blocked-keys.ts', import.meta.url);

describe('isBlockedObjectKey', () => {
  it('blocks the prototype names and the legacy accessor hooks', () => {
    const expected = ['__proto__', 'constructor', 'prototype', '__defineGetter__', '__defineSetter__', '__lookupGetter__', '__lookupSetter__'];
    for (const key of expected) expect(isBlockedObjectKey(key)).toBe(true);
    expect([...BLOCKED_OBJECT_KEYS].sort()).toEqual([...expected].sort());
  });

  it('compares exactly: other spellings, other names and symbols pass', () => {
    for (const key of ['proto', '__PROTO__', 'Constructor', ' constructor', 'toString', 'hasOwnProperty', 'valueOf', '', 'prototypes', '__proto']) {
      expect(isBlockedObjectKey(key)).toBe(false);
    }
    expect(isBlockedObjectKey(Symbol('__proto__'))).toBe(false);
    expect(isBlockedObjectKey(0)).toBe(false);
  });
});

describe('the blocked keys as the module loads them', () => {
  // A copy evaluated by this test (see importFresh): the set is built when the module loads.
  it('holds exactly the prototype and accessor-hook names', async () => {
    const fresh = await importFresh<typeof import('../../src/objects/blocked-keys.js')>(MODULE);
    const expected = ['__proto__', 'constructor', 'prototype', '__defineGetter__', '__defineSetter__', '__lookupGetter__', '__lookupSetter__'];
    expect([...fresh.BLOCKED_OBJECT_KEYS].sort()).toEqual([...expected].sort());
    for (const key of expected) expect(fresh.isBlockedObjectKey(key)).toBe(true);
    expect(fresh.isBlockedObjectKey('')).toBe(false);
    expect([...BLOCKED_OBJECT_KEYS].sort()).toEqual([...expected].sort());
  });
});
