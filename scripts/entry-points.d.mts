// Types of entry-points.mjs, for tsup.config.ts and the tests.

export interface PackageJsonLike {
  name: string;
  exports?: Record<string, unknown>;
}

export interface EntryPoint {
  /** The `exports` key: "." or "./a/b". */
  subpath: string;
  /** What users import: "hardfs", "hardfs/a/b". */
  specifier: string;
  /** The build entry name: "index", "a/b/index". */
  name: string;
  /** The source file: "src/index.ts", "src/a/b/index.ts". */
  source: string;
  files: { esm: string; esmTypes: string; cjs: string; cjsTypes: string };
}

export interface PackageJsonEntry {
  subpath: './package.json';
  specifier: string;
}

export function entryPoints(pkg: PackageJsonLike): EntryPoint[];
export function entryPoints(pkg: PackageJsonLike, options: { withPackageJson: true }): (EntryPoint | PackageJsonEntry)[];
export function entryPoints(pkg: PackageJsonLike, options?: { withPackageJson?: boolean }): (EntryPoint | PackageJsonEntry)[];

export function expectedPackageFields(pkg: PackageJsonLike): {
  exports: Record<string, unknown>;
  main: string;
  module: string;
  types: string;
  typesVersions: Record<string, Record<string, string[]>>;
};
