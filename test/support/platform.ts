/**
 * Loads a fresh copy of a module: its module-level code (platform switches, tables, patterns)
 * is evaluated again, under `process.platform` reading `platform` while it evaluates, so that
 * a `process.platform === 'win32'` switch takes the other branch on Linux. Each call gets its
 * own copy (a distinct query string); the module's own imports are the shared copies. Used
 * where a test is about what a module computes when it loads — a copy imported once at the top
 * of a test file may have been evaluated long before, by another file in the same worker.
 */
let loads = 0;

export async function importFresh<T>(specifier: URL, platform: NodeJS.Platform = process.platform): Promise<T> {
  const original = Object.getOwnPropertyDescriptor(process, 'platform');
  if (original === undefined) throw new Error('process.platform has no descriptor');
  loads += 1;
  const fresh = new URL(specifier);
  fresh.searchParams.set('fresh', `${platform}-${loads}`);
  Object.defineProperty(process, 'platform', { ...original, value: platform });
  try {
    return (await import(fresh.href)) as T;
  } finally {
    Object.defineProperty(process, 'platform', original);
  }
}
