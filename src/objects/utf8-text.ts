import { HardfsError } from '../errors.js';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes bytes that must be UTF-8 (a leading BOM is dropped, as editors write one). Invalid
 * UTF-8 is ECORRUPT with the offset of the first bad byte: replacing it with U+FFFD would
 * silently change keys and values.
 */
export function decodeUtf8Text(bytes: Uint8Array): string {
  try {
    return strictUtf8.decode(bytes);
  } catch (error) {
    const offset = firstInvalidUtf8Offset(bytes);
    throw new HardfsError('ECORRUPT', `text is not valid UTF-8 at byte ${offset}`, { cause: error });
  }
}

/** Offset of the first byte that starts an ill-formed sequence (WHATWG rules), or -1. Runs on the error path only. */
export function firstInvalidUtf8Offset(bytes: Uint8Array): number {
  const length = bytes.length;
  let i = 0;
  while (i < length) {
    const lead = bytes[i] as number;
    if (lead < 0x80) {
      i += 1;
      continue;
    }
    let needed: number;
    // The second byte's range excludes overlong forms, surrogates and code points past U+10FFFF.
    let low = 0x80;
    let high = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) {
      needed = 1;
    } else if (lead >= 0xe0 && lead <= 0xef) {
      needed = 2;
      if (lead === 0xe0) low = 0xa0;
      if (lead === 0xed) high = 0x9f;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      needed = 3;
      if (lead === 0xf0) low = 0x90;
      if (lead === 0xf4) high = 0x8f;
    } else {
      return i;
    }
    for (let k = 1; k <= needed; k += 1) {
      const next = bytes[i + k];
      if (next === undefined || next < low || next > high) return i;
      low = 0x80;
      high = 0xbf;
    }
    i += needed + 1;
  }
  return -1;
}
