/**
 * Offset of the first syntax error in `text`, as V8 reports it: the first character that
 * cannot continue a valid JSON text (inside a literal, a number or an escape, that is the
 * offending character, not the token's start); `text.length` when the text ends too early.
 * It runs after JSON.parse has refused the text, for the messages whose V8 wording carries no
 * position ("Unexpected token …", "Unexpected end of JSON input"). An explicit stack, so
 * hostile nesting cannot overflow it.
 */
export function jsonErrorOffset(text: string): number {
  const containers: Array<'array' | 'object'> = [];
  const length = text.length;
  let i = 0;
  const skipSpace = (): void => {
    for (;;) {
      const code = text.charCodeAt(i);
      if (code !== 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) return;
      i += 1;
    }
  };
  const isDigit = (): boolean => {
    const code = text.charCodeAt(i);
    return code >= 0x30 && code <= 0x39;
  };
  // Each scanner leaves `i` after its token and returns true, or at the offending character.
  const scanString = (): boolean => {
    if (text[i] !== '"') return false;
    for (i += 1; i < length; i += 1) {
      const code = text.charCodeAt(i);
      if (code === 0x22) {
        i += 1;
        return true;
      }
      if (code < 0x20) return false;
      if (code === 0x5c) {
        i += 1;
        const escape = text[i];
        if (escape === 'u') {
          for (let digit = 0; digit < 4; digit += 1) {
            i += 1;
            // Stryker disable next-line Regex,StringLiteral: the tested text is one character (or none), so the anchors and the fallback string change nothing
            if (!/^[0-9a-fA-F]$/.test(text[i] ?? '')) return false;
          }
        } else if (escape === undefined || !'"\\/bfnrt'.includes(escape)) {
          return false;
        }
      }
    }
    // Stryker disable next-line BooleanLiteral: i is at the end of the text, where every caller stops and returns i anyway
    return false;
  };
  const scanLiteral = (word: string): boolean => {
    for (const char of word) {
      if (text[i] !== char) return false;
      i += 1;
    }
    return true;
  };
  const scanNumber = (): boolean => {
    if (text[i] === '-') i += 1;
    if (text[i] === '0') i += 1;
    else if (isDigit()) while (isDigit()) i += 1;
    else return false;
    if (text[i] === '.') {
      i += 1;
      if (!isDigit()) return false;
      while (isDigit()) i += 1;
    }
    if (text[i] === 'e' || text[i] === 'E') {
      i += 1;
      if (text[i] === '+' || text[i] === '-') i += 1;
      if (!isDigit()) return false;
      while (isDigit()) i += 1;
    }
    return true;
  };
  const scanValue = (): boolean => {
    const char = text[i];
    if (char === '"') return scanString();
    if (char === 't') return scanLiteral('true');
    if (char === 'f') return scanLiteral('false');
    if (char === 'n') return scanLiteral('null');
    return scanNumber();
  };
  const scanMemberName = (): boolean => {
    skipSpace();
    if (!scanString()) return false;
    skipSpace();
    if (text[i] !== ':') return false;
    i += 1;
    return true;
  };
  // Each turn reads one value (or opens a container), then the separators and closers after it.
  for (;;) {
    skipSpace();
    const char = text[i];
    if (char === '{' || char === '[') {
      i += 1;
      skipSpace();
      if (text[i] === (char === '{' ? '}' : ']')) {
        i += 1;
      } else {
        // Stryker disable next-line StringLiteral: containers are only ever compared with 'object'
        containers.push(char === '{' ? 'object' : 'array');
        if (char === '{' && !scanMemberName()) return i;
        continue;
      }
    } else if (!scanValue()) {
      return i;
    }
    for (;;) {
      skipSpace();
      const top = containers[containers.length - 1];
      if (top === undefined) return i;
      if (text[i] === ',') {
        i += 1;
        if (top === 'object' && !scanMemberName()) return i;
        break;
      }
      if (text[i] !== (top === 'object' ? '}' : ']')) return i;
      containers.pop();
      i += 1;
    }
  }
}
