// Three projects: pure unit/scenario tests (no broker), integration tests against the real broker and
// registry, and slow fault-injection tests (kill -9, broker restart) kept apart but still run by `npm test`.
const transform = { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] };
const common = { testEnvironment: 'node', transform, moduleFileExtensions: ['ts', 'js', 'json'] };
// The broker and registry come up once per run (test/helpers/global-setup.ts), only when a project that
// needs them has tests to run: jest runs a project's globalSetup only then, and runs one module path once
// even when both projects name it. So `jest --selectProjects unit` (npm run test:unit) starts nothing.
const infra = {
  globalSetup: '<rootDir>/test/helpers/global-setup.ts',
  globalTeardown: '<rootDir>/test/helpers/global-teardown.ts',
};

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts', '<rootDir>/test/scenarios/**/*.test.ts'] },
    { ...common, ...infra, displayName: 'integration', testMatch: ['<rootDir>/test/integration/**/*.test.ts'], setupFilesAfterEnv: ['<rootDir>/test/helpers/timeout-integration.ts'] },
    { ...common, ...infra, displayName: 'fault', testMatch: ['<rootDir>/test/fault/**/*.test.ts'], setupFilesAfterEnv: ['<rootDir>/test/helpers/timeout-fault.ts'] },
  ],
};
