// Lint rules that guard the project's promises: no `any`, no forgotten promises, and a pure engine.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const nodeIo = ['fs', 'net', 'http', 'https', 'child_process', 'dgram', 'dns', 'os', 'worker_threads', 'cluster', 'readline', 'timers', 'process'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.cache/**', '.infra/**', 'bin/**', '*.mjs', '*.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { project: './tsconfig.json', tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true, allowNullish: true }],
    },
  },
  {
    // The engine and the definitions are pure: same input, same bytes out. No I/O, no clock, no randomness.
    files: ['src/engine/**/*.ts', 'src/definitions/model.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: ['kafkajs', 'classic-level', 'pino', 'prom-client', '@kafkajs/confluent-schema-registry',
          ...nodeIo, ...nodeIo.map((m) => `node:${m}`)],
        patterns: [{ group: ['**/kafka/**', '**/state/**', '**/sinks/**', '**/destinations/**', '**/observability/**', '**/processor/**'], message: 'the engine is pure: pass data in, not I/O' }],
      }],
      'no-restricted-globals': ['error', 'setTimeout', 'setInterval', 'setImmediate', 'process', 'fetch', 'performance'],
      'no-restricted-properties': ['error',
        { object: 'Date', property: 'now', message: 'the engine takes `now` as input' },
        { object: 'Math', property: 'random', message: 'use the bucket rule (SHA-256), never Math.random' },
      ],
      'no-restricted-syntax': ['error', { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'the engine takes `now` as input' }],
    },
  },
  {
    // Plain Node ESM scripts (infra/): they run before any build, so they are JavaScript, linted without type information.
    files: ['infra/**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      sourceType: 'module',
      globals: Object.fromEntries(['process', 'console', 'Buffer', 'URL', 'fetch', 'AbortSignal', 'crypto', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'].map((g) => [g, 'readonly'])),
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
);
