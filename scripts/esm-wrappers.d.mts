// Types of esm-wrappers.mjs, for tsup.config.ts.

/** Writes dist/<name>.js and dist/<name>.d.ts for every entry point of the package at `root`. */
export function writeEsmWrappers(root: string): { entry: string; names: number }[];
