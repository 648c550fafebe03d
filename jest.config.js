// Three projects: pure unit/scenario tests (no broker), integration tests against the real broker and
// registry, and slow fault-injection tests (kill -9, broker restart) kept apart but still run by `npm test`.
const transform = { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] };
const common = { testEnvironment: 'node', transform, moduleFileExtensions: ['ts', 'js', 'json'] };

/** @type {import('jest').Config} */
module.exports = {
  globalSetup: '<rootDir>/test/helpers/global-setup.ts',
  globalTeardown: '<rootDir>/test/helpers/global-teardown.ts',
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts', '<rootDir>/test/scenarios/**/*.test.ts'] },
    { ...common, displayName: 'integration', testMatch: ['<rootDir>/test/integration/**/*.test.ts'], testTimeout: 120000 },
    { ...common, displayName: 'fault', testMatch: ['<rootDir>/test/fault/**/*.test.ts'], testTimeout: 600000 },
  ],
};
