// One destination's consumer: its own group (`<group>.sink.<destination>`) over the transitions topic, so a
// slow or failing destination never holds back another. For each fetched batch of a partition it decodes the
// records, routes each to the destination (src/sinks/router.ts), hands every message over at once (the
// connector batches and limits them), waits until all are acknowledged or dead-lettered, and only then
// resolves the batch's last offset, which kafkajs commits. A crash replays at most the unfinished batches:
// delivery is at least once, and every message keeps its id (the Idempotency-Key) on redelivery.
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { parseSentToHeader, SENT_TO_HEADER } from '../codecs/sent-to-header';
import type { TransitionDecoder } from '../codecs/transition-codec';
import type { DestinationFormat } from '../definitions/model';
import type { Transition } from '../engine/transition';
import { ErrorCodes, JourneyError } from '../errors';
import type { Logger } from '../observability/logger';
import type { DeadLetterWriter } from './dead-letter';
import { DLQ_HEADERS } from './dead-letter';
import type { DestinationDelivery } from './delivery';
import { route, type SendIndex } from './router';
import type { SinkSensors } from './sensors';

export interface WorkerOptions {
  kafka: Kafka;
  delivery: DestinationDelivery;
  format: DestinationFormat;
  dlq: DeadLetterWriter;
  decoder: TransitionDecoder;
  index: SendIndex;
  topic: string;
  groupId: string;
  /** Where a group without committed offsets starts. */
  fromBeginning: boolean;
  sessionTimeoutMs: number;
  /** Partitions processed at the same time (each one batch at a time). */
  partitionConcurrency: number;
  sensors: SinkSensors;
  logger: Logger;
  /** Called when the consumer stops for good after an error (kafkajs does not restart it). */
  onFatal?: (err: Error) => void;
}

export type WorkerState = 'starting' | 'running' | 'crashed' | 'stopped';

export class DestinationWorker {
  readonly destination: string;
  private consumer: Consumer | null = null;
  private stateValue: WorkerState = 'starting';
  private stopping: Promise<void> | null = null;
  private readonly logger: Logger;
  private readonly unknownSteps = new Set<string>();

  constructor(private readonly o: WorkerOptions) {
    this.destination = o.delivery.id;
    this.logger = o.logger.child({ destination: this.destination });
  }

  get state(): WorkerState {
    return this.stateValue;
  }

  async start(): Promise<void> {
    const heartbeatInterval = Math.max(100, Math.min(3000, Math.floor(this.o.sessionTimeoutMs / 6)));
    const consumer = this.o.kafka.consumer({
      groupId: this.o.groupId,
      sessionTimeout: this.o.sessionTimeoutMs,
      heartbeatInterval,
      rebalanceTimeout: Math.max(this.o.sessionTimeoutMs, 10_000),
      maxWaitTimeInMs: 250,
      readUncommitted: false,
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      this.stateValue = 'running';
      this.logger.info({ groupId: this.o.groupId, partitions: e.payload.memberAssignment[this.o.topic] ?? [] }, 'sink consumer joined');
    });
    consumer.on(consumer.events.CRASH, (e) => {
      this.logger.error({ err: e.payload.error, restart: e.payload.restart }, 'sink consumer crashed');
      if (!e.payload.restart && this.stopping === null) {
        this.stateValue = 'crashed';
        this.o.onFatal?.(e.payload.error);
      }
    });
    await consumer.connect();
    await consumer.subscribe({ topic: this.o.topic, fromBeginning: this.o.fromBeginning });
    await consumer.run({
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.o.partitionConcurrency,
      eachBatch: (payload) => this.onBatch(payload),
    });
  }

  /** Finishes the batches in flight, commits their offsets, leaves the group. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await this.consumer?.disconnect();
      this.stateValue = 'stopped';
    })();
    return this.stopping;
  }

  private async onBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const { topic, partition } = batch;
    const work: Promise<unknown>[] = [];
    let last: string | null = null;
    for (const record of batch.messages) {
      if (!payload.isRunning() || payload.isStale()) break;
      const source = { topic, partition, offset: record.offset };
      const before = last;
      last = record.offset;
      if (record.value === null) continue;
      let t: Transition;
      let routed: ReturnType<typeof route>;
      try {
        t = await this.o.decoder.decode(record.value);
        routed = route(t, { id: this.destination, format: this.o.format }, this.o.index, parseSentToHeader(record.headers?.[SENT_TO_HEADER]));
      } catch (err) {
        // The registry down is no fault of the record: the records before it are finished, and the batch is tried
        // again from it (kafkajs retries, then restarts the consumer).
        if (err instanceof JourneyError && err.code === ErrorCodes.INFRA) {
          await Promise.all(work);
          if (before !== null) payload.resolveOffset(before);
          throw err;
        }
        const reason = err instanceof Error ? err.message : String(err);
        this.logger.error({ err, source }, 'undecodable transition record, dead-lettered');
        work.push(this.deadLetterUndecodable(record.key, record.value, source, reason));
        continue;
      }
      for (const step of routed.unknownSteps) this.warnUnknownStep(t.journey, step);
      // Handed over in record order: the connector keeps each user's messages in that order.
      for (const message of routed.messages) work.push(this.o.delivery.deliver(message, source));
    }
    if (work.length > 0) {
      // Deliveries may take long (retries, Retry-After): keep the group membership alive meanwhile.
      const beat = setInterval(() => {
        payload.heartbeat().catch((err: unknown) => this.logger.debug({ err }, 'heartbeat during delivery failed'));
      }, 1000);
      try {
        await Promise.all(work);
      } finally {
        clearInterval(beat);
      }
    }
    if (last !== null) payload.resolveOffset(last);
  }

  private async deadLetterUndecodable(key: Buffer | null, value: Buffer, source: { topic: string; partition: number; offset: string }, reason: string): Promise<void> {
    await this.o.dlq.write({
      destination: this.destination,
      topic: this.o.delivery.dlqTopic,
      key,
      value,
      headers: {
        [DLQ_HEADERS.destination]: this.destination,
        [DLQ_HEADERS.errorCode]: ErrorCodes.UNDECODABLE_MESSAGE,
        [DLQ_HEADERS.reason]: reason,
        [DLQ_HEADERS.attempts]: '0',
        [DLQ_HEADERS.failedAt]: new Date().toISOString(),
        [DLQ_HEADERS.sourceTopic]: source.topic,
        [DLQ_HEADERS.sourcePartition]: String(source.partition),
        [DLQ_HEADERS.sourceOffset]: source.offset,
      },
    });
    this.o.sensors.deadLettered(this.destination, 1);
  }

  private warnUnknownStep(journey: string, step: string): void {
    const key = `${journey}/${step}`;
    if (this.unknownSteps.has(key)) return;
    this.unknownSteps.add(key);
    this.logger.warn({ journey, step }, 'an $exit record names a send step its journeys-sent-to header (or, without one, the loaded definitions) lacks: its destinations are not told the user left');
  }
}
