// Helpers for tests against the real broker and schema registry (started by the jest global setup, or
// `npm run infra:up`, or given by KAFKA_BOOTSTRAP / SCHEMA_REGISTRY_URL).
import { randomBytes } from 'node:crypto';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import type { Admin, Consumer, ConsumerConfig, KafkaConfig, KafkaMessage, Producer, ProducerConfig, RecordMetadata } from 'kafkajs';
import { createTopicsWithLeaders } from '../../src/kafka/admin-topics';
import { brokerList, readInfraState } from '../../src/kafka/infra-state';
import { readPartition } from '../../src/kafka/partition-reader';
import type { InfraState } from '../../src/kafka/infra-state';

let counter = 0;

/**
 * A name no other test, worker or run uses: `<prefix>-<pid>-<time>-<n>-<random>`, valid for topics, groups
 * and transactional ids (letters, digits, `.`, `_`, `-`).
 */
export function uniqueName(prefix: string): string {
  counter += 1;
  const safe = prefix.replace(/[^a-zA-Z0-9._-]/g, '-');
  return `${safe}-${process.pid}-${Date.now().toString(36)}-${counter}-${randomBytes(3).toString('hex')}`;
}

let cached: InfraState | undefined;

/** Bootstrap address and registry URL (throws JRN_ERR_INFRA saying what to do when there are none). */
export function infra(): InfraState {
  cached ??= readInfraState();
  return cached;
}

const LOG_LEVELS: Record<string, logLevel> = { nothing: logLevel.NOTHING, error: logLevel.ERROR, warn: logLevel.WARN, info: logLevel.INFO, debug: logLevel.DEBUG };

/** A kafkajs client for the test broker. Quiet unless JOURNEYS_TEST_KAFKA_LOG=error|warn|info|debug. */
export function kafkaClient(config: Partial<KafkaConfig> = {}): Kafka {
  return new Kafka({
    clientId: uniqueName('it'),
    brokers: brokerList(infra()),
    logLevel: LOG_LEVELS[process.env.JOURNEYS_TEST_KAFKA_LOG ?? 'nothing'] ?? logLevel.NOTHING,
    retry: { initialRetryTime: 100, retries: 10 },
    ...config,
  });
}

/** A connected admin client; disconnect it in afterAll. */
export async function connectedAdmin(kafka: Kafka = kafkaClient()): Promise<Admin> {
  const admin = kafka.admin();
  await admin.connect();
  return admin;
}

/**
 * A connected producer with the default (murmur2, Java-compatible) partitioner, idempotent: kafkajs sends one
 * request per broker for all partitions and, when any partition fails (as one can right after topic creation),
 * sends all of them again, so a plain producer can append a batch twice where the rest succeeded. Tests compare
 * what the processor made of their input with `journeys simulate` on the input as written: it must be written once.
 */
export async function connectedProducer(kafka: Kafka, config: ProducerConfig = {}): Promise<Producer> {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true, maxInFlightRequests: 1, ...config });
  await producer.connect();
  return producer;
}

/** A consumer with short sessions (the test broker allows 1 s minimum); group ids must be unique per test. */
export function testConsumer(kafka: Kafka, config: ConsumerConfig): Consumer {
  return kafka.consumer({ sessionTimeout: 6000, heartbeatInterval: 500, rebalanceTimeout: 10000, maxWaitTimeInMs: 200, ...config });
}

/** Creates topics (replication factor 1) and waits until they have leaders. */
export async function createTopics(admin: Admin, topics: { topic: string; partitions?: number }[]): Promise<void> {
  await createTopicsWithLeaders(admin, topics.map((t) => ({ topic: t.topic, numPartitions: t.partitions ?? 1, replicationFactor: 1 })));
}

/**
 * A partition's record values from `from` (default 0) up to `end`, read_committed, as the processor's restore reads
 * them. Without `end`, up to the last stable offset now (kafkajs' admin lists offsets read_committed). A transaction
 * whose commit() has returned may not be in that yet: the coordinator writes its markers after answering. So a test
 * that checks such a transaction passes `end`: the offset after its last record (`afterRecord`), and the read waits
 * until the transaction is decided.
 */
export async function committedValues(kafka: Kafka, admin: Admin, topic: string, partition: number, range: { from?: string; end?: string } = {}): Promise<string[]> {
  const from = range.from ?? '0';
  const end = range.end ?? (await admin.fetchTopicOffsets(topic)).find((o) => o.partition === partition)?.high ?? '0';
  const values: string[] = [];
  await readPartition(kafka, admin, {
    topic, partition, from, end, groupPrefix: uniqueName('it-read'),
    onBatch: (messages) => {
      for (const m of messages) values.push(m.value?.toString() ?? '');
      return Promise.resolve();
    },
  });
  return values;
}

/** The offset after the record a send wrote to `partition` (one record per partition): an `end` for committedValues. */
export function afterRecord(sent: RecordMetadata[], partition: number): string {
  const record = sent.find((r) => r.partition === partition);
  if (record?.baseOffset === undefined) throw new Error(`the send wrote nothing to partition ${partition}`);
  return (BigInt(record.baseOffset) + 1n).toString();
}

/** The Confluent-API schema registry client for the test registry. */
export function schemaRegistry(): SchemaRegistry {
  return new SchemaRegistry({ host: infra().registryUrl });
}

/**
 * Rejects when the consumer crashes for good. kafkajs also emits CRASH for retriable errors (e.g. "the
 * coordinator is loading" right after the broker started) and then restarts the consumer by itself
 * (`payload.restart: true`): those are not failures.
 */
export function onFatalCrash(consumer: Consumer, reject: (err: Error) => void): void {
  consumer.on(consumer.events.CRASH, (e) => {
    if (!e.payload.restart) reject(e.payload.error);
  });
}

export interface Received {
  topic: string;
  partition: number;
  message: KafkaMessage;
}

/**
 * Consumes `topic` from the beginning with a fresh group until `done(received)` holds, then stops and
 * disconnects. No clock involved: the test's own timeout is the only bound.
 */
export async function consumeUntil(
  kafka: Kafka,
  topic: string,
  done: (received: Received[]) => boolean,
  options: { readUncommitted?: boolean; groupId?: string } = {},
): Promise<Received[]> {
  const consumer = testConsumer(kafka, { groupId: options.groupId ?? uniqueName('it-reader'), readUncommitted: options.readUncommitted ?? false });
  await consumer.connect();
  const received: Received[] = [];
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      onFatalCrash(consumer, reject);
      consumer
        .run({
          eachMessage: async ({ topic: t, partition, message }) => {
            received.push({ topic: t, partition, message });
            if (done(received)) resolve();
            return Promise.resolve();
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return received;
}
