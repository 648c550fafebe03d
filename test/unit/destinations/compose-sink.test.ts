// docker-compose.yml runs the sink from the image, after the topics exist, with a healthcheck, and the
// secrets the example destinations name in secretEnv.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadDefinitions } from '../../../src/definitions';

const ROOT = join(__dirname, '..', '..', '..');

interface Service {
  build?: string;
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition?: string }>;
  healthcheck?: { test?: string[] };
  ports?: string[];
}

test('the sink service', () => {
  const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')) as { services: Record<string, Service> };
  const sink = compose.services.sink!;
  expect(sink.build).toBe('.');
  expect(sink.command?.[0]).toBe('sink');
  expect(sink.command).toEqual(expect.arrayContaining(['--topologies', 'topologies', '--bootstrap', 'kafka:29092', '--registry', 'http://schema-registry:8081']));
  const port = sink.command?.[sink.command.indexOf('--metrics-port') + 1];
  expect(sink.ports).toContain(`${port}:${port}`);
  expect(sink.healthcheck?.test?.join(' ')).toContain(`:${port}/healthz`);
  expect(sink.depends_on?.['journeys-topics']?.condition).toBe('service_completed_successfully');
  const secrets = [...loadDefinitions(join(ROOT, 'topologies')).destinations.values()].flatMap((d) => (d.type === 'webhook' && d.secretEnv !== null ? [d.secretEnv] : []));
  expect(secrets.length).toBeGreaterThan(0);
  for (const name of secrets) expect(Object.keys(sink.environment ?? {})).toContain(name);
});
