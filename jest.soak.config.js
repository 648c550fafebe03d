// `npm run soak`: the chaos soak (test/soak/), apart from `npm test` (it runs for SOAK_MINUTES, 30 by default).
// The broker and registry as for the fault tests: a live `npm run infra:up` is reused, else started for the run.
const base = require('./jest.config.js');
const fault = base.projects.find((p) => p.displayName === 'fault');

/** @type {import('jest').Config} */
module.exports = { ...fault, displayName: 'soak', testMatch: ['<rootDir>/test/soak/**/*.test.ts'], rootDir: __dirname };
