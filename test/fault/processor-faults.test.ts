// Exactly once, for real (spec §7): a generated workload (2,000 users, 50,000 messages in time order, every
// example journey, 4 partitions) run by `journeys process --clock event` while processes are killed with
// SIGKILL, processors join and leave, a state dir is lost, aborted transactions lie in the changelog, or the broker
// restarts. Each time the transitions topic, read read_committed, must equal `journeys simulate` on the same input,
// id for id, with no duplicates.
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadDefinitions } from '../../src/definitions';
import type { Transition } from '../../src/engine/transition';
import { restartBroker } from '../helpers/infra-process';
import {
  ROOT, compareTransitions, inputLag, produceClockTicks, produceMessages, processorEnv, readTransitions, simulate, startProcessor, waitCaughtUp, waitJoined, whenLogged,
  waitMembers,
  type ProcessorEnv, type ProcessorProcess,
} from '../helpers/processor';
import { generateWorkload, prng, type Workload } from '../../src/demo/workload';
import { Partitioners, type Producer } from 'kafkajs';
import { readPartition } from '../../src/kafka/partition-reader';
import { POSITION_KEY } from '../../src/processor/task';
import { parseTimestamp } from '../../src/lib/time';
import { faultTest } from '../helpers/fault-tests';

const TOPOLOGIES = join(ROOT, 'topologies');
const defs = loadDefinitions(TOPOLOGIES);
const PARTITIONS = 4;

let workload: Workload;
let end: string;
let expected: Transition[];

beforeAll(() => {
  workload = generateWorkload(defs, { users: 2000, messages: 50_000, start: '2026-05-01T00:00:00.000Z', stepMs: 20_000, seed: 2026 });
  end = new Date(Date.parse(workload.end) + 1000).toISOString();
  expected = simulate(defs, workload.messages, end);
});

/** Every env a test makes: one a failed test left open is closed after it (else its clients keep jest running). */
const opened: ProcessorEnv[] = [];

async function freshEnv(): Promise<ProcessorEnv> {
  const env = await processorEnv(PARTITIONS, defs);
  opened.push(env);
  await produceMessages(env, workload.messages);
  await produceClockTicks(env, end);
  return env;
}

/** Waits until at least `fraction` of the input is committed (or all of it). */
async function waitProgress(env: ProcessorEnv, total: number, fraction: number): Promise<void> {
  for (;;) {
    const lag = await inputLag(env);
    if (lag === 0 || (total - lag) / total >= fraction) return;
    await sleep(100);
  }
}

async function finish(env: ProcessorEnv, running: ProcessorProcess[]): Promise<void> {
  // Bounded so that a stuck processor fails with its own output rather than the test's timeout; the waits stop then.
  const givenUp = new AbortController();
  const stuck = new Promise<never>((_, reject) => {
    const ms = Number(process.env.FAULT_DEADLINE_MS ?? 8 * 60_000);
    const timer = setTimeout(() => {
      givenUp.abort();
      reject(new Error(`processor did not catch up in ${ms / 1000} s; its output:\n${running.map((p) => p.output().slice(-4000)).join('\n---\n')}`));
    }, ms);
    timer.unref();
  });
  await Promise.race([waitCaughtUp(env, undefined, givenUp.signal), stuck]);
  // A processor restarted just before the input was all committed may still be loading: a SIGTERM then would
  // find no handler and kill it (exit code null), which says nothing about the processor.
  for (const p of running) await Promise.race([waitJoined(env, p, givenUp.signal), stuck]);
  for (const p of running) p.child.kill('SIGTERM');
  for (const p of running) expect({ code: await Promise.race([p.exited, stuck]), output: '' }).toEqual({ code: 0, output: '' });
  const actual = await readTransitions(env);
  expect(compareTransitions(actual, expected)).toEqual({ missing: [], extra: [], duplicated: [], different: [] });
  expect(actual).toHaveLength(expected.length);
  await env.close();
}

const total = () => workload.messages.length + PARTITIONS;

/** Every processor a test starts: one still running when the test ends (it failed midway) is killed. */
const started: ProcessorProcess[] = [];
function start(...args: Parameters<typeof startProcessor>): ProcessorProcess {
  const p = startProcessor(...args);
  started.push(p);
  return p;
}
afterEach(async () => {
  for (const p of started.splice(0)) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  // Closing twice is harmless: a test that passed has closed its env already.
  for (const env of opened.splice(0)) await env.close().catch(() => undefined);
});

test('the workload is big and varied enough to mean something', () => {
  expect(new Set(workload.messages.map((m) => m.userId)).size).toBeGreaterThanOrEqual(1900);
  expect(expected.length).toBeGreaterThan(10_000);
  const reasons = new Set(expected.map((t) => t.reason));
  for (const r of ['entry', 'next', 'wait', 'event', 'restart', 'timeout', 'condition', 'split', 'branch', 'random', 'exit-rule', 'end']) expect(reasons).toContain(r);
});

faultTest('crash: killed with SIGKILL at 6 random moments and restarted, still equal, no duplicates', async () => {
  const env = await freshEnv();
  const stateDir = join(env.stateRoot, 'crash');
  const rnd = prng(99);
  let p = start(env, TOPOLOGIES, stateDir);
  for (let kill = 0; kill < 6; kill++) {
    await waitProgress(env, total(), (kill + 1) / 8);
    await sleep(Math.floor(rnd() * 700));
    p.child.kill('SIGKILL');
    expect(await p.exited).toBeNull();
    p = start(env, TOPOLOGIES, stateDir);
  }
  await finish(env, [p]);
});

faultTest('rebalance: a second and a third processor join, then leave, mid-run: still equal', async () => {
  const env = await freshEnv();
  const first = start(env, TOPOLOGIES, join(env.stateRoot, 'p1'));
  await waitProgress(env, total(), 0.15);
  const second = start(env, TOPOLOGIES, join(env.stateRoot, 'p2'));
  await waitMembers(env, 2);
  await waitProgress(env, total(), 0.35);
  const third = start(env, TOPOLOGIES, join(env.stateRoot, 'p3'));
  await waitMembers(env, 3);
  await waitProgress(env, total(), 0.55);
  second.child.kill('SIGTERM');
  expect(await second.exited).toBe(0);
  await waitProgress(env, total(), 0.75);
  third.child.kill('SIGKILL');
  await third.exited;
  await finish(env, [first]);
});

faultTest('zombie: a processor frozen (SIGSTOP) past its session while another takes its partitions, then thawed: still equal', async () => {
  const env = await freshEnv();
  const frozen = start(env, TOPOLOGIES, join(env.stateRoot, 'frozen'));
  await waitProgress(env, total(), 0.15);
  const other = start(env, TOPOLOGIES, join(env.stateRoot, 'other'));
  await waitMembers(env, 2);
  await waitProgress(env, total(), 0.3);
  // Frozen wherever it is (mid-batch, mid-transaction): the group drops it after its session (10 s), the other
  // processor takes every partition and goes on, once the frozen one's open transaction is aborted by the broker.
  frozen.child.kill('SIGSTOP');
  await waitMembers(env, 1);
  await waitProgress(env, total(), 0.6);
  // Thawed, it finds it was dropped and joins again as a new member: nothing it had in flight may be committed,
  // and the partitions it gets back must not run on the state it had before (the other has moved them on since).
  frozen.child.kill('SIGCONT');
  await waitMembers(env, 2);
  await finish(env, [frozen, other]);
});

/** A run to 40% of the input, stopped cleanly, its state dir then deleted. */
async function stoppedThenDiskLost(name: string): Promise<{ env: ProcessorEnv; stateDir: string }> {
  const env = await freshEnv();
  const stateDir = join(env.stateRoot, name);
  const p = start(env, TOPOLOGIES, stateDir);
  await waitProgress(env, total(), 0.4);
  p.child.kill('SIGTERM');
  expect(await p.exited).toBe(0);
  rmSync(stateDir, { recursive: true, force: true });
  return { env, stateDir };
}

interface LogLine { msg?: string; partition?: number; records?: number; full?: boolean }
const logLines = (p: ProcessorProcess): LogLine[] => p.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as LogLine);
const restoredPartitions = (p: ProcessorProcess): number => p.output().split('\n').filter((l) => l.includes('"msg":"state restored"')).length;

/** Waits (up to 2 minutes) until every partition has logged `state restored`. */
async function waitRestored(p: ProcessorProcess): Promise<void> {
  for (let waited = 0; restoredPartitions(p) < PARTITIONS && waited < 120_000 && p.child.exitCode === null; waited += 100) await sleep(100);
}

faultTest('disk loss: the state dir deleted between runs is restored from the changelog: still equal', async () => {
  const { env, stateDir } = await stoppedThenDiskLost('disk');
  let p = start(env, TOPOLOGIES, stateDir, [], 'info');
  // Killed only once every partition has restored: the first run may have gone past 70% before its SIGTERM took
  // effect, and then waiting for progress alone killed this one before it had started (a CI run did).
  await waitRestored(p);
  await waitProgress(env, total(), 0.7);
  p.child.kill('SIGKILL');
  await p.exited;
  // The log tells of each partition's restore: where it starts, and how many records it took.
  const lines = logLines(p);
  const restoring = lines.filter((l) => l.msg === 'restoring state from the changelog');
  const restored = lines.filter((l) => l.msg === 'state restored');
  expect(restoring.map((l) => [l.partition, l.full]).sort()).toEqual(Array.from({ length: PARTITIONS }, (_, q) => [q, true]));
  expect(restored.map((l) => l.partition).sort()).toEqual(Array.from({ length: PARTITIONS }, (_, q) => q));
  for (const l of restored) expect(l.records).toBeGreaterThan(0);
  rmSync(stateDir, { recursive: true, force: true });
  p = start(env, TOPOLOGIES, stateDir);
  await finish(env, [p]);
});

/** The last committed `m/position` record of each changelog partition (none is open: the processor has stopped). */
async function lastPositions(env: ProcessorEnv): Promise<Map<number, Record<string, unknown>>> {
  const positions = new Map<number, Record<string, unknown>>();
  for (const { partition, high } of await env.admin.fetchTopicOffsets(env.topics.changelog)) {
    await readPartition(env.kafka, env.admin, {
      topic: env.topics.changelog, partition, from: '0', end: high, groupPrefix: `${env.group}.positions`,
      onBatch: (messages) => {
        for (const m of messages) if (m.key?.toString() === POSITION_KEY && m.value !== null) positions.set(partition, JSON.parse(m.value.toString()) as Record<string, unknown>);
        return Promise.resolve();
      },
    });
  }
  return positions;
}

/**
 * On every changelog partition, two transactions of two producers (a zombie's and a new owner's), aborted in the
 * other order than they began, each writing a position that says all the input is processed. A restore that read
 * one of them back would skip the rest of the input.
 */
async function abortOverlappingTransactions(env: ProcessorEnv): Promise<void> {
  const [events, traits] = await Promise.all([env.topics.events, env.topics.traits].map((t) => env.admin.fetchTopicOffsets(t)));
  const producers = [0, 1].map(() => env.kafka.producer({ transactionalId: `${env.group}.zombie.${randomUUID()}`, idempotent: true, maxInFlightRequests: 1 }));
  for (const producer of producers) await producer.connect();
  const [a, b] = producers as [Producer, Producer];
  for (const [partition, position] of await lastPositions(env)) {
    const highOf = (offsets: typeof events) => offsets?.find((o) => o.partition === partition)?.high ?? '0';
    const allDone = JSON.stringify({ ...position, offsets: { [env.topics.events]: highOf(events), [env.topics.traits]: highOf(traits) } });
    const record = { key: POSITION_KEY, value: allDone, partition };
    const [ta, tb] = [await a.transaction(), await b.transaction()];
    await ta.send({ topic: env.topics.changelog, messages: [record] });
    await tb.send({ topic: env.topics.changelog, messages: [record] });
    await ta.send({ topic: env.topics.changelog, messages: [record] });
    await tb.abort();
    await ta.abort();
  }
  for (const producer of producers) await producer.disconnect();
}

faultTest("aborted changelog records never become state: two producers' overlapping aborted transactions, then a restore: still equal", async () => {
  const { env, stateDir } = await stoppedThenDiskLost('aborted');
  await abortOverlappingTransactions(env);
  await finish(env, [start(env, TOPOLOGIES, stateDir)]);
});

faultTest('killed during its restore, twice: the next start restores again from scratch: still equal', async () => {
  const { env, stateDir } = await stoppedThenDiskLost('restore-kill');
  const rnd = prng(7);
  // First at the moment a partition starts restoring, then a random moment into the restore: each time the store
  // holds part of the changelog and no position (it is written last), so the next start must not trust it.
  for (const delay of [0, 50 + Math.floor(rnd() * 300)]) {
    const killed = start(env, TOPOLOGIES, stateDir, [], 'info');
    await whenLogged(killed, '"msg":"restoring state from the changelog"');
    if (delay > 0) await sleep(delay);
    killed.child.kill('SIGKILL');
    expect(await killed.exited).toBeNull();
    if (delay === 0) expect(restoredPartitions(killed)).toBeLessThan(PARTITIONS);
  }
  const p = start(env, TOPOLOGIES, stateDir, [], 'info');
  await waitRestored(p);
  // The last start found partial stores and restored every partition in full.
  const restoring = logLines(p).filter((l) => l.msg === 'restoring state from the changelog');
  expect(restoring.map((l) => [l.partition, l.full]).sort()).toEqual(Array.from({ length: PARTITIONS }, (_, q) => [q, true]));
  await finish(env, [p]);
});

faultTest('SIGTERM mid-run: the offsets committed never have one input ahead of the other (merge order)', async () => {
  // The timestamps of each input partition, as the producer partitioned them.
  const partitioner = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: PARTITIONS }, (_, p) => ({ partitionId: p, leader: 0, replicas: [0], isr: [0], partitionErrorCode: 0 }));
  const times = new Map<string, number[]>();
  for (const m of workload.messages) {
    const p = partitioner({ topic: '', partitionMetadata, message: { key: m.userId as string, value: null } });
    const key = `${m.type === 'identify' ? 'traits' : 'events'}-${p}`;
    let list = times.get(key);
    if (list === undefined) times.set(key, (list = []));
    list.push(parseTimestamp(m.timestamp as string) as number);
  }
  const problems: string[] = [];
  // A stop used to finish its batch by draining whichever input still had records buffered.
  for (let run = 0; run < 3; run++) {
    const env = await freshEnv();
    const p = start(env, TOPOLOGIES, join(env.stateRoot, 'stopped'));
    await waitProgress(env, total(), 0.3 + run * 0.1);
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
    const committed = await env.admin.fetchOffsets({ groupId: env.group, topics: [env.topics.events, env.topics.traits] });
    const offset = (topic: string, q: number) => Math.max(0, Number(committed.find((c) => c.topic === topic)?.partitions.find((x) => x.partition === q)?.offset ?? -1));
    for (let q = 0; q < PARTITIONS; q++) {
      const [e, t] = [offset(env.topics.events, q), offset(env.topics.traits, q)];
      const [events, traits] = [times.get(`events-${q}`) ?? [], times.get(`traits-${q}`) ?? []];
      // Traits first at equal timestamps: a trait taken must not be later than the next event, an event taken
      // must be earlier than the next trait.
      const [lastTrait, nextEvent, lastEvent, nextTrait] = [traits[t - 1], events[e], events[e - 1], traits[t]];
      if (lastTrait !== undefined && nextEvent !== undefined && lastTrait > nextEvent) problems.push(`run ${run}, partition ${q}: trait #${t - 1} taken before event #${e}`);
      if (lastEvent !== undefined && nextTrait !== undefined && lastEvent >= nextTrait) problems.push(`run ${run}, partition ${q}: event #${e - 1} taken before trait #${t}`);
    }
    await env.close();
  }
  expect(problems).toEqual([]);
});

faultTest('broker restart mid-run: still equal', async () => {
  const env = await freshEnv();
  const p = start(env, TOPOLOGIES, join(env.stateRoot, 'broker'));
  await waitProgress(env, total(), 0.3);
  await restartBroker();
  await finish(env, [p]);
});
