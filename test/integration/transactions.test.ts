// Exactly-once building blocks on the real broker: a consume-transform-produce loop whose output and input
// offsets go in one transaction (kafkajs `sendOffsets`), one transaction committed and one aborted. A
// read_committed reader sees only the committed output; the group's committed offset moves only with it.
// And the transaction manager as patched (patches/kafkajs+2.2.4.patch): coordinators are found once, and
// CONCURRENT_TRANSACTIONS right after a commit is tried again quietly.
import { logLevel, type Admin, type Kafka, type LogEntry, type Producer } from 'kafkajs';
import { sendOffsetsWithRetry } from '../../src/kafka/eos';
import { connectedAdmin, connectedProducer, consumeUntil, createTopics, kafkaClient, onFatalCrash, testConsumer, uniqueName } from '../helpers/kafka';

describe('Kafka transactions', () => {
  let kafka: Kafka;
  let admin: Admin;
  let plain: Producer;
  let txProducer: Producer;

  beforeAll(async () => {
    kafka = kafkaClient();
    admin = await connectedAdmin(kafka);
    plain = await connectedProducer(kafka);
    txProducer = await connectedProducer(kafka, { transactionalId: uniqueName('it-tx'), idempotent: true, maxInFlightRequests: 1 });
  });

  afterAll(async () => {
    await txProducer?.disconnect();
    await plain?.disconnect();
    await admin?.disconnect();
  });

  it('commits one transaction with its input offsets and aborts another; read_committed sees only the committed one', async () => {
    const input = uniqueName('it-tx-in');
    const output = uniqueName('it-tx-out');
    const groupId = uniqueName('it-tx-group');
    await createTopics(admin, [{ topic: input }, { topic: output }]);
    await plain.send({ topic: input, acks: -1, messages: [{ key: 'user-1', value: 'ok-1' }, { key: 'user-1', value: 'fail-2' }] });

    // The processor: each input message in its own transaction, with the input offset; `fail-*` aborts.
    const consumer = testConsumer(kafka, { groupId });
    await consumer.connect();
    const outcomes: string[] = [];
    try {
      await consumer.subscribe({ topic: input, fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        onFatalCrash(consumer, reject);
        consumer
          .run({
            autoCommit: false,
            eachMessage: async ({ topic, partition, message }) => {
              const value = message.value!.toString();
              const txn = await txProducer.transaction();
              try {
                await txn.send({ topic: output, messages: [{ key: message.key, value: `out-${value}` }] });
                await sendOffsetsWithRetry(txn, { consumerGroupId: groupId, topics: [{ topic, partitions: [{ partition, offset: (BigInt(message.offset) + 1n).toString() }] }] });
                if (value.startsWith('fail')) {
                  await txn.abort();
                  outcomes.push(`aborted ${value}`);
                } else {
                  await txn.commit();
                  outcomes.push(`committed ${value}`);
                }
              } catch (err) {
                if (txn.isActive()) await txn.abort();
                throw err;
              }
              if (outcomes.length === 2) resolve();
            },
          })
          .catch(reject);
      });
    } finally {
      await consumer.disconnect();
    }
    expect(outcomes).toEqual(['committed ok-1', 'aborted fail-2']);

    // A last committed transaction marks the end of the output, so readers know when to stop.
    const end = await txProducer.transaction();
    await end.send({ topic: output, messages: [{ key: 'end', value: 'end' }] });
    await end.commit();

    const isEnd = (rs: { message: { value: Buffer | null } }[]) => rs.some((r) => r.message.value?.toString() === 'end');
    const committedView = await consumeUntil(kafka, output, isEnd, { readUncommitted: false });
    expect(committedView.map((r) => r.message.value!.toString())).toEqual(['out-ok-1', 'end']);

    // The aborted record was written (a read_uncommitted reader sees it); read_committed skipped it.
    const uncommittedView = await consumeUntil(kafka, output, isEnd, { readUncommitted: true });
    expect(uncommittedView.map((r) => r.message.value!.toString())).toEqual(['out-ok-1', 'out-fail-2', 'end']);

    // The group's offset moved with the committed transaction only: next to read is `fail-2` (offset 1).
    const [committed] = await admin.fetchOffsets({ groupId, topics: [input] });
    expect(committed!.partitions).toEqual([expect.objectContaining({ partition: 0, offset: '1' })]);
  });

  it('back-to-back transactions find their coordinators once and take CONCURRENT_TRANSACTIONS in their stride', async () => {
    const input = uniqueName('it-tx-in');
    const output = uniqueName('it-tx-out');
    const groupId = uniqueName('it-tx-group');
    await createTopics(admin, [{ topic: input }, { topic: output, partitions: 2 }]);
    // kafkajs' own log lines at ERROR and above, from a client of its own.
    const errors: string[] = [];
    const client = kafkaClient({ logLevel: logLevel.ERROR, logCreator: () => ({ level, log }: LogEntry) => { if (level <= logLevel.ERROR) errors.push(log.message); } });
    const producer = await connectedProducer(client, { transactionalId: uniqueName('it-tx-b2b'), idempotent: true, maxInFlightRequests: 1 });
    const requests = new Map<string, number>();
    producer.on(producer.events.REQUEST, (e) => requests.set(e.payload.apiName, (requests.get(e.payload.apiName) ?? 0) + 1));
    const transactions = 60;
    try {
      // A topic just created may answer its first writes with "not the leader" while the broker learns of it, which
      // kafkajs retries and logs as an error: a first transaction to both partitions, aborted (read_committed never
      // sees it), gets past that before anything is counted.
      const warmUp = await producer.transaction();
      await warmUp.send({ topic: output, messages: [{ key: 'w', value: 'w', partition: 0 }, { key: 'w', value: 'w', partition: 1 }] });
      await warmUp.abort();
      errors.length = 0;
      requests.clear();
      for (let i = 0; i < transactions; i++) {
        const txn = await producer.transaction();
        await txn.sendBatch({ topicMessages: [{ topic: output, messages: [{ key: `k-${i}`, value: String(i), partition: 0 }, { key: `k-${i}`, value: String(i), partition: 1 }] }] });
        await sendOffsetsWithRetry(txn, { consumerGroupId: groupId, topics: [{ topic: input, partitions: [{ partition: 0, offset: String(i + 1) }] }] });
        await txn.commit();
      }
    } finally {
      await producer.disconnect();
    }
    const received = await consumeUntil(kafka, output, (rs) => rs.length >= 2 * transactions, { readUncommitted: false });
    expect(received.map((r) => Number(r.message.value!.toString())).sort((a, b) => a - b)).toEqual(Array.from({ length: 2 * transactions }, (_, i) => Math.floor(i / 2)));
    const [committed] = await admin.fetchOffsets({ groupId, topics: [input] });
    expect(committed!.partitions).toEqual([expect.objectContaining({ partition: 0, offset: String(transactions) })]);
    // One FindCoordinator for the transaction, one for the group (upstream: four per transaction).
    expect(requests.get('GroupCoordinator')).toBeLessThanOrEqual(2);
    // The coordinator did answer CONCURRENT_TRANSACTIONS (an AddPartitionsToTxn more than one per transaction)...
    expect(requests.get('AddPartitionsToTxn')).toBeGreaterThan(transactions);
    // ...and nothing was logged as an error for it (upstream: two error lines each time).
    expect(errors).toEqual([]);
  });
});
