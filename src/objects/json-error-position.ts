/**
 * Offset of the first syntax error in `text`, for error messages only (it runs after JSON.parse
 * has already refused the text, whose own message carries no position on some V8 versions).
 * An explicit stack, so hostile nesting cannot overflow it.
 */
export function jsonErrorOffset(text: string): number {
  const containers: Array<'array' | 'object'> = [];
  let i = 0;
  const skipSpace = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i] as string)) i += 1;
  };
  const scanString = (): boolean => {
    if (text[i] !== '"') return false;
    for (i += 1; i < text.length; i += 1) {
      const char = text.charCodeAt(i);
      if (char === 0x22) {
        i += 1;
        return true;
      }
      if (char < 0x20) return false;
      if (char === 0x5c) {
        const next = text[i + 1];
        if (next === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) return false;
          i += 5;
        } else if (next !== undefined && '"\\/bfnrt'.includes(next)) {
          i += 1;
        } else {
          return false;
        }
      }
    }
    return false;
  };
  const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
  // Each turn reads one value, then the separators or closers that follow it.
  for (;;) {
    skipSpace();
    const char = text[i];
    if (char === '{' || char === '[') {
      containers.push(char === '{' ? 'object' : 'array');
      i += 1;
      skipSpace();
      if (text[i] === (char === '{' ? '}' : ']')) {
        containers.pop();
        i += 1;
      } else {
        if (char === '{') {
          if (!scanString()) return i;
          skipSpace();
          if (text[i] !== ':') return i;
          i += 1;
        }
        continue;
      }
    } else if (char === '"') {
      if (!scanString()) return i;
    } else if (text.startsWith('true', i) || text.startsWith('null', i)) {
      i += 4;
    } else if (text.startsWith('false', i)) {
      i += 5;
    } else {
      NUMBER.lastIndex = i;
      if (!NUMBER.test(text)) return i;
      i = NUMBER.lastIndex;
    }
    // After a value: close containers or move to the next element.
    for (;;) {
      skipSpace();
      const top = containers[containers.length - 1];
      if (top === undefined) return i < text.length ? i : text.length;
      if (text[i] === ',') {
        i += 1;
        if (top === 'object') {
          skipSpace();
          if (!scanString()) return i;
          skipSpace();
          if (text[i] !== ':') return i;
          i += 1;
        }
        break;
      }
      if (text[i] === (top === 'object' ? '}' : ']')) {
        containers.pop();
        i += 1;
        continue;
      }
      return i;
    }
  }
}
