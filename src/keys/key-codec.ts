import { HardfsError } from '../errors.js';
import { MAX_STEM_LENGTH, isLongKeyStem, longKeyStem } from './long-key-stem.js';
import { bytesOfStemTokens, stemOfBytes } from './stem-alphabet.js';

// In a `u` regex a paired surrogate is one code point, so this matches lone surrogates only.
const LONE_SURROGATE = /\p{Surrogate}/u;
const encoder = new TextEncoder();
// ignoreBOM keeps a leading U+FEFF: it is part of the key, not a marker to strip.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Maps a key to a file name stem, injectively — also after lower-casing, for case-insensitive
 * filesystems — in ASCII `[a-z0-9._-]` plus upper-case `%XX` escapes of its UTF-8 bytes:
 * never `.`/`..`, never hidden, never ending in `.`, never a Windows device name, never
 * Unicode a filesystem could re-normalize, and at most MAX_STEM_LENGTH bytes (longer stems
 * become a prefix, `~`, and a SHA-256 digest; the store keeps the full key inside the file).
 * EBADNAME for an empty key, a non-string or one with a lone surrogate (not well-formed UTF-16).
 *
 * @example
 * ```ts
 * encodeKey('agent:main'); // 'agent%3Amain'
 * encodeKey('Agent'); // '%41gent': distinct from 'agent' even on a case-insensitive filesystem
 * decodeKey('%41gent'); // 'Agent'
 * ```
 */
export function encodeKey(key: string): string {
  if (typeof key !== 'string' || key.length === 0) {
    throw new HardfsError('EBADNAME', 'key must be a non-empty string');
  }
  // TextEncoder would silently turn a lone surrogate into U+FFFD, merging distinct keys.
  if (LONE_SURROGATE.test(key)) {
    throw new HardfsError('EBADNAME', 'key is not well-formed UTF-16 (lone surrogate)');
  }
  const bytes = encoder.encode(key);
  const stem = stemOfBytes(bytes);
  return stem.length <= MAX_STEM_LENGTH ? stem : longKeyStem(stem, bytes);
}

/**
 * The key of a stem encodeKey produced; undefined for a long-key stem (the key is inside the
 * file); EBADNAME for anything encodeKey would never produce (lower-case hex, a literal
 * upper-case letter, a needless escape, a separator, invalid UTF-8, empty …), so that two
 * names on disk can never decode to the same key.
 */
export function decodeKey(stem: string): string | undefined {
  if (typeof stem !== 'string' || stem.length === 0) {
    throw new HardfsError('EBADNAME', 'stem must be a non-empty string');
  }
  if (stem.includes('~')) {
    if (isLongKeyStem(stem)) return undefined;
    throw new HardfsError('EBADNAME', 'malformed long-key stem', { path: printable(stem) });
  }
  if (stem.length > MAX_STEM_LENGTH) {
    throw new HardfsError('EBADNAME', 'stem is longer than encodeKey produces', { path: printable(stem) });
  }
  const bytes = bytesOfStemTokens(stem);
  if (bytes === undefined) {
    throw new HardfsError('EBADNAME', 'stem has a character or escape encodeKey never emits', { path: printable(stem) });
  }
  let key: string;
  try {
    key = strictUtf8.decode(bytes);
  } catch {
    throw new HardfsError('EBADNAME', 'escapes do not form valid UTF-8', { path: printable(stem) });
  }
  // The canonical form is unique: anything that does not re-encode to itself (a needless
  // escape, a bare edge dot, an unescaped device name) was not made by encodeKey.
  if (encodeKey(key) !== stem) {
    throw new HardfsError('EBADNAME', 'stem is not in canonical form', { path: printable(stem) });
  }
  return key;
}

/** Stems reach error messages and logs: keep control characters visible. */
function printable(stem: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what this replaces
  return stem.replace(/[\u0000-\u001f\u007f]/g, (char) => `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
