// A transaction that commits holds every record sent in it, also when a partition's leader moved to another broker
// while the producer still had the old metadata. The processor sends each transaction's transitions and changelog
// records to partitions that, on a real cluster, different brokers lead.
//
// kafkajs 2.2.4 retries a failed send by broker, not by partition: a broker that answered is not sent to again.
// Here partition 0 is led by broker 1 and partition 1 by broker 2, then partition 1 moves to broker 1. A send to
// both gets broker 1's answer for partition 0 and NOT_LEADER_OR_FOLLOWER from broker 2; upstream's retry then finds
// partition 1 on broker 1, which has answered, sends nothing, and resolves: the transaction commits without
// partition 1's record. Patched (patches/kafkajs+2.2.4.patch, sendMessages.js), a transactional send whose produce
// requests went out fails instead, and the caller aborts and does the transaction again, as the processor does.
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel, type Admin, type RecordMetadata } from 'kafkajs';
import { loadDefinitions } from '../../src/definitions';
import { generateWorkload } from '../../src/demo/workload';
import { createTopicsWithLeaders } from '../../src/kafka/admin-topics';
import { FAULT_TESTS_SKIPPED, faultTest } from '../helpers/fault-tests';
import { startTwoBrokerCluster, type TwoBrokerCluster } from '../helpers/kafka-cluster';
import { afterRecord, committedValues, connectedProducer, uniqueName } from '../helpers/kafka';
import {
  ROOT, compareTransitions, produceClockTicks, produceMessages, processorEnv, readTransitions, simulate, startInProcess, waitCaughtUp,
} from '../helpers/processor';

let cluster: TwoBrokerCluster;
let kafka: Kafka;
let admin: Admin;

beforeAll(async () => {
  if (FAULT_TESTS_SKIPPED) return; // no cluster started for nothing
  cluster = await startTwoBrokerCluster();
  kafka = new Kafka({ clientId: uniqueName('two-brokers'), brokers: [cluster.brokers[0]], logLevel: logLevel.NOTHING, retry: { initialRetryTime: 100, retries: 10 } });
  admin = kafka.admin();
  await admin.connect();
});

afterAll(async () => {
  await admin?.disconnect();
  await cluster?.stop();
});

async function leaderOf(topic: string, partition: number): Promise<number | undefined> {
  const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
  return topics[0]?.partitions.find((p) => p.partitionId === partition)?.leader;
}

/**
 * Drains broker 2 as an operator would before taking it down: every partition of the given topics that it leads
 * moves to broker 1. Resolves once the moves are done and broker 1 leads them all.
 */
async function drainBroker2(topicNames: string[]): Promise<number> {
  const { topics } = await admin.fetchTopicMetadata({ topics: topicNames });
  const moves = topics
    .map((t) => ({ topic: t.name, partitionAssignment: t.partitions.filter((p) => p.leader === 2).map((p) => ({ partition: p.partitionId, replicas: [1] })) }))
    .filter((m) => m.partitionAssignment.length > 0);
  await admin.alterPartitionReassignments({ topics: moves });
  for (let i = 0; ; i++) {
    const pending = await admin.listPartitionReassignments({});
    const now = await admin.fetchTopicMetadata({ topics: topicNames });
    if (pending.topics.length === 0 && now.topics.every((t) => t.partitions.every((p) => p.leader === 1))) {
      return moves.reduce((n, m) => n + m.partitionAssignment.length, 0);
    }
    if (i > 300) throw new Error('broker 2 was not drained within 60 s');
    await sleep(200);
  }
}

faultTest('a transaction that commits after a partition moved to a broker that already answered holds all its records', async () => {
  const topic = uniqueName('moved-leader');
  await createTopicsWithLeaders(admin, [{ topic, replicaAssignment: [{ partition: 0, replicas: [1] }, { partition: 1, replicas: [2] }] }]);
  expect(await leaderOf(topic, 1)).toBe(2);

  const producer = kafka.producer({ transactionalId: uniqueName('moved-leader-tx'), idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    // The producer learns who leads what, and has a connection to each broker.
    const first = await producer.transaction();
    await first.send({ topic, messages: [{ partition: 0, value: 'first-0' }, { partition: 1, value: 'first-1' }] });
    await first.commit();

    // Partition 1 moves to broker 1; the producer's metadata still names broker 2 (it refreshes every 5 minutes).
    expect(await drainBroker2([topic])).toBe(1);

    const second = await producer.transaction();
    let committed: RecordMetadata[] | null = null;
    try {
      const sent = await second.send({ topic, messages: [{ partition: 0, value: 'second-0' }, { partition: 1, value: 'second-1' }] });
      await second.commit();
      committed = sent;
    } catch {
      await second.abort();
    }
    // Committed, the read waits for the transaction's markers (written after commit() returns); aborted, whatever
    // part of it is readable yet must show nothing of it.
    const read = (partition: number): Promise<string[]> =>
      committedValues(kafka, admin, topic, partition, committed === null ? {} : { end: afterRecord(committed, partition) });
    const expected = committed !== null ? [['first-0', 'second-0'], ['first-1', 'second-1']] : [['first-0'], ['first-1']];
    expect([await read(0), await read(1)]).toEqual(expected);

    // Whatever happened to it, the next transaction goes through whole on the new leader.
    const third = await producer.transaction();
    const sent = await third.send({ topic, messages: [{ partition: 0, value: 'third-0' }, { partition: 1, value: 'third-1' }] });
    await third.commit();
    expect(await committedValues(kafka, admin, topic, 1, { end: afterRecord(sent, 1) })).toEqual([...expected[1]!, 'third-1']);
  } finally {
    await producer.disconnect();
  }
});

faultTest('the processor stays equal to simulate when broker 2 is drained mid-run (the partitions it leads move to broker 1)', async () => {
  const defs = loadDefinitions(join(ROOT, 'topologies'));
  const workload = generateWorkload(defs, { users: 300, messages: 6000, start: '2026-05-01T00:00:00.000Z', stepMs: 20_000, seed: 11 });
  const end = new Date(Date.parse(workload.end) + 1000).toISOString();
  const env = await processorEnv(2, defs, { brokers: cluster.brokers });
  // The second half is produced while the processor runs: a chunk's events can show before its traits (their
  // partitions even have different leaders at first). Caught-up traits are waited for (spec §7: a bounded time),
  // else the events of days later go first and the clock passes the traits (default 0, as Kafka Streams).
  const processor = await startInProcess(env, defs, join(env.stateRoot, 'moved'), { maxBatch: 200, maxIdleMs: 2000 });
  try {
    const half = workload.messages.length / 2;
    await produceMessages(env, workload.messages.slice(0, half));
    await waitCaughtUp(env);

    // The processor's producer still has the old leaders: its next transaction sends to both brokers, broker 1 answers
    // and broker 2 no longer leads. Upstream kafkajs then committed without the moved partitions' records (transitions
    // went missing). The env's producer is made again (a plain producer's retry can write a batch twice).
    const mine = (await admin.listTopics()).filter((t) => t.startsWith(`${env.group}.`));
    expect(await drainBroker2(mine)).toBeGreaterThan(0);
    await env.producer.disconnect();
    env.producer = await connectedProducer(env.kafka);

    await produceMessages(env, workload.messages.slice(half));
    await produceClockTicks(env, end);
    await waitCaughtUp(env);
  } finally {
    await processor.stop();
  }
  const actual = await readTransitions(env);
  const expected = simulate(defs, workload.messages, end);
  expect(compareTransitions(actual, expected)).toEqual({ missing: [], extra: [], duplicated: [], different: [] });
  expect(actual).toHaveLength(expected.length);
  await env.close();
});
