#!/usr/bin/env node
// @ts-check
// `npm run dev`: the local pipeline until the processor exists. With the infra up (npm run dev starts it),
// it creates the events topic, registers the Segment message schema, produces a few Segment messages in the
// Confluent Avro wire format keyed by userId, consumes them back through a consumer group and prints them.
//
//   npm run dev                      topic journeys.events, 3 partitions
//   npm run dev -- --topic my.events
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import registryPkg from '@kafkajs/confluent-schema-registry';
import kafkajs from 'kafkajs';

const { SchemaRegistry, SchemaType } = registryPkg;
const { Kafka, Partitioners, logLevel } = kafkajs;
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Same rule as src/kafka/infra-state.ts: the live state file, else the environment. */
function infraState() {
  const file = process.env.JOURNEYS_INFRA_STATE ?? path.join(ROOT, '.infra', 'state.json');
  try {
    const s = JSON.parse(fs.readFileSync(file, 'utf8'));
    for (const pid of [s.kafka?.pid, s.registry?.pid]) process.kill(pid, 0);
    return { bootstrap: String(s.bootstrap), registryUrl: String(s.registryUrl) };
  } catch {
    const { KAFKA_BOOTSTRAP: bootstrap, SCHEMA_REGISTRY_URL: registryUrl } = process.env;
    if (bootstrap && registryUrl) return { bootstrap, registryUrl };
    throw new Error('no Kafka broker and schema registry: run `npm run infra:up`, or set KAFKA_BOOTSTRAP and SCHEMA_REGISTRY_URL (JRN_ERR_INFRA)');
  }
}

async function main() {
  const args = process.argv.slice(2);
  const topic = args.includes('--topic') ? String(args[args.indexOf('--topic') + 1]) : 'journeys.events';
  const { bootstrap, registryUrl } = infraState();
  const run = randomUUID().slice(0, 8);
  const kafka = new Kafka({ clientId: `journeys-dev-${run}`, brokers: bootstrap.split(','), logLevel: logLevel.NOTHING });
  const registry = new SchemaRegistry({ host: registryUrl });

  const admin = kafka.admin();
  await admin.connect();
  try {
    if (await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 3, replicationFactor: 1 }] })) console.log(`created topic ${topic} (3 partitions)`);
    else console.log(`topic ${topic} exists`);
  } finally {
    await admin.disconnect();
  }

  const schema = fs.readFileSync(path.join(ROOT, 'schemas', 'segment-message.avsc'), 'utf8');
  const { id } = await registry.register({ type: SchemaType.AVRO, schema }, { subject: `${topic}-value` });
  console.log(`registered schemas/segment-message.avsc as ${topic}-value, schema id ${id}`);

  const at = (/** @type {number} */ s) => new Date(Date.UTC(2026, 0, 1, 10, 0, s)).toISOString();
  const base = { anonymousId: null, event: null, name: null, properties: null, traits: null, context: null, groupId: null, previousId: null };
  const messages = [
    { ...base, type: 'identify', userId: 'ada', traits: JSON.stringify({ plan: 'pro', email: 'ada@example.com' }) },
    { ...base, type: 'track', userId: 'ada', event: 'Product Added', properties: JSON.stringify({ cart_id: 'c-1', sku: 'kb-01', price: 49 }) },
    { ...base, type: 'page', userId: 'grace', name: 'Pricing', properties: JSON.stringify({ url: 'https://example.com/pricing' }) },
    { ...base, type: 'screen', userId: 'grace', name: 'Checkout' },
    { ...base, type: 'track', userId: 'ada', event: 'Order Completed', properties: JSON.stringify({ cart_id: 'c-1', total: 49 }) },
  ].map((m, i) => ({ ...m, messageId: `dev-${run}-${i + 1}`, timestamp: at(i) }));

  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true });
  await producer.connect();
  try {
    const encoded = await Promise.all(messages.map(async (m) => ({ key: m.userId, value: await registry.encode(id, m) })));
    await producer.send({ topic, acks: -1, messages: encoded });
    console.log(`produced ${messages.length} Segment messages (Avro, Confluent wire format), keyed by userId`);
  } finally {
    await producer.disconnect();
  }

  // Read them back: a fresh group from the beginning, until this run's messages are all seen.
  const wanted = new Set(messages.map((m) => m.messageId));
  const consumer = kafka.consumer({ groupId: `journeys-dev-${run}`, sessionTimeout: 6000, heartbeatInterval: 500, maxWaitTimeInMs: 200 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise((resolve, reject) => {
      // CRASH with restart: true (e.g. the coordinator still loading) is retried by kafkajs itself.
      consumer.on(consumer.events.CRASH, (/** @type {any} */ e) => e.payload.restart || reject(e.payload.error));
      consumer
        .run({
          eachMessage: async (/** @type {any} */ { partition, message }) => {
            // Other runs' messages (or another producer's) may be on the topic too: skip what is not ours.
            const m = await registry.decode(message.value).catch(() => undefined);
            if (!m || !wanted.delete(m.messageId)) return;
            const detail = m.event ?? m.name ?? (m.traits ? `traits ${m.traits}` : '');
            console.log(`  consumed p${partition}@${message.offset}  ${m.timestamp}  ${m.type.padEnd(8)} ${m.userId.padEnd(6)} ${detail}${m.properties ? `  ${m.properties}` : ''}`);
            if (wanted.size === 0) resolve(undefined);
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  console.log(`round trip done: ${messages.length} messages through ${bootstrap} and ${registryUrl}. Stop the infra with: npm run infra:down`);
}

main().catch((err) => {
  console.error(`dev: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
