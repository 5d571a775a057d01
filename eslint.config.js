// Lint: typescript-eslint's strict type-checked rules over src/, and ESLint's recommended rules
// over the repository's own scripts (scripts/, the config files); zero warnings allowed
// (npm run lint runs with --max-warnings 0).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The Node globals the scripts use (kept here rather than depending on a globals package).
const nodeGlobals = Object.fromEntries(
  ['process', 'console', 'URL', 'Buffer', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'queueMicrotask', 'structuredClone'].map(
    (name) => [name, 'readonly'],
  ),
);

export default tseslint.config(
  { ignores: ['dist/**', 'coverage/**', 'node_modules/**', 'reports/**', 'docs/api/**', '.stryker-tmp/**', 'bench/**', 'test/**', '*.config.ts'] },
  {
    files: ['src/**/*.ts'],
    extends: [js.configs.recommended, ...tseslint.configs.strictTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // Template literals with numbers are how the messages are built; numbers are safe there.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
    },
  },
  {
    files: ['scripts/**/*.mjs', '*.config.mjs', 'eslint.config.js'],
    extends: [js.configs.recommended],
    languageOptions: { sourceType: 'module', ecmaVersion: 2024, globals: nodeGlobals },
  },
);
