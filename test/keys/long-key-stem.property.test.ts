// Properties of the long-key form, on the stems of arbitrary over-long keys.
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LONG_STEM_DIGEST_LENGTH, MAX_STEM_LENGTH, encodeKey, isLongKeyStem } from '../../src/keys/index.js';
import { longKeyStem } from '../../src/keys/long-key-stem.js';
import { bytesOfStemTokens, stemOfBytes } from '../../src/keys/stem-alphabet.js';
import { fcParams } from '../support/fc.js';
import { longKey } from './key-arbitraries.js';

const TOKENS = /^(?:[a-z0-9._-]|%[0-9A-F]{2})*$/;

describe('longKeyStem / isLongKeyStem properties', () => {
  it('long-key stems: bounded, distinct per key, and recognized only in their canonical shape', () => {
    fc.assert(
      fc.property(longKey, fc.string({ unit: fc.constantFrom('a', 'A', '.', 'é'), minLength: 1, maxLength: 3 }), (key, suffix) => {
        const stem = encodeKey(key);
        expect(stem).toMatch(new RegExp(`~[0-9a-f]{${LONG_STEM_DIGEST_LENGTH}}$`));
        expect(isLongKeyStem(stem)).toBe(true);
        expect(encodeKey(key + suffix)).not.toBe(stem);
        const digestless = stem.slice(0, stem.indexOf('~') + 1);
        expect(isLongKeyStem(`${digestless}${'A'.repeat(LONG_STEM_DIGEST_LENGTH)}`)).toBe(false);
        expect(isLongKeyStem(`${digestless}${'0'.repeat(LONG_STEM_DIGEST_LENGTH - 1)}`)).toBe(false);
        // Three more characters put the prefix past any length the cut rule gives.
        expect(isLongKeyStem(`aaa${stem}`)).toBe(false);
        expect(isLongKeyStem(stem.slice(3))).toBe(false);
      }),
      fcParams(300),
    );
  });

  it('is a whole-token prefix of the full stem, `~`, and the key digest, within the bound', () => {
    fc.assert(
      fc.property(longKey, (key) => {
        const bytes = new TextEncoder().encode(key);
        const full = stemOfBytes(bytes);
        const stem = longKeyStem(full, bytes);
        const [prefix, digest] = stem.split('~') as [string, string];
        expect(stem.length).toBeLessThanOrEqual(MAX_STEM_LENGTH);
        expect(stem.length).toBeGreaterThanOrEqual(MAX_STEM_LENGTH - 2);
        expect(full.startsWith(prefix)).toBe(true);
        expect(prefix).toMatch(TOKENS);
        expect(bytesOfStemTokens(prefix)).toBeDefined();
        expect(digest).toBe(createHash('sha256').update(bytes).digest('hex').slice(0, LONG_STEM_DIGEST_LENGTH));
        expect(encodeKey(key)).toBe(stem);
      }),
      fcParams(200),
    );
  });

  it('is false for every stem short enough to be a plain one, and for any text without exactly one ~', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', '~', '%', 'A', '0', 'f'), maxLength: 220 }), (text) => {
        if (isLongKeyStem(text)) {
          expect(text.split('~')).toHaveLength(2);
          expect(text.length).toBeGreaterThan(MAX_STEM_LENGTH - 3);
        }
      }),
      fcParams(200),
    );
  });
});
