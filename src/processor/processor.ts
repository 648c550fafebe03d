// `journeys process`: one consumer group over the events and traits topics, partition numbers assigned
// whole (events-p with traits-p) to members, and a PartitionTask per assigned partition number. Tasks come
// and go with rebalances; their batches are committed by the process's one transactional producer, fenced by
// the group's generation (src/kafka/shared-transactions.ts).
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { Kafka, logLevel, type Admin, type Consumer } from 'kafkajs';
import { avroDeadLetterEncoder, jsonDeadLetterEncoder } from '../codecs/dead-letter-codec';
import { avroTransitionEncoder, jsonTransitionEncoder, type TransitionsFormat } from '../codecs/transition-codec';
import type { Definitions } from '../definitions/model';
import { Engine, type EngineOptions } from '../engine/engine';
import { ErrorCodes, JourneyError } from '../errors';
import { MAX_MESSAGE_BYTES, MessageDecoder } from '../ingest/decode';
import { checkChangelogCompacted } from '../kafka/admin-topics';
import { SharedTransactions, type GroupMember } from '../kafka/shared-transactions';
import type { TopicNames } from '../kafka/topics';
import { createLogger, kafkaLogCreator, type Logger } from '../observability/logger';
import { startMetricsServer, type MetricsServer } from '../observability/metrics-server';
import { ProcessorMetrics } from '../observability/processor-metrics';
import { coPartitionedAssigner } from './assigner';
import { PartitionTask, type ClockMode, type TaskContext } from './task';

export interface ProcessorOptions {
  definitions: Definitions;
  brokers: string[];
  registryUrl: string | null;
  stateDir: string;
  group: string;
  topics: TopicNames;
  clock: ClockMode;
  transitionsFormat: TransitionsFormat;
  /** `/metrics` and `/healthz` port (0: any free port; null: none). */
  metricsPort: number | null;
  maxBatch?: number;
  /** Bytes of transition records per transaction past which a batch takes no more (default 64 MiB). */
  maxBatchBytes?: number;
  /** Users kept in memory per partition after their batch (default 2,000). */
  cachedUsers?: number;
  /** Wait for a caught-up input with nothing buffered before taking the other's records (default 0). */
  maxIdleMs?: number;
  /** After this long waiting for an input that reports records still to fetch, check its last stable offset (default 10 s). */
  lagWaitMs?: number;
  maxMessageBytes?: number;
  engine?: Partial<EngineOptions>;
  clientId?: string;
  sessionTimeoutMs?: number;
}

export class Processor {
  readonly tasks = new Map<number, PartitionTask>();
  private readonly stopping = new Map<number, Promise<void>>();
  private metricsServer: MetricsServer | undefined;
  private stopped = false;
  /** The consumer's member id and generation since its last join: every transaction's offsets commit carries them. */
  private member: GroupMember | null = null;

  private constructor(
    private consumer: Consumer,
    private readonly admin: Admin,
    private readonly ctx: TaskContext,
    readonly metrics: ProcessorMetrics,
    private readonly log: Logger,
  ) {}

  static async start(o: ProcessorOptions): Promise<Processor> {
    const log = createLogger({ bindings: { component: 'processor', group: o.group } });
    log.info({ brokers: o.brokers, stateDir: o.stateDir, clock: o.clock }, 'processor starting');
    requireGroupFencing();
    const kafka = partitionTaskKafka(o.brokers, o.clientId ?? `journeys-processor-${process.pid}`, log);
    const admin = kafka.admin();
    await admin.connect();
    let processor: Processor | undefined;
    try {
      await checkTopics(admin, o.topics);

      const { decoder, transitionEncoder, encodeDeadLetter } = await codecsFor(o);

      const sessionTimeout = o.sessionTimeoutMs ?? 10_000;
      const consumerOptions = {
        groupId: o.group, partitionAssigners: [coPartitionedAssigner], readUncommitted: false,
        sessionTimeout, heartbeatInterval: Math.max(500, Math.floor(sessionTimeout / 5)), rebalanceTimeout: 30_000,
        maxWaitTimeInMs: 100, maxBytesPerPartition: 4 << 20,
      };
      const consumer = kafka.consumer(consumerOptions);
      const metrics = new ProcessorMetrics();
      const transactions = new SharedTransactions({
        kafka, group: o.group, log, transactionalId: `${o.group}.processor.${await processInstanceId(o.stateDir)}`,
        member: () => (processor as Processor).member,
        owns: (owner) => owner instanceof PartitionTask && (processor as Processor).tasks.get(owner.partition) === owner,
      });
      const ctx: TaskContext = {
        kafka, admin, consumer, transactions, group: o.group, topics: o.topics, engineFor: (liveSince, earlier) => new Engine(o.definitions, o.engine ?? {}, liveSince, earlier), definitions: o.definitions,
        decoder, transitionEncoder, encodeDeadLetter,
        stateDir: o.stateDir, clock: o.clock, metrics, log, maxBatch: o.maxBatch ?? 2000, maxBatchBytes: o.maxBatchBytes, cachedUsers: o.cachedUsers ?? 2000, maxIdleMs: o.maxIdleMs ?? 0, lagWaitMs: o.lagWaitMs ?? 10_000,
        wallNow: () => Date.now(),
        partitionsHeld: () => (processor as Processor).tasks.size,
      };
      processor = new Processor(consumer, admin, ctx, metrics, log);
      processor.consumerOptions = consumerOptions;
      if (o.metricsPort !== null) processor.metricsServer = await startMetricsServer({
        registry: metrics.registry, port: o.metricsPort, health: () => ({ ok: !(processor as Processor).stopped, details: { partitions: (processor as Processor).assigned() } }),
      });

      processor.topicsOf = o.topics;
      await processor.runConsumer(consumer);
      log.info({ topics: o.topics, clock: o.clock, metricsPort: processor.metricsPort }, 'processor started');
      return processor;
    } catch (err) {
      // A processor that refuses to start (topics missing or not co-partitioned...) leaves nothing connected,
      // so the process exits with the error rather than idling.
      if (processor !== undefined) await processor.stop().catch(() => undefined);
      else await admin.disconnect().catch(() => undefined);
      throw err;
    }
  }

  private topicsOf!: TopicNames;
  private consumerOptions!: Parameters<Kafka['consumer']>[0];

  /** Wires the consumer to the tasks and runs it. */
  private async runConsumer(consumer: Consumer): Promise<void> {
    const topics = this.topicsOf;
    this.consumer = consumer;
    this.ctx.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      // The generation is in the payload with kafkajs as patched here (patches/); without it, no fencing by generation.
      const { memberId, generationId } = e.payload as typeof e.payload & { generationId?: number };
      if (typeof generationId !== 'number') this.log.error('the consumer did not tell its group generation (kafkajs not patched?): transactions are not fenced by it');
      const previous = this.member;
      this.member = typeof generationId === 'number' ? { memberId, generationId } : null;
      // A task is kept only from the generation right before, as the same member: then nobody else can have owned its
      // partition meanwhile. After a gap (this member was dropped, or a new consumer joined) another member may have
      // committed batches of it since: every task starts again from the changelog.
      const continuous = previous !== null && this.member !== null && previous.memberId === memberId && this.member.generationId === previous.generationId + 1;
      if (!continuous && this.tasks.size > 0) {
        this.log.info({ previous, member: this.member }, 'group generations were missed: partition tasks start again from the changelog');
        this.reconcile([]);
      }
      this.reconcile(e.payload.memberAssignment[topics.events] ?? []);
    });
    // Batches of only transaction markers (or aborted records) never reach eachBatch: move the position anyway.
    consumer.on(consumer.events.END_BATCH_PROCESS, (e) => {
      const b = e.payload;
      if (b.batchSize !== 0 || b.firstOffset === null) return;
      const side = b.topic === topics.events ? 'events' : 'traits';
      this.tasks.get(b.partition)?.accept(side, [], b.firstOffset, b.lastOffset, b.highWatermark);
    });
    // kafkajs restarts its consumer after retriable errors by itself; after any other it stays down: start anew.
    consumer.on(consumer.events.CRASH, (e) => {
      if (e.payload.restart || this.stopped) return;
      this.log.error({ err: e.payload.error }, 'consumer crashed; starting a new one');
      void this.replaceConsumer();
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [topics.events, topics.traits], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: true,
      eachBatch: ({ batch }) => {
        const side = batch.topic === topics.events ? 'events' : 'traits';
        // Only to a task of the current assignment (tasks are made by reconcile alone): kafkajs can hand over a batch
        // fetched before a rebalance took its partition away (tulios/kafkajs#1046). A task made for it would restore,
        // process and commit, under this member's valid generation, a partition another member owns.
        this.tasks.get(batch.partition)?.accept(side, batch.messages, batch.firstOffset() ?? batch.lastOffset(), batch.lastOffset(), batch.highWatermark);
        return Promise.resolve();
      },
    });
  }

  private async replaceConsumer(): Promise<void> {
    for (;;) {
      try {
        this.reconcile([]);
        await Promise.all(this.stopping.values());
        await this.consumer.disconnect().catch(() => undefined);
        if (this.stopped) return;
        await this.runConsumer(this.ctx.kafka.consumer(this.consumerOptions));
        return;
      } catch (err) {
        this.log.error({ err }, 'could not start a new consumer; trying again');
        await sleep(2000);
      }
    }
  }

  get metricsPort(): number | null {
    return this.metricsServer?.port ?? null;
  }

  /** Partitions this processor owns now. */
  assigned(): number[] {
    return [...this.tasks.keys()].sort((a, b) => a - b);
  }

  private task(partition: number): PartitionTask {
    let task = this.tasks.get(partition);
    if (task === undefined) {
      task = new PartitionTask(partition, this.ctx);
      this.tasks.set(partition, task);
      const previous = this.stopping.get(partition) ?? Promise.resolve();
      const t = task;
      // A task for the same partition starts only once the previous one has closed its store.
      void previous.then(() => t.start());
    }
    return task;
  }

  private reconcile(partitions: number[]): void {
    const wanted = new Set(partitions);
    for (const [p, task] of this.tasks) {
      if (wanted.has(p)) continue;
      this.tasks.delete(p);
      const done = task.stop().finally(() => {
        if (this.stopping.get(p) === done) this.stopping.delete(p);
      });
      this.stopping.set(p, done);
    }
    for (const p of partitions) this.task(p);
    this.metrics.partitions.set(this.tasks.size);
    this.log.info({ partitions }, 'partitions assigned');
  }

  /** SIGTERM: stop fetching, finish and commit the batches in progress, close stores, leave the group. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    // Fetching stops but the member stays in the group until the tasks have committed: a commit after leaving would
    // be refused (its member is unknown), and the batch done again by the next owner.
    this.consumer.pause([{ topic: this.topicsOf.events }, { topic: this.topicsOf.traits }]);
    // Tasks finish and commit their batch in progress; one stuck on an unreachable broker is left behind after
    // 30 s (its open transaction is aborted by the broker, so nothing is lost or repeated).
    const stopped = Promise.all([...[...this.tasks.values()].map((t) => t.stop()), ...this.stopping.values()]).then(() => this.ctx.transactions.close());
    // An unref'd timer: it keeps no process alive once the tasks have stopped.
    const late = sleep(30_000, 'late' as const, { ref: false });
    if ((await Promise.race([stopped, late])) === 'late') this.log.warn('partition tasks did not stop within 30 s; leaving them');
    this.tasks.clear();
    await this.consumer.stop();
    await this.consumer.disconnect();
    await this.admin.disconnect();
    await this.metricsServer?.close();
    this.log.info('processor stopped');
  }
}

/**
 * The process's own id, kept in its state dir: its transactional id, so that a process restarted on the same state
 * dir after a crash aborts the transaction it left open at once (another waits for the broker's transaction timeout).
 */
async function processInstanceId(stateDir: string): Promise<string> {
  const file = join(stateDir, 'processor-id');
  try {
    const id = (await readFile(file, 'utf8')).trim();
    if (/^[0-9a-f-]{36}$/.test(id)) return id;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const id = randomUUID();
  await mkdir(stateDir, { recursive: true });
  await writeFile(file, `${id}\n`);
  return id;
}

/**
 * The processors' exactly-once rests on kafkajs as patched at install (patches/): TxnOffsetCommit v3, which carries the
 * member and generation the group coordinator fences with. Without it, refuse to start rather than run unfenced.
 */
function requireGroupFencing(): void {
  const v3 = join(dirname(require.resolve('kafkajs/package.json')), 'src', 'protocol', 'requests', 'txnOffsetCommit', 'v3', 'request.js');
  if (!existsSync(v3)) {
    throw new JourneyError(ErrorCodes.INVALID_CONFIG, 'kafkajs is not patched (TxnOffsetCommit v3 missing): run `npm ci` or `npx patch-package` in the project before starting a processor');
  }
}

/** The Kafka client of partition tasks (a processor's, a replay's): transactions back to back. */
export function partitionTaskKafka(brokers: string[], clientId: string, log: Logger): Kafka {
  return new Kafka({
    clientId, brokers, logLevel: logLevel.WARN, logCreator: kafkaLogCreator(log),
    // A short first retry: right after a commit the next transaction's first request often gets CONCURRENT_TRANSACTIONS
    // while the markers are written (the Java client waits 20 ms there); 200 ms added ~250 ms to the p99 latency.
    retry: { initialRetryTime: 20, retries: 15 },
  });
}

/** The input decoder and the output encoders, with the schema registry when there is one. */
export async function codecsFor(o: Pick<ProcessorOptions, 'registryUrl' | 'transitionsFormat' | 'topics' | 'maxMessageBytes'>): Promise<Pick<TaskContext, 'decoder' | 'transitionEncoder' | 'encodeDeadLetter'>> {
  const registry = o.registryUrl === null ? null : new SchemaRegistry({ host: o.registryUrl });
  if (o.transitionsFormat === 'avro' && registry === null) throw new JourneyError(ErrorCodes.INVALID_CONFIG, '--transitions-format avro needs a schema registry (--registry)');
  return {
    decoder: new MessageDecoder(registry, o.maxMessageBytes ?? MAX_MESSAGE_BYTES),
    transitionEncoder: o.transitionsFormat === 'avro' && registry !== null ? await avroTransitionEncoder(registry, `${o.topics.transitions}-value`) : jsonTransitionEncoder,
    encodeDeadLetter: registry === null ? jsonDeadLetterEncoder : await avroDeadLetterEncoder(registry, `${o.topics.dlq}-value`),
  };
}

/** Events and traits must be co-partitioned, and the changelog partitioned like them. Returns their partition count. */
export async function checkTopics(admin: Admin, topics: TopicNames): Promise<number> {
  const names = [topics.events, topics.traits, topics.changelog, topics.transitions, topics.dlq];
  const existing = new Set(await admin.listTopics());
  const missing = names.filter((n) => !existing.has(n));
  if (missing.length > 0) {
    throw new JourneyError(ErrorCodes.INFRA, `missing topics: ${missing.join(', ')} (create them with: journeys topics create --partitions N)`);
  }
  const meta = await admin.fetchTopicMetadata({ topics: [topics.events, topics.traits, topics.changelog] });
  const count = (t: string) => meta.topics.find((m) => m.name === t)?.partitions.length ?? 0;
  const [e, t, c] = [count(topics.events), count(topics.traits), count(topics.changelog)];
  if (e !== t) {
    throw new JourneyError(ErrorCodes.COPARTITION, `${topics.events} has ${e} partitions but ${topics.traits} has ${t}: they must be co-partitioned (same count, same partitioner, keyed by userId)`);
  }
  if (c !== e) {
    throw new JourneyError(ErrorCodes.COPARTITION, `${topics.changelog} has ${c} partitions but the inputs have ${e}: the changelog must be partitioned like the inputs`);
  }
  await checkChangelogCompacted(admin, topics.changelog);
  return e;
}
