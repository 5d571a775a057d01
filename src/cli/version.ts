// The package version, written into the built CLI by tsup.config.ts (`define`) from
// package.json: the bin needs no file lookup relative to itself, which the CommonJS build
// (docs/PACKAGING.md) could not do with import.meta.
declare const HARDFS_PACKAGE_VERSION: string | undefined;

/** The version in package.json at build time; 'unknown' when run unbuilt. */
export function packageVersion(): string {
  return typeof HARDFS_PACKAGE_VERSION === 'string' ? HARDFS_PACKAGE_VERSION : 'unknown';
}
