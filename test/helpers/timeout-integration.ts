// Integration tests talk to a real broker: a generous per-test bound (project-level testTimeout is not applied by jest).
jest.setTimeout(120_000);
// In-process processors and sinks log at warn unless asked otherwise (their info lines would drown the test output).
process.env.JOURNEYS_LOG_LEVEL ??= 'warn';
