/**
 * The small glob dialect of `audit --exclude`: `*` any run of characters but `/`, `**` any run
 * including `/`, `?` one character but `/`. A pattern without `/` is matched against every
 * name (so `node_modules` or `*.log` excludes them anywhere); one with `/` against the path
 * relative to the audited directory (`agents/*\/workspace`). A trailing `/` is ignored.
 */
export type PathMatcher = (relativePath: string) => boolean;

function toRegExp(pattern: string): RegExp {
  let source = '';
  for (let index = 0; index < pattern.length; index += 1) {
    const char = pattern.charAt(index);
    if (char === '*') {
      if (pattern.charAt(index + 1) === '*') {
        index += 1;
        // `**/` also matches no directory at all.
        if (pattern.charAt(index + 1) === '/') {
          index += 1;
          source += '(?:.*/)?';
        } else {
          source += '.*';
        }
      } else {
        source += '[^/]*';
      }
    } else if (char === '?') {
      source += '[^/]';
    } else {
      source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${source}$`, 'u');
}

export function globMatcher(patterns: readonly string[]): PathMatcher {
  const compiled = patterns
    .map((pattern) => pattern.replace(/\/+$/, ''))
    .filter((pattern) => pattern.length > 0)
    .map((pattern) => ({ byName: !pattern.includes('/'), regexp: toRegExp(pattern.replace(/^\.\//, '')) }));
  return (relativePath) => {
    const name = relativePath.slice(relativePath.lastIndexOf('/') + 1);
    return compiled.some(({ byName, regexp }) => regexp.test(byName ? name : relativePath));
  };
}
