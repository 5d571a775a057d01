/**
 * The canonical byte-level form of a stem. Literal bytes are lower-case letters, digits, `-`,
 * `_`, and `.` where no filesystem gives it meaning; every other byte — upper case included,
 * so that lower-casing a stem can never make two stems equal — is an upper-case `%XX` escape.
 * `~` is always escaped: it is reserved as the separator of long-key stems.
 */
const HEX = '0123456789ABCDEF';
const LITERAL = new Uint8Array(256);
for (let byte = 0x61; byte <= 0x7a; byte += 1) LITERAL[byte] = 1;
for (let byte = 0x30; byte <= 0x39; byte += 1) LITERAL[byte] = 1;
LITERAL[0x2d] = 1; // -
LITERAL[0x5f] = 1; // _
LITERAL[0x2e] = 1; // . (escaped at either end, see stemOfBytes)

const HEX_CODES = Uint8Array.from(HEX, (char) => char.charCodeAt(0));
// Reused by every call (encoding is synchronous); long keys get their own buffer.
// Stryker disable next-line ArithmeticOperator: a smaller scratch buffer only means more keys get their own
const scratch = Buffer.allocUnsafe(3 * 1024);
const DOT = 0x2e;
const PERCENT = 0x25;
// Windows opens a device, not a file, for these base names, whatever the extension.
const DEVICE_NAME = /^(?:con|prn|aux|nul|com[0-9]|lpt[0-9])$/i;

function escapeByte(byte: number): string {
  return `%${HEX[byte >> 4] as string}${HEX[byte & 15] as string}`;
}

/**
 * The full, untruncated stem of a key's UTF-8 bytes. A dot is escaped at the start (`.`,
 * `..`, hidden files) and at the end (Windows strips trailing dots, so `a.` would open `a`).
 * A base name (before the first dot) that is a device name gets its first character escaped,
 * which is the only escape of a literal byte besides those dots: `con.json` → `%63on.json`.
 */
export function stemOfBytes(bytes: Uint8Array): string {
  const last = bytes.length - 1;
  // Byte-wise into a buffer, then one latin1 decode: 2-3x faster than string concatenation.
  const out = bytes.length * 3 <= scratch.length ? scratch : Buffer.allocUnsafe(bytes.length * 3);
  let length = 0;
  for (let i = 0; i <= last; i += 1) {
    const byte = bytes[i] as number;
    if (LITERAL[byte] === 1 && !(byte === DOT && (i === 0 || i === last))) {
      out[length] = byte;
      length += 1;
    } else {
      out[length] = PERCENT;
      out[length + 1] = HEX_CODES[byte >> 4] as number;
      out[length + 2] = HEX_CODES[byte & 15] as number;
      length += 3;
    }
  }
  let stem = out.toString('latin1', 0, length);
  const dot = stem.indexOf('.');
  // Stryker disable next-line EqualityOperator: a leading dot is always escaped, so dot is never 0
  if (DEVICE_NAME.test(dot < 0 ? stem : stem.slice(0, dot))) {
    stem = escapeByte(stem.charCodeAt(0)) + stem.slice(1);
  }
  return stem;
}

/**
 * The bytes a stem's tokens spell, or undefined when a token is not in the canonical alphabet
 * (a literal outside it, a `%` without two upper-case hex digits). Whether each token is the
 * one stemOfBytes would choose is a separate question, answered by re-encoding.
 */
export function bytesOfStemTokens(text: string): Uint8Array | undefined {
  const bytes = new Uint8Array(text.length);
  let count = 0;
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (code === PERCENT) {
      const high = upperHexValue(text.charCodeAt(i + 1));
      const low = upperHexValue(text.charCodeAt(i + 2));
      if (high < 0 || low < 0) return undefined;
      bytes[count] = (high << 4) | low;
      i += 2;
    } else if (LITERAL[code] === 1) {
      // A typed array reads undefined past its end: no character past 0xff is literal.
      bytes[count] = code;
    } else {
      return undefined;
    }
    count += 1;
  }
  return bytes.subarray(0, count);
}

/**
 * 0-15 for `0-9A-F`, -1 for anything else (lower-case hex included: it is not canonical; NaN,
 * past the end of the text, becomes U+0000, which is no digit either).
 */
function upperHexValue(code: number): number {
  return HEX.indexOf(String.fromCharCode(code));
}
