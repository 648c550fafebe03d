// docker-compose.yml (for users with Docker; Docker does not run in CI) parses and names the services the
// README promises, each with a healthcheck.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

interface Service {
  image?: string;
  ports?: string[];
  environment?: Record<string, string | number>;
  healthcheck?: { test?: unknown };
  depends_on?: Record<string, { condition?: string }>;
  restart?: string;
}

const compose = parse(readFileSync(join(__dirname, '..', '..', '..', 'docker-compose.yml'), 'utf8')) as { services: Record<string, Service> };

describe('docker-compose.yml', () => {
  it('has a KRaft Apache Kafka 4.1 broker with a healthcheck', () => {
    const kafka = compose.services.kafka!;
    expect(kafka.image).toMatch(/^apache\/kafka:4\.1\.\d+$/);
    expect(kafka.environment?.KAFKA_PROCESS_ROLES).toBe('broker,controller');
    expect(kafka.healthcheck?.test).toBeDefined();
    expect(kafka.ports).toContain('9092:9092');
  });

  it('tunes the broker as the local infra does for transactions (group coordinator writes not held back)', () => {
    const properties = readFileSync(join(__dirname, '..', '..', '..', 'infra', 'kafka', 'server.properties'), 'utf8');
    expect(properties).toMatch(/^group\.coordinator\.append\.linger\.ms=0$/m);
    expect(compose.services.kafka!.environment?.KAFKA_GROUP_COORDINATOR_APPEND_LINGER_MS).toBe(0);
  });

  it('has a Confluent schema registry that waits for a healthy broker', () => {
    const registry = compose.services['schema-registry']!;
    expect(registry.image).toMatch(/^confluentinc\/cp-schema-registry:\d+\.\d+\.\d+$/);
    expect(registry.healthcheck?.test).toBeDefined();
    expect(registry.depends_on?.kafka?.condition).toBe('service_healthy');
    expect(registry.ports).toContain('8081:8081');
  });

  it('runs the processor from the image, after the topics exist, with its state in a volume and a healthcheck', () => {
    const processor = compose.services.processor as Service & { command?: string[]; volumes?: string[]; build?: string };
    expect(processor.build).toBe('.');
    expect(processor.command?.[0]).toBe('process');
    expect(processor.command).toEqual(expect.arrayContaining(['--bootstrap', 'kafka:29092', '--registry', 'http://schema-registry:8081']));
    expect(processor.depends_on?.['journeys-topics']?.condition).toBe('service_completed_successfully');
    expect(processor.volumes?.[0]).toMatch(/:\/var\/lib\/journeys$/);
    expect(processor.healthcheck?.test).toBeDefined();
    // Exit 1 means failed (a clean stop is 0): started again, it goes on from its committed state.
    expect(processor.restart).toBe('on-failure');
    expect(compose.services.sink?.restart).toBe('on-failure');
    const topics = compose.services['journeys-topics'] as Service & { command?: string[] };
    expect(topics.command?.slice(0, 2)).toEqual(['topics', 'create']);
  });
});
