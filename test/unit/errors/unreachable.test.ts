// A broker or registry out of reach becomes JRN_ERR_INFRA with what to check: the errors here are the real
// clients' own, from a port nothing listens on (port 1), so a client upgrade that changes their shape fails here.
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { Kafka, KafkaJSProtocolError, logLevel } from 'kafkajs';
import { ErrorCodes, JourneyError, unreachableInfra } from '../../../src/errors';

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe('unreachableInfra', () => {
  test('kafkajs failing to connect to the broker', async () => {
    const admin = new Kafka({ brokers: ['127.0.0.1:1'], retry: { retries: 0 }, logLevel: logLevel.NOTHING }).admin();
    const err = await rejection(admin.connect());
    const infra = unreachableInfra(err);
    expect(infra).toBeInstanceOf(JourneyError);
    expect(infra?.code).toBe(ErrorCodes.INFRA);
    expect(infra?.message).toMatch(/^cannot reach the Kafka broker: .*ECONNREFUSED 127\.0\.0\.1:1\. Is it running, and is --bootstrap/);
    expect(infra?.cause).toBe(err);
  });

  test('the registry client failing to connect', async () => {
    const err = await rejection(new SchemaRegistry({ host: 'http://127.0.0.1:1' }).getLatestSchemaId('x-value'));
    const infra = unreachableInfra(err);
    expect(infra?.code).toBe(ErrorCodes.INFRA);
    expect(infra?.message).toMatch(/^cannot reach the schema registry: connect ECONNREFUSED 127\.0\.0\.1:1\. Is it running, and is --registry/);
  });

  test('other errors are left as they are', () => {
    expect(unreachableInfra(new Error('boom'))).toBeNull();
    expect(unreachableInfra('text')).toBeNull();
    expect(unreachableInfra(new KafkaJSProtocolError('The group is rebalancing'))).toBeNull();
    // The registry answered: not an infrastructure problem.
    expect(unreachableInfra(new Error('Confluent_Schema_Registry - Error, status 404: Subject not found'))).toBeNull();
  });
});
