// Helpers for processor tests against the real broker: unique topics, producing a workload, running
// `journeys process` (as a child process that can be killed with SIGKILL), waiting until it has consumed
// everything, reading the transitions topic completely, and the expected records from the simulator.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Kafka, Admin, Producer, KafkaMessage } from 'kafkajs';
import { TransitionDecoder } from '../../src/codecs/transition-codec';
import type { Definitions, Json } from '../../src/definitions/model';
import { Simulator } from '../../src/engine/simulator';
import type { Transition } from '../../src/engine/transition';
import { parseMessage } from '../../src/ingest/message';
import { createTopics } from '../../src/kafka/admin-topics';
import { brokerList } from '../../src/kafka/infra-state';
import { topicNames, type TopicNames } from '../../src/kafka/topics';
import { parseTimestamp } from '../../src/lib/time';
import { Processor, type ProcessorOptions } from '../../src/processor/processor';
import { connectedAdmin, connectedProducer, infra, kafkaClient, schemaRegistry, uniqueName } from './kafka';

export const ROOT = resolve(__dirname, '..', '..');

export interface ProcessorEnv {
  group: string;
  topics: TopicNames;
  partitions: number;
  kafka: Kafka;
  admin: Admin;
  producer: Producer;
  /** The cluster's bootstrap addresses: the test broker's, unless the env was made on another cluster. */
  brokers: string[];
  /** Parent of the processors' state dirs. */
  stateRoot: string;
  close(): Promise<void>;
}

export async function processorEnv(partitions: number, definitions: Definitions | null, options: { brokers?: string[] } = {}): Promise<ProcessorEnv> {
  const group = uniqueName('jp');
  const topics = topicNames({ group, events: `${group}.events`, traits: `${group}.traits`, transitions: `${group}.transitions`, dlq: `${group}.dlq`, dlqPrefix: `${group}.dlq.` });
  const brokers = options.brokers ?? brokerList(infra());
  const kafka = kafkaClient({ brokers });
  const admin = await connectedAdmin(kafka);
  await createTopics(admin, schemaRegistry(), topics, { partitions, replicationFactor: 1, definitions });
  const env: ProcessorEnv = {
    group, topics, partitions, kafka, admin, producer: await connectedProducer(kafka), brokers, stateRoot: mkdtempSync(join(tmpdir(), 'journeys-state-')),
    close: async () => {
      // The env's producer of now: remakeTopics replaces it (closing the first one left the new one's socket open).
      await env.producer.disconnect();
      await admin.disconnect();
      rmSync(env.stateRoot, { recursive: true, force: true });
    },
  };
  return env;
}

/**
 * Resets the environment as a user resetting theirs would: the env's topics and its group deleted and made again
 * under the same names (empty), a new producer (an idempotent producer's sequences belong to the old partitions).
 */
export async function remakeTopics(env: ProcessorEnv, definitions: Definitions | null): Promise<void> {
  const mine = (names: string[]) => names.filter((t) => t.startsWith(`${env.group}.`));
  await env.producer.disconnect();
  await env.admin.deleteGroups([env.group]);
  await env.admin.deleteTopics({ topics: mine(await env.admin.listTopics()) });
  while (mine(await env.admin.listTopics()).length > 0) await sleep(200);
  // A topic just deleted can still be on its way out (TOPIC_ALREADY_EXISTS, "marked for deletion") for a moment.
  await retried(() => createTopics(env.admin, schemaRegistry(), env.topics, { partitions: env.partitions, replicationFactor: 1, definitions }), () => true);
  env.producer = await connectedProducer(env.kafka);
}

/** `fn()`, tried again every 250 ms (for up to 10 s) while it fails with an error `shouldRetry` accepts. */
async function retried<T>(fn: () => Promise<T>, shouldRetry: (err: unknown) => boolean): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= 40 || !shouldRetry(err)) throw err;
      await sleep(250);
    }
  }
}

/** The topic flags for `journeys process` matching the env. */
export function topicFlags(env: ProcessorEnv): string[] {
  const t = env.topics;
  return ['--group', env.group, '--events-topic', t.events, '--traits-topic', t.traits, '--transitions-topic', t.transitions, '--dlq-topic', t.dlq, '--changelog-topic', t.changelog];
}

/**
 * `journeys process` in this process, for its metrics and the options the command line does not have: the env's
 * group and topics, the event clock, JSON transitions and metrics on a free port unless `options` say otherwise.
 */
export function startInProcess(env: ProcessorEnv, definitions: Definitions, stateDir: string, options: Partial<ProcessorOptions> = {}): Promise<Processor> {
  return Processor.start({
    definitions, brokers: env.brokers, registryUrl: infra().registryUrl, stateDir, group: env.group, topics: env.topics,
    clock: 'event', transitionsFormat: 'json', metricsPort: 0, ...options,
  });
}

/**
 * Produces messages keyed by userId: identify to traits, everything else to events (JSON values). Checks that
 * the topics grew by exactly the messages sent: a record written twice is input `journeys simulate` never sees.
 */
export async function produceMessages(env: ProcessorEnv, messages: Record<string, Json>[], chunk = 2000): Promise<void> {
  const inputs = [env.topics.events, env.topics.traits];
  const before = await Promise.all(inputs.map((t) => recordsIn(env.admin, t)));
  for (let i = 0; i < messages.length; i += chunk) {
    const part = messages.slice(i, i + chunk);
    const events = part.filter((m) => m.type !== 'identify');
    const traits = part.filter((m) => m.type === 'identify');
    const toRecord = (m: Record<string, Json>) => ({ key: typeof m.userId === 'string' ? m.userId : null, value: JSON.stringify(m) });
    await env.producer.sendBatch({
      topicMessages: [
        { topic: env.topics.events, messages: events.map(toRecord) },
        { topic: env.topics.traits, messages: traits.map(toRecord) },
      ].filter((t) => t.messages.length > 0),
    });
  }
  const after = await Promise.all(inputs.map((t) => recordsIn(env.admin, t)));
  const traits = messages.filter((m) => m.type === 'identify').length;
  const written = { events: (after[0] ?? 0) - (before[0] ?? 0), traits: (after[1] ?? 0) - (before[1] ?? 0) };
  if (written.events !== messages.length - traits || written.traits !== traits) {
    throw new Error(`input written ${JSON.stringify(written)} records, sent ${JSON.stringify({ events: messages.length - traits, traits })}`);
  }
}

/** The sum of a topic's partitions' end offsets (its records, for a topic written without transactions). */
async function recordsIn(admin: Admin, topic: string): Promise<number> {
  // Right after topic creation the broker may not lead the partitions yet (NOT_LEADER_OR_FOLLOWER, retriable):
  // the very error that made a plain producer write a batch twice.
  const offsets = await retried(() => admin.fetchTopicOffsets(topic), (err) => (err as { retriable?: boolean }).retriable === true);
  return offsets.reduce((n, p) => n + Number(p.high), 0);
}

/** One message without userId in every partition at `iso`: moves each partition's event clock there (spec §3). */
export async function produceClockTicks(env: ProcessorEnv, iso: string): Promise<void> {
  const messages = Array.from({ length: env.partitions }, (_, partition) => ({
    partition, key: null, value: JSON.stringify({ type: 'track', event: 'Clock Tick', timestamp: iso }),
  }));
  await env.producer.send({ topic: env.topics.events, messages });
}

export interface ProcessorProcess {
  child: ChildProcess;
  /** Exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  output(): string;
}

/** Runs the built CLI `journeys process` as a child process. */
export function startProcessor(env: ProcessorEnv, topologies: string, stateDir: string, extra: string[] = [], logLevel = process.env.JOURNEYS_TEST_LOG_LEVEL ?? 'warn'): ProcessorProcess {
  return startJourneys('process', env, topologies, stateDir, extra, logLevel);
}

/** Runs a built CLI command of the processor's (`process`, `replay`) on the env's topics, with the event clock. */
export function startJourneys(command: 'process' | 'replay', env: ProcessorEnv, topologies: string, stateDir: string, extra: string[] = [], logLevel = process.env.JOURNEYS_TEST_LOG_LEVEL ?? 'warn'): ProcessorProcess {
  const { bootstrap, registryUrl } = infra();
  const args = [join(ROOT, 'bin', 'journeys.js'), command, '--topologies', topologies, '--state-dir', stateDir,
    '--bootstrap', bootstrap, '--registry', registryUrl, '--clock', 'event', ...topicFlags(env), ...extra];
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, JOURNEYS_LOG_LEVEL: logLevel }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.length > 200_000) out = out.slice(-100_000);
  });
  // JOURNEYS_TEST_LOG_DIR keeps each processor's whole output for a look after the run.
  const logDir = process.env.JOURNEYS_TEST_LOG_DIR;
  if (logDir !== undefined) {
    const file = createWriteStream(join(logDir, `${command}-${Date.now()}-${child.pid ?? 0}.log`));
    child.stdout?.pipe(file);
    child.stderr?.pipe(file);
  }
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  return { child, exited, output: () => out };
}

/** Resolves as soon as the processor logs `text` (or rejects if it exits first). */
export function whenLogged(p: ProcessorProcess, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (p.output().includes(text)) return resolve();
    const onData = (): void => {
      if (!p.output().includes(text)) return;
      p.child.stdout?.off('data', onData);
      p.child.stderr?.off('data', onData);
      resolve();
    };
    // Registered after the helper's own listeners, so output() already holds the chunk.
    p.child.stdout?.on('data', onData);
    p.child.stderr?.on('data', onData);
    void p.exited.then((code) => reject(new Error(`processor exited (${code}) before logging "${text}":\n${p.output().slice(-4000)}`)));
  });
}

/**
 * Total input records not yet committed by the processor group (retried while the broker is unreachable, unless
 * `signal` says the caller has given up).
 */
export async function inputLag(env: ProcessorEnv, signal?: AbortSignal): Promise<number> {
  for (;;) {
    try {
      return await inputLagOnce(env);
    } catch (err) {
      if (signal?.aborted === true) throw err;
      await sleep(500);
    }
  }
}

async function inputLagOnce(env: ProcessorEnv): Promise<number> {
  const inputs = [env.topics.events, env.topics.traits];
  const committed = await env.admin.fetchOffsets({ groupId: env.group, topics: inputs });
  let lag = 0;
  for (const topic of inputs) {
    const ends = await env.admin.fetchTopicOffsets(topic);
    for (const end of ends) {
      const c = committed.find((x) => x.topic === topic)?.partitions.find((p) => p.partition === end.partition)?.offset ?? '-1';
      lag += Number(end.high) - Math.max(Number(c), Number(end.low));
    }
  }
  return lag;
}

/** Waits until the processors' group is stable with this many members (a member has joined, its rebalance is done). */
export async function waitMembers(env: ProcessorEnv, members: number): Promise<void> {
  for (;;) {
    const { groups } = await env.admin.describeGroups([env.group]).catch(() => ({ groups: [] }));
    const group = groups[0];
    if (group?.state === 'Stable' && group.members.length === members) return;
    await sleep(250);
  }
}

/**
 * Runs a processor on `topologies` until it has read everything (after `produce`, which may write more input),
 * then stops it with SIGTERM; fails unless it exits 0. Returns its output.
 */
export async function runCaughtUp(env: ProcessorEnv, topologies: string, stateDir: string, produce: () => Promise<void> = () => Promise.resolve(), logLevel?: string): Promise<string> {
  const p = startProcessor(env, topologies, stateDir, [], logLevel);
  await produce();
  await waitCaughtUp(env);
  p.child.kill('SIGTERM');
  const code = await p.exited;
  if (code !== 0) throw new Error(`the processor exited with ${String(code)}, not 0:\n${p.output()}`);
  return p.output();
}

/**
 * Waits until this processor is a member of its group (its client id carries its pid): it has started, and a
 * SIGTERM now stops it cleanly rather than killing it before its handler is installed.
 */
export async function waitJoined(env: ProcessorEnv, p: ProcessorProcess, signal?: AbortSignal): Promise<void> {
  const clientId = `journeys-processor-${p.child.pid ?? 0}`;
  for (;;) {
    signal?.throwIfAborted();
    const { groups } = await env.admin.describeGroups([env.group]).catch(() => ({ groups: [] }));
    if (groups[0]?.members.some((m) => m.clientId === clientId)) return;
    await sleep(100);
  }
}

/** Waits until the group has committed every input record (the test's timeout bounds the wait). */
export async function waitCaughtUp(env: ProcessorEnv, onProgress?: (lag: number) => void, signal?: AbortSignal): Promise<void> {
  for (;;) {
    // A caller that gave up (its deadline passed) stops the polling, or it outlives the test and jest never exits.
    signal?.throwIfAborted();
    const lag = await inputLag(env, signal);
    onProgress?.(lag);
    if (lag === 0) return;
    await sleep(50);
  }
}

/**
 * Everything committed on the transitions topic: a sentinel record is written to every partition, then the
 * topic is read (read_committed) until every partition's sentinel has been seen. `headers` (optional) gets each
 * record's headers, by transition id.
 */
export async function readTransitions(env: ProcessorEnv, headers?: Map<string, Record<string, string>>): Promise<Transition[]> {
  const decoder = new TransitionDecoder(schemaRegistry());
  const out: Transition[] = [];
  await readCommitted(env, env.topics.transitions, env.partitions, async (m) => {
    const t = await decoder.decode(m.value as Buffer);
    out.push(t);
    headers?.set(t.id, Object.fromEntries(Object.entries(m.headers ?? {}).map(([k, v]) => [k, String(v)])));
  });
  return out;
}

/** Everything committed on `topic` (of `partitions` partitions), read up to a sentinel written to each partition. */
export async function readCommitted(env: ProcessorEnv, topic: string, partitions: number, onRecord: (m: KafkaMessage) => Promise<void> | void): Promise<void> {
  const sentinel = uniqueName('sentinel');
  await env.producer.send({ topic, messages: Array.from({ length: partitions }, (_, partition) => ({ partition, key: 'sentinel', value: sentinel })) });
  const consumer = env.kafka.consumer({ groupId: uniqueName('jp-reader'), maxWaitTimeInMs: 100, maxBytes: 32 << 20 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const seen = new Set<number>();
  try {
    await new Promise<void>((res, rej) => {
      consumer.run({
        eachBatch: async ({ batch }) => {
          for (const m of batch.messages) {
            if (m.value === null) continue;
            // Sentinels of earlier reads are skipped: the topic may be read more than once.
            if (m.key?.toString() === 'sentinel') {
              if (m.value.toString() === sentinel) seen.add(batch.partition);
            } else {
              await onRecord(m);
            }
          }
          if (seen.size === partitions) res();
        },
      }).catch(rej);
    });
  } finally {
    await consumer.disconnect();
  }
}

/** What `journeys simulate` gives for the same messages, with the clock advanced to `until`. */
export function simulate(defs: Definitions, messages: Record<string, Json>[], until: string): Transition[] {
  const out: Transition[] = [];
  const sim = new Simulator(defs, {}, (t) => out.push(t));
  for (const raw of messages) {
    const parsed = parseMessage(raw);
    if (parsed.ok) sim.push(parsed.message);
  }
  sim.advanceTo(parseTimestamp(until) as number);
  return out;
}

export interface Comparison {
  missing: string[];
  extra: string[];
  duplicated: string[];
  /** `<expected JSON> != <actual JSON>` for records with the same id but other content. */
  different: string[];
}

/** Compares by id; every field must be equal. */
export function compareTransitions(actual: Transition[], expected: Transition[]): Comparison {
  const byId = new Map<string, Transition>();
  const duplicated: string[] = [];
  for (const t of actual) {
    if (byId.has(t.id)) duplicated.push(t.id);
    byId.set(t.id, t);
  }
  const expectedIds = new Set(expected.map((t) => t.id));
  const missing = expected.filter((t) => !byId.has(t.id)).map((t) => `${t.instance}#${t.seq} ${t.from ?? 'null'}→${t.to}`);
  const extra = actual.filter((t) => !expectedIds.has(t.id)).map((t) => `${t.instance}#${t.seq} ${t.from ?? 'null'}→${t.to}`);
  const different: string[] = [];
  for (const t of expected) {
    const a = byId.get(t.id);
    if (a === undefined) continue;
    const [ea, aa] = [JSON.stringify(canonical(t)), JSON.stringify(canonical(a))];
    if (ea !== aa) different.push(`${ea} != ${aa}`);
  }
  return { missing, extra, duplicated, different };
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, canonical((value as Record<string, unknown>)[k])]));
  }
  return value;
}
