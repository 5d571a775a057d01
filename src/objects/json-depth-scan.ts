import { depthError } from './json-limits.js';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/**
 * Throws EDEPTH when the brackets of `text`, outside string literals, nest deeper than
 * `maxDepth`. It runs before JSON.parse because V8 parses deep nesting very slowly (8 MB of
 * `[` … `]` takes seconds, 40x a flat document of the same size), so the bound must be
 * enforced before that cost, not on the result. A loop, never recursion.
 *
 * For a text JSON.parse accepts, the count is its exact nesting depth. For a text it refuses,
 * the count is exact up to the first syntax error, which is as far as JSON.parse gets; the
 * scan stops early at what JSON.parse will refuse anyway (an unterminated string, an
 * unmatched closer).
 */
export function assertJsonDepthWithin(text: string, maxDepth: number): void {
  // Every level needs an opening bracket: with few of them in the whole text (strings
  // included), it cannot nest too deep. Counting with indexOf is native and almost free.
  // Stryker disable next-line ConditionalExpression,LogicalOperator,EqualityOperator: fast path only, the full scan below gives the same answer
  if (text.length <= maxDepth || countOpenersUpTo(text, maxDepth) <= maxDepth) return;
  let depth = 0;
  const length = text.length;
  // Stryker disable next-line EqualityOperator: charCodeAt(length) is NaN, which matches no case below
  for (let i = 0; i < length; i += 1) {
    const code = text.charCodeAt(i);
    if (code === QUOTE) {
      // indexOf jumps over string contents natively; session files are mostly strings.
      for (;;) {
        const close = text.indexOf('"', i + 1);
        // Stryker disable next-line EqualityOperator: close >= i + 1 >= 1 when found, so it is never 0
        if (close < 0) return;
        let backslash = close - 1;
        while (text.charCodeAt(backslash) === BACKSLASH) backslash -= 1;
        i = close;
        // An even run of backslashes escapes itself, leaving the quote as the terminator.
        // Stryker disable next-line ArithmeticOperator: a - b, a + b and a + 2 - b have the same parity
        if ((close - 1 - backslash) % 2 === 0) break;
      }
    } else if (code === OPEN_BRACE || code === OPEN_BRACKET) {
      depth += 1;
      if (depth > maxDepth) throw depthError(maxDepth);
    } else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
      depth -= 1;
      if (depth < 0) return;
    }
  }
}

/** Occurrences of `{` and `[` anywhere in the text, counted only up to `limit + 1`. */
// Stryker disable all: only decides whether the fast path above applies; any count it returns
// (too high, undefined, or after a loop that never advances) leaves the answer of the full scan.
function countOpenersUpTo(text: string, limit: number): number {
  let count = 0;
  for (const opener of ['{', '[']) {
    for (let at = text.indexOf(opener); at >= 0; at = text.indexOf(opener, at + 1)) {
      count += 1;
      if (count > limit) return count;
    }
  }
  return count;
}
// Stryker restore all
