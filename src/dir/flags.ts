// Moved to src/sys/flags.ts; kept so that code importing it from here compiles unchanged.
export * from '../sys/flags.js';
