// The sink's dead letters on the real broker: written together, they go in requests the broker takes, however
// many and large (kafkajs sends one record batch per partition per request, and a batch over the topic's
// max.message.bytes is refused whole); `dlq replay` of a topic retention has emptied ends.
import { setTimeout as sleep } from 'node:timers/promises';
import { loadDefinitions } from '../../src/definitions';
import { createConnector } from '../../src/destinations/registry';
import { brokerList } from '../../src/kafka/infra-state';
import { silentLogger } from '../../src/observability/logger';
import { DeadLetterWriter, ensureTopics } from '../../src/sinks/dead-letter';
import { replayDeadLetters } from '../../src/sinks/replay';
import type { Admin, Kafka } from 'kafkajs';
import { connectedAdmin, consumeUntil, infra, kafkaClient, uniqueName } from '../helpers/kafka';
import { SECRET, SECRET_ENV, writeTopologies } from './sink-helpers';

/** A kafka client, an admin and a connected writer, with a fresh topic name (the topic not made yet), closed after `use`. */
async function withWriter(name: string, use: (c: { kafka: Kafka; admin: Admin; topic: string; writer: DeadLetterWriter }) => Promise<void>): Promise<void> {
  const kafka = kafkaClient();
  const admin = await connectedAdmin(kafka);
  const writer = new DeadLetterWriter(kafka, silentLogger());
  try {
    await writer.connect();
    await use({ kafka, admin, topic: uniqueName(name), writer });
  } finally {
    await writer.close();
    await admin.disconnect();
  }
}

test('eight dead letters of 600 KB written at once, into one partition of a 2 MiB topic, all land', async () => {
  await withWriter('it-dlq-large', async ({ kafka, admin, topic, writer }) => {
    await ensureTopics(admin, [topic], 1, silentLogger());
    const value = (i: number) => Buffer.alloc(600 * 1024, 97 + i);
    await Promise.all(Array.from({ length: 8 }, (_, i) => writer.write({ destination: 'crm', topic, key: `u${i}`, value: value(i), headers: { n: String(i) } })));
    const read = await consumeUntil(kafka, topic, (rs) => rs.length >= 8);
    expect(read.map((r) => [r.message.key?.toString(), r.message.value?.equals(value(Number(r.message.key?.toString().slice(1))))])).toEqual(
      Array.from({ length: 8 }, (_, i) => [`u${i}`, true]),
    );
  });
});

test('dead letters land in the order written, also when an earlier request is retried (dlq replay delivers in that order)', async () => {
  await withWriter('it-dlq-order', async ({ kafka, admin, topic, writer }) => {
    // Written one per turn of the event loop (each its own request) to a topic made only a moment later: every
    // request is refused and retried at its own backoff until the topic is there.
    const written: Promise<void>[] = [];
    for (let i = 0; i < 12; i++) {
      written.push(writer.write({ destination: 'crm', topic, key: 'u1', value: `{"n":${i}}`, headers: {} }));
      await new Promise((resolve) => setImmediate(resolve));
    }
    await sleep(300);
    await ensureTopics(admin, [topic], 1, silentLogger());
    await Promise.all(written);
    const read = await consumeUntil(kafka, topic, (rs) => rs.length >= 12);
    expect(read.map((r) => r.message.value?.toString())).toEqual(Array.from({ length: 12 }, (_, i) => `{"n":${i}}`));
  });
});

test('dlq replay of a topic whose records retention removed past the replay group\'s position ends at once', async () => {
  await withWriter('it-dlq-gone', async ({ kafka, admin, topic, writer }) => {
    const groupId = uniqueName('it-dlq-replay');
    await ensureTopics(admin, [topic], 1, silentLogger());
    for (let i = 0; i < 3; i++) await writer.write({ destination: 'crm', topic, key: `u${i}`, value: `{"n":${i}}`, headers: {} });
    // The replay group stopped at offset 1; then all three records went (as retention, or deleteRecords, does).
    await admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: '1' }] });
    await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '3' }] });
    const definitions = loadDefinitions(writeTopologies({ base: 'http://127.0.0.1:9', warehouseTopic: uniqueName('wh') }));
    const connector = createConnector(definitions.destinations.get('crm')!, { logger: silentLogger(), env: { [SECRET_ENV]: SECRET }, retry: { initialMs: 20, maxMs: 200 }, brokers: brokerList(infra()) });
    try {
      expect(await replayDeadLetters({ kafka, connector, topic, groupId, logger: silentLogger() })).toEqual({ replayed: 0, failed: 0, skipped: 0 });
    } finally {
      await connector.close();
    }
  });
});
