// Fault-injection tests kill processes and restart the broker: they take minutes.
jest.setTimeout(900_000);
