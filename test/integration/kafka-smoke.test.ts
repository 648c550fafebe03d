// Smoke tests against the real broker: topics through the admin client, and produce/consume through a
// consumer group with explicit commits. No mocks; every name is unique to the run.
import type { Admin, Kafka, Producer } from 'kafkajs';
import { connectedAdmin, connectedProducer, createTopics, kafkaClient, onFatalCrash, testConsumer, uniqueName } from '../helpers/kafka';
import type { Received } from '../helpers/kafka';

describe('Kafka broker', () => {
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;

  beforeAll(async () => {
    kafka = kafkaClient();
    admin = await connectedAdmin(kafka);
    producer = await connectedProducer(kafka);
  });

  afterAll(async () => {
    await producer?.disconnect();
    await admin?.disconnect();
  });

  it('answers metadata as a single KRaft node', async () => {
    const cluster = await admin.describeCluster();
    expect(cluster.brokers).toHaveLength(1);
    expect(cluster.controller).toBe(cluster.brokers[0]!.nodeId);
    expect(cluster.clusterId).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('creates topics with the admin client', async () => {
    const a = uniqueName('it-topic-a');
    const b = uniqueName('it-topic-b');
    await createTopics(admin, [{ topic: a, partitions: 3 }, { topic: b }]);

    const topics = await admin.listTopics();
    expect(topics).toEqual(expect.arrayContaining([a, b]));
    const meta = await admin.fetchTopicMetadata({ topics: [a, b] });
    const partitions = Object.fromEntries(meta.topics.map((t) => [t.name, t.partitions.length]));
    expect(partitions).toEqual({ [a]: 3, [b]: 1 });
    // Creating an existing topic is refused, not silently repeated.
    await expect(admin.createTopics({ topics: [{ topic: a, numPartitions: 3, replicationFactor: 1 }] })).resolves.toBe(false);
  });

  it('produces keyed messages and consumes them through a consumer group, in order per key, committing offsets', async () => {
    const topic = uniqueName('it-orders');
    const groupId = uniqueName('it-group');
    await createTopics(admin, [{ topic, partitions: 3 }]);
    const sent = Array.from({ length: 30 }, (_, i) => ({ key: `user-${i % 5}`, value: `m-${String(i).padStart(2, '0')}` }));
    await producer.send({ topic, acks: -1, messages: sent });

    const consumer = testConsumer(kafka, { groupId });
    await consumer.connect();
    const received: Received[] = [];
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        onFatalCrash(consumer, reject);
        consumer
          .run({
            autoCommit: false,
            eachMessage: async ({ topic: t, partition, message }) => {
              received.push({ topic: t, partition, message });
              if (received.length === sent.length) resolve();
              return Promise.resolve();
            },
          })
          .catch(reject);
      });
      // Commit what was processed: the next offset to read, per partition.
      const next = new Map<number, bigint>();
      for (const r of received) next.set(r.partition, BigInt(r.message.offset) + 1n);
      await consumer.commitOffsets([...next].map(([partition, offset]) => ({ topic, partition, offset: offset.toString() })));
    } finally {
      await consumer.disconnect();
    }

    // Every message once; per key, one partition and the order they were produced in.
    expect(received.map((r) => r.message.value?.toString()).sort()).toEqual(sent.map((m) => m.value).sort());
    const byKey = new Map<string, { partitions: Set<number>; values: string[] }>();
    for (const r of received) {
      const key = r.message.key!.toString();
      const entry = byKey.get(key) ?? { partitions: new Set<number>(), values: [] };
      entry.partitions.add(r.partition);
      entry.values.push(r.message.value!.toString());
      byKey.set(key, entry);
    }
    for (const [key, { partitions, values }] of byKey) {
      expect(partitions.size).toBe(1);
      expect(values).toEqual(sent.filter((m) => m.key === key).map((m) => m.value));
    }

    // The group's committed offsets are the ends of the partitions that got messages ('-1': nothing committed).
    const ends = await admin.fetchTopicOffsets(topic);
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const committedBy = Object.fromEntries(committed!.partitions.map((p) => [p.partition, p.offset]));
    expect(committedBy).toEqual(Object.fromEntries(ends.map((p) => [p.partition, p.high === '0' ? '-1' : p.high])));
    expect(ends.reduce((sum, p) => sum + Number(p.high), 0)).toBe(sent.length);
  });
});
