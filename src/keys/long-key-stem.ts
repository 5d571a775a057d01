import { createHash } from 'node:crypto';
import { bytesOfStemTokens, stemOfBytes } from './stem-alphabet.js';

/** Longest stem encodeKey produces; well under NAME_MAX (255) with room for `.json`, `.lock` and temp suffixes. */
export const MAX_STEM_LENGTH = 200;
/** Hex digits of SHA-256 kept after `~` in a long-key stem (128 bits). */
export const LONG_STEM_DIGEST_LENGTH = 32;
const LONG_PREFIX_LENGTH = MAX_STEM_LENGTH - 1 - LONG_STEM_DIGEST_LENGTH;
const DIGEST = /^[0-9a-f]+$/;
// Fillers that re-create, after a candidate prefix, a stem longer than the bound: plain
// letters, or an escaped byte first (`A` → `%41`) for a prefix cut short before an escape.
const LITERAL_FILLER = new Uint8Array(MAX_STEM_LENGTH).fill(0x7a);
const ESCAPE_FILLER = Uint8Array.of(0x41, ...LITERAL_FILLER);

/**
 * A stem too long for the bound becomes a prefix of it, `~`, and a digest of the key: `~`
 * never appears in a short stem (it is escaped there), and the digits after it are lower-case
 * hex in their own namespace, so lower-casing keeps long stems distinct too.
 */
export function longKeyStem(stem: string, keyBytes: Uint8Array): string {
  const digest = createHash('sha256').update(keyBytes).digest('hex').slice(0, LONG_STEM_DIGEST_LENGTH);
  return `${truncateStem(stem)}~${digest}`;
}

/** The prefix of an over-long stem, never cut through an escape (so it stays whole tokens). */
function truncateStem(stem: string): string {
  let cut = LONG_PREFIX_LENGTH;
  if (stem[cut - 1] === '%') cut -= 1;
  else if (stem[cut - 2] === '%') cut -= 2;
  return stem.slice(0, cut);
}

/**
 * True exactly for stems of the shape encodeKey gives long keys: the digest cannot be checked
 * without the key, but the prefix must be one encodeKey could have cut — canonical tokens,
 * bytes that begin valid UTF-8 (a character may be cut in two), and the length the cut rule
 * gives, which is checked by re-encoding the prefix's bytes followed by a filler.
 */
export function isLongKeyStem(stem: string): boolean {
  if (typeof stem !== 'string') return false;
  const separator = stem.indexOf('~');
  // Stryker disable next-line ConditionalExpression,LogicalOperator: fast path only, the re-encoding below refuses a separator anywhere else
  if (separator < LONG_PREFIX_LENGTH - 2 || separator > LONG_PREFIX_LENGTH) return false;
  const digest = stem.slice(separator + 1);
  if (digest.length !== LONG_STEM_DIGEST_LENGTH || !DIGEST.test(digest)) return false;
  const prefix = stem.slice(0, separator);
  const bytes = bytesOfStemTokens(prefix);
  if (bytes === undefined || !beginsValidUtf8(bytes)) return false;
  // A prefix shorter than the full cut means an escape came next in the full stem.
  // Stryker disable next-line ConditionalExpression,EqualityOperator: at the full cut an escape next gives the same cut as a letter next
  const filler = separator < LONG_PREFIX_LENGTH ? ESCAPE_FILLER : LITERAL_FILLER;
  const extended = new Uint8Array(bytes.length + filler.length);
  extended.set(bytes);
  extended.set(filler, bytes.length);
  return truncateStem(stemOfBytes(extended)) === prefix;
}

/** Valid UTF-8 except possibly for an incomplete last character (the cut may split one). */
function beginsValidUtf8(bytes: Uint8Array): boolean {
  try {
    // A fresh streaming decoder reports ill-formed sequences and keeps an incomplete tail.
    new TextDecoder('utf-8', { fatal: true }).decode(bytes, { stream: true });
  } catch {
    return false;
  }
  return true;
}
