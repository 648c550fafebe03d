// Reading a compacted partition (the changelog, in a restore) across a record batch the log cleaner emptied. The
// cleaner keeps a producer's last batch even when compaction removed all its records (the broker needs its offsets
// and sequence), and a fetch reads one segment at a time: when such an empty batch ends a segment, a fetch from it
// returns that batch and nothing else. kafkajs 2.2.4 ignored a batch's offsets without records, so it fetched the
// same offset again forever (the Java consumer moves past the batch). A changelog has such batches once a
// processor's producer is gone (a lost disk, a smaller fleet) and its last records are superseded.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin, Kafka } from 'kafkajs';
import { readPartition } from '../../src/kafka/partition-reader';
import { createTopicsWithLeaders } from '../../src/kafka/admin-topics';
import { connectedAdmin, connectedProducer, kafkaClient, uniqueName } from '../helpers/kafka';

jest.setTimeout(180_000);

describe('reading a compacted partition', () => {
  let kafka: Kafka;
  let admin: Admin;

  beforeAll(async () => {
    kafka = kafkaClient();
    admin = await connectedAdmin(kafka);
  });

  afterAll(async () => {
    await admin?.disconnect();
  });

  /** [key, value] of every record from 0 up to the end, read_committed, as the processor's restore reads them. */
  async function readAll(topic: string): Promise<[string, string][]> {
    const end = (await admin.fetchTopicOffsets(topic)).find((o) => o.partition === 0)?.high ?? '0';
    const records: [string, string][] = [];
    await readPartition(kafka, admin, {
      topic, partition: 0, from: '0', end, groupPrefix: uniqueName('it-compacted-read'), stallMs: 10_000,
      onBatch: (messages) => {
        for (const m of messages) records.push([m.key?.toString() ?? '', m.value?.toString().slice(0, 1) ?? '']);
        return Promise.resolve();
      },
    });
    return records;
  }

  test('a segment that ends in a batch the cleaner emptied is read past', async () => {
    const topic = uniqueName('it-compacted');
    // 1 MiB segments (the least Kafka allows) and a cleaner that takes any dirty segment at once.
    await createTopicsWithLeaders(admin, [{
      topic, numPartitions: 1, replicationFactor: 1,
      configEntries: [
        { name: 'cleanup.policy', value: 'compact' },
        { name: 'segment.bytes', value: String(1 << 20) },
        { name: 'min.cleanable.dirty.ratio', value: '0.01' },
        { name: 'min.compaction.lag.ms', value: '0' },
      ],
    }]);
    // Three producers, one batch each of ~600 KiB, so that each batch rolls a new segment and no two segments are
    // cleaned into one: [a's batch] [b's batch] [c's batch, active]. b supersedes every record of a's.
    const keys = Array.from({ length: 10 }, (_, i) => `k${i}`);
    const write = async (values: string, recordKeys: string[]) => {
      const producer = await connectedProducer(kafka);
      const size = (600 * 1024) / recordKeys.length;
      try {
        await producer.send({ topic, messages: recordKeys.map((key) => ({ key, value: values.repeat(size), partition: 0 })) });
      } finally {
        await producer.disconnect();
      }
    };
    await write('a', keys);
    await write('b', keys);
    await write('c', ['z']);

    // Until the cleaner has run, a's records are read; after, only b's and c's (a's batch stays, empty).
    const latest = [...keys.map((k): [string, string] => [k, 'b']), ['z', 'c'] as [string, string]];
    const deadline = Date.now() + 120_000;
    let records = await readAll(topic);
    while (records.some(([, v]) => v === 'a') && Date.now() < deadline) {
      await sleep(2000);
      records = await readAll(topic);
    }
    expect(records).toEqual(latest);
  });
});
