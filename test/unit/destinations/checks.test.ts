// Start-time checks of destinations (environment, headers), reported with destinations.yaml:line.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDefinitions } from '../../../src/definitions';
import { checkDestinations, assertDestinationsUsable } from '../../../src/destinations/check';
import { connectorSpecs } from '../../../src/destinations/registry';
import { ErrorCodes, JourneyError } from '../../../src/errors';

function topologies(destinations: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'journeys-dest-'));
  writeFileSync(join(dir, 'destinations.yaml'), destinations);
  writeFileSync(join(dir, 'j.journey.yaml'), 'journey: j\nentry: { event: Go }\nsteps:\n  - id: s\n    send: { to: [hook] }\n');
  return dir;
}

const YAML = `destinations:
  - id: hook
    type: webhook
    url: http://127.0.0.1:1/x
    format: segment-track
    secretEnv: HOOK_SECRET
    headers:
      X-Team: growth
      Idempotency-Key: mine
  - id: topic
    type: kafka
    topic: out
    format: transition
`;

describe('destination checks', () => {
  const dir = topologies(YAML);
  const defs = loadDefinitions(dir);
  const all = [...defs.destinations.values()];

  test('an unset secretEnv and a reserved header, each at its line', () => {
    expect(checkDestinations(dir, all, {})).toEqual([
      { file: join(dir, 'destinations.yaml'), line: 6, message: "destination 'hook': environment variable HOOK_SECRET is not set (or empty): requests to 'hook' would go unsigned" },
      { file: join(dir, 'destinations.yaml'), line: 7, message: "destination 'hook': header 'Idempotency-Key' is set by the sink and cannot be overridden" },
    ]);
  });

  test('with the secret set, only the header remains; kafka destinations have no runtime checks', () => {
    expect(checkDestinations(dir, all, { HOOK_SECRET: 'x' }).map((p) => p.line)).toEqual([7]);
    expect(checkDestinations(dir, all.filter((d) => d.type === 'kafka'), {})).toEqual([]);
  });

  test('assertDestinationsUsable throws JRN_ERR_INVALID_CONFIG with file:line lines', () => {
    try {
      assertDestinationsUsable(dir, all, {});
      throw new Error('no error');
    } catch (err) {
      expect(err).toBeInstanceOf(JourneyError);
      expect((err as JourneyError).code).toBe(ErrorCodes.INVALID_CONFIG);
      expect((err as JourneyError).message).toContain(`${join(dir, 'destinations.yaml')}:6: destination 'hook'`);
    }
  });

  test('every connector documents its keys, url/topic and format first', () => {
    expect(connectorSpecs.webhook.config.map((k) => k.key)).toEqual(['url', 'format', 'secretEnv', 'batchSize', 'lingerMs', 'timeoutMs', 'maxAttempts', 'concurrency', 'ratePerSecond', 'headers']);
    expect(connectorSpecs.kafka.config.map((k) => k.key)).toEqual(['topic', 'format']);
  });
});
