// The baseline of `npm run bench:processor`: the least an exactly-once pass-through costs with kafkajs on the
// same broker. One consumer group over the events and traits topics (the processor's consumer settings);
// for each fetched batch, in slices of at most --max-batch records, one transaction that produces one output
// record per input record (same key and value) and commits the consumed offsets (sendOffsetsWithRetry);
// one transactional producer per partition number (transactionalId `<group>.passthrough.<p>`, fenced at
// start), the simplest exactly-once loop kafkajs offers: the processor now shares one producer among its
// partitions (src/kafka/shared-transactions.ts), which this baseline does not (its latency with the fetched
// partitions' batches merged into one transaction, measured once: README). No decoding, no state, no changelog.
//
//   node dist/bench/bench/passthrough.js --brokers host:port --group G --events T --traits T --output T [--max-batch 2000]
//     [--initial-retry-ms 20]   (the processor's kafkajs retry settings: the same client behaviour on both sides)
//
// Logs JSON lines on stderr (`partition ready`); stops cleanly on SIGTERM.
import { parseArgs } from 'node:util';
import { Kafka, logLevel, Partitioners, type Producer } from 'kafkajs';
import { chunkBySize, sendOffsetsWithRetry } from '../src/kafka/eos';

function log(msg: string, fields: Record<string, unknown> = {}): void {
  process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), msg, ...fields })}\n`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      brokers: { type: 'string' },
      group: { type: 'string' },
      events: { type: 'string' },
      traits: { type: 'string' },
      output: { type: 'string' },
      'max-batch': { type: 'string', default: '2000' },
      /** kafkajs' first retry delay: 200 ms, as the processor's client (src/processor/processor.ts). */
      'initial-retry-ms': { type: 'string', default: '20' },
    },
  });
  const { brokers, group, events, traits, output } = values;
  if (brokers === undefined || group === undefined || events === undefined || traits === undefined || output === undefined) {
    throw new Error('usage: passthrough --brokers B --group G --events T --traits T --output T [--max-batch N]');
  }
  const maxBatch = Number(values['max-batch']);
  const kafka = new Kafka({ clientId: `bench-passthrough-${process.pid}`, brokers: brokers.split(','), logLevel: logLevel.WARN, retry: { initialRetryTime: Number(values['initial-retry-ms']), retries: 15 } });
  const sessionTimeout = 10_000;
  const consumer = kafka.consumer({
    groupId: group, readUncommitted: false, sessionTimeout, heartbeatInterval: Math.floor(sessionTimeout / 5), rebalanceTimeout: 30_000,
    maxWaitTimeInMs: 100, maxBytesPerPartition: 4 << 20,
  });

  // One producer per partition number; the transactions of one producer run one after the other.
  const producers = new Map<number, Promise<Producer>>();
  const queues = new Map<number, Promise<unknown>>();
  const producerOf = (p: number): Promise<Producer> => {
    let pr = producers.get(p);
    if (pr === undefined) {
      pr = (async () => {
        const producer = kafka.producer({
          transactionalId: `${group}.passthrough.${p}`, idempotent: true, maxInFlightRequests: 1,
          createPartitioner: Partitioners.DefaultPartitioner, transactionTimeout: 60_000,
        });
        await producer.connect();
        const fence = await producer.transaction();
        await fence.abort();
        log('partition ready', { partition: p });
        return producer;
      })();
      producers.set(p, pr);
    }
    return pr;
  };
  const serially = <T>(p: number, job: () => Promise<T>): Promise<T> => {
    const previous = queues.get(p) ?? Promise.resolve();
    const next = previous.then(job, job);
    queues.set(p, next.catch(() => undefined));
    return next;
  };

  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    for (const p of e.payload.memberAssignment[events] ?? []) void producerOf(p);
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [events, traits], fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: true,
    partitionsConsumedConcurrently: 16,
    eachBatch: async ({ batch, heartbeat, isRunning, isStale }) => {
      const p = batch.partition;
      const producer = await producerOf(p);
      for (let i = 0; i < batch.messages.length; i += maxBatch) {
        if (!isRunning() || isStale()) return;
        const slice = batch.messages.slice(i, i + maxBatch);
        const last = slice[slice.length - 1];
        if (last === undefined) continue;
        await serially(p, async () => {
          const txn = await producer.transaction();
          try {
            // Requests under the broker's record-batch limit, as the processor sends them (a slice of 5,000 did not fit).
            for (const chunk of chunkBySize([{ topic: output, messages: slice.map((m) => ({ key: m.key, value: m.value })) }])) await txn.sendBatch({ topicMessages: chunk });
            await sendOffsetsWithRetry(txn, { consumerGroupId: group, topics: [{ topic: batch.topic, partitions: [{ partition: p, offset: (BigInt(last.offset) + 1n).toString() }] }] });
            await txn.commit();
          } catch (err) {
            await txn.abort().catch(() => undefined);
            throw err;
          }
        });
        await heartbeat();
      }
    },
  });
  log('passthrough started', { group });

  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  await consumer.stop();
  await Promise.all(queues.values());
  await consumer.disconnect();
  for (const pr of producers.values()) await (await pr).disconnect();
  log('passthrough stopped');
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
