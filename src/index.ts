// Public API of the hardfs primitives. Re-exports only: each layer owns its own index.
export * from './errors.js';
export * from './dir/index.js';
export * from './io/index.js';
export * from './objects/index.js';
export * from './keys/index.js';
export * from './locks/index.js';
