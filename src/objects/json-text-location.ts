/**
 * Where an offset of a JSON text is, in the terms a person opening the file uses: the byte
 * offset in the file (UTF-8, after `leadingBytes` such as a BOM the decoder dropped), and the
 * 1-based line and column (in UTF-16 units, as editors count them). Error messages give this,
 * never the text around it: the text is file content.
 */
export function describeTextOffset(text: string, offset: number, leadingBytes: number): string {
  const before = text.slice(0, offset);
  const lineStart = before.lastIndexOf('\n') + 1;
  const line = before.split('\n').length;
  const byte = leadingBytes + Buffer.byteLength(before);
  return `byte ${byte} (line ${line}, column ${offset - lineStart + 1})`;
}

/**
 * Offset of the first number literal of a valid JSON text whose value is not finite (`1e400`
 * parses to Infinity), or -1. Runs after a parse has found such a number, to say where it is.
 */
export function firstNonFiniteNumberOffset(text: string): number {
  const length = text.length;
  let i = 0;
  while (i < length) {
    const code = text.charCodeAt(i);
    if (code === 0x22) {
      // Skip the string: in valid JSON every backslash escapes the character after it.
      i += 1;
      while (i < length && text.charCodeAt(i) !== 0x22) i += text.charCodeAt(i) === 0x5c ? 2 : 1;
      i += 1;
    } else if (code === 0x2d || (code >= 0x30 && code <= 0x39)) {
      const start = i;
      // Past the end charCodeAt is NaN, which is no number character: no length test needed.
      while (isNumberChar(text.charCodeAt(i))) i += 1;
      if (!Number.isFinite(Number(text.slice(start, i)))) return start;
    } else {
      i += 1;
    }
  }
  return -1;
}

/** Characters of a JSON number literal: digits, sign, point, exponent. */
function isNumberChar(code: number): boolean {
  return (code >= 0x30 && code <= 0x39) || code === 0x2d || code === 0x2b || code === 0x2e || code === 0x65 || code === 0x45;
}
