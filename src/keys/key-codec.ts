import { createHash } from 'node:crypto';
import { HardfsError } from '../errors.js';

/** Longest stem encodeKey produces; well under NAME_MAX (255) with room for `.json`, `.lock` and temp suffixes. */
export const MAX_STEM_LENGTH = 200;
/** Hex digits of SHA-256 kept after `~` in a long-key stem (128 bits). */
export const LONG_STEM_DIGEST_LENGTH = 32;
const LONG_PREFIX_LENGTH = MAX_STEM_LENGTH - 1 - LONG_STEM_DIGEST_LENGTH;

const HEX = '0123456789ABCDEF';
// Literal bytes: lower-case letters, digits, `-`, `_`, and `.` (except where a filesystem gives
// it meaning). Everything else — upper case included, so that lower-casing a stem can never
// make two stems equal — becomes an upper-case %XX escape of its UTF-8 byte.
const LITERAL = new Uint8Array(256);
for (let byte = 0x61; byte <= 0x7a; byte += 1) LITERAL[byte] = 1;
for (let byte = 0x30; byte <= 0x39; byte += 1) LITERAL[byte] = 1;
LITERAL[0x2d] = 1; // -
LITERAL[0x5f] = 1; // _
LITERAL[0x2e] = 1; // . (see the leading/trailing rule below)

const DEVICE_NAME = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])$/;
const LONG_STEM = /^([a-z0-9._%A-F-]+)~([0-9a-f]+)$/;
// In a `u` regex a paired surrogate is one code point, so this matches lone surrogates only.
const LONE_SURROGATE = /\p{Surrogate}/u;
const encoder = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function escapeByte(byte: number): string {
  return `%${HEX[byte >> 4]}${HEX[byte & 15]}`;
}

/**
 * Maps a key to a file name stem, injectively, in ASCII `[a-z0-9._-]` plus upper-case `%XX`:
 * never `.`/`..`, never hidden, never ending in `.` (Windows strips it), never a Windows device
 * name (the first character of such a base name is escaped: `con.json` → `%63on.json`), and at
 * most MAX_STEM_LENGTH bytes (longer stems become a prefix, `~`, and a SHA-256 digest; the
 * store keeps the full key inside the file).
 */
export function encodeKey(key: string): string {
  if (typeof key !== 'string' || key.length === 0) {
    throw new HardfsError('EBADNAME', 'key must be a non-empty string');
  }
  if (LONE_SURROGATE.test(key)) {
    throw new HardfsError('EBADNAME', 'key is not well-formed UTF-16 (lone surrogate)');
  }
  const bytes = encoder.encode(key);
  const last = bytes.length - 1;
  let stem = '';
  for (let i = 0; i < bytes.length; i += 1) {
    const byte = bytes[i] as number;
    const dotAtEdge = byte === 0x2e && (i === 0 || i === last);
    stem += LITERAL[byte] === 1 && !dotAtEdge ? String.fromCharCode(byte) : escapeByte(byte);
  }
  const dot = stem.indexOf('.');
  if (DEVICE_NAME.test(dot < 0 ? stem : stem.slice(0, dot))) {
    stem = escapeByte(stem.charCodeAt(0)) + stem.slice(1);
  }
  if (stem.length <= MAX_STEM_LENGTH) return stem;
  let cut = LONG_PREFIX_LENGTH;
  // Never cut through an escape: the prefix stays a sequence of whole tokens.
  if (stem[cut - 1] === '%') cut -= 1;
  else if (stem[cut - 2] === '%') cut -= 2;
  const digest = createHash('sha256').update(bytes).digest('hex').slice(0, LONG_STEM_DIGEST_LENGTH);
  return `${stem.slice(0, cut)}~${digest}`;
}

/** True for the shape encodeKey gives keys whose stem would exceed MAX_STEM_LENGTH. */
export function isLongKeyStem(stem: string): boolean {
  const match = LONG_STEM.exec(stem);
  return match !== null && stem.length <= MAX_STEM_LENGTH && match[2]?.length === LONG_STEM_DIGEST_LENGTH && wellFormedTokens(match[1] as string);
}

function wellFormedTokens(text: string): boolean {
  for (let i = 0; i < text.length; i += 1) {
    if (text[i] === '%') {
      if (!/^[0-9A-F]{2}$/.test(text.slice(i + 1, i + 3))) return false;
      i += 2;
    }
  }
  return true;
}

/**
 * The key of a stem encodeKey produced; undefined for a long-key stem (the key is inside the
 * file); EBADNAME for anything encodeKey would never produce (lower-case hex, a literal
 * upper-case letter, a needless escape, a separator, invalid UTF-8, empty …).
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
  const bytes: number[] = [];
  for (let i = 0; i < stem.length; i += 1) {
    const code = stem.charCodeAt(i);
    if (code === 0x25) {
      const hex = stem.slice(i + 1, i + 3);
      if (!/^[0-9A-F]{2}$/.test(hex)) {
        throw new HardfsError('EBADNAME', 'bad %XX escape (upper-case hex required)', { path: printable(stem) });
      }
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else if (code < 256 && LITERAL[code] === 1) {
      bytes.push(code);
    } else {
      throw new HardfsError('EBADNAME', 'character encodeKey never emits', { path: printable(stem) });
    }
  }
  let key: string;
  try {
    key = strictUtf8.decode(Uint8Array.from(bytes));
  } catch {
    throw new HardfsError('EBADNAME', 'escapes do not form valid UTF-8', { path: printable(stem) });
  }
  // The canonical form is unique: anything that does not re-encode to itself (a needless
  // escape, a bare edge dot, an unescaped device name) was not made by encodeKey.
  if (key.length === 0 || encodeKey(key) !== stem) {
    throw new HardfsError('EBADNAME', 'stem is not in canonical form', { path: printable(stem) });
  }
  return key;
}

function printable(stem: string): string {
  return stem.replaceAll('\0', '\\0');
}
