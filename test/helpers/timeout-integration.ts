// Integration tests talk to a real broker: a generous per-test bound (project-level testTimeout is not applied by jest).
jest.setTimeout(120_000);
