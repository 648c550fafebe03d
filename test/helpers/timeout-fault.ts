// Fault-injection tests kill processes and restart the broker: they take minutes.
jest.setTimeout(900_000);
process.env.JOURNEYS_LOG_LEVEL ??= 'warn';
