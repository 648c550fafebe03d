// The kafka connector (spec §6): produces each message to the destination's topic, keyed by userId, the
// message id in the `journeys-transition-id` header; value: the message as JSON. Idempotent producer,
// acks=all, one produce request in flight (so a retry never reorders). Retriable broker errors (not enough
// replicas, leader moves, timeouts: kafkajs retries a few times itself first) are tried again up to
// `maxAttempts` in all with backoff and full jitter; a non-retriable one (authorization, invalid record, a
// message too large by itself) refuses the delivery at once. Requests stay under the broker's default size
// limit, and one the topic's own limit refuses is sent again in halves.
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel, type Message, type Producer } from 'kafkajs';
import { chunkBySize } from '../../kafka/eos';
import type { Destination } from '../../definitions/model';
import { ErrorCodes, JourneyError } from '../../errors';
import { kafkaLogCreator } from '../../observability/logger';
import { Batcher } from '../batcher';
import { backoffMs, sendInHalvesWhileTooLarge } from '../retry';
import type { Connector, ConnectorDeps, DeliveryResult, OutMessage } from '../types';

export type KafkaDestination = Extract<Destination, { type: 'kafka' }>;

export const TRANSITION_ID_HEADER = 'journeys-transition-id';

export interface KafkaConnectorOptions {
  /** Attempts in all (default 5). */
  maxAttempts: number;
  /** Broker acknowledgement timeout per produce request (default 30 s). */
  timeoutMs: number;
  /** Retries kafkajs makes inside one attempt (default 2). */
  clientRetries: number;
  /** Messages per produce request at most (default 500). */
  maxBatch: number;
}

export const KAFKA_CONNECTOR_DEFAULTS: KafkaConnectorOptions = { maxAttempts: 5, timeoutMs: 30_000, clientRetries: 2, maxBatch: 500 };

interface Pending {
  message: OutMessage;
  resolve: (result: DeliveryResult) => void;
}

interface ErrorLike {
  name?: unknown;
  message?: unknown;
  retriable?: unknown;
  type?: unknown;
  cause?: unknown;
  originalError?: unknown;
}

/** kafkajs errors, innermost last. */
function chain(err: unknown): ErrorLike[] {
  const out: ErrorLike[] = [];
  let e: unknown = err;
  while (typeof e === 'object' && e !== null && out.length < 10 && !out.includes(e)) {
    const like: ErrorLike = e;
    out.push(like);
    e = like.cause ?? like.originalError;
  }
  return out;
}

/** Whether trying the same produce again can help. Errors that are not kafkajs errors are programming errors: no. */
export function isRetriableProduceError(err: unknown): boolean {
  const errors = chain(err);
  if (errors.some((e) => e.name === 'KafkaJSNumberOfRetriesExceeded' || e.name === 'KafkaJSConnectionError' || e.name === 'KafkaJSRequestTimeoutError')) return true;
  const innermost = errors[errors.length - 1];
  if (innermost === undefined || typeof innermost.name !== 'string' || !innermost.name.startsWith('KafkaJS')) return false;
  return innermost.retriable !== false;
}

function describe(err: unknown): string {
  const errors = chain(err);
  const innermost = errors[errors.length - 1];
  const type = errors.map((e) => e.type).find((t): t is string => typeof t === 'string');
  const message = innermost !== undefined && typeof innermost.message === 'string' ? innermost.message : String(err);
  return type === undefined ? message : `${type}: ${message}`;
}

export class KafkaConnector implements Connector {
  /** One produce request at a time, retried before the next: messages arrive in the order handed over. */
  readonly maxInFlight = 1;
  private readonly options: KafkaConnectorOptions;
  private readonly kafka: Kafka;
  private readonly batcher: Batcher<Pending>;
  private producer: Producer | null = null;
  private connecting: Promise<void> | null = null;
  private closing: Promise<void> | null = null;
  /** Produce requests run one after the other. */
  private queue: Promise<void> = Promise.resolve();
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    readonly destination: KafkaDestination,
    private readonly deps: ConnectorDeps,
  ) {
    this.options = { ...KAFKA_CONNECTOR_DEFAULTS, ...deps.kafka };
    this.kafka = new Kafka({
      clientId: `${deps.clientId ?? 'journeys-sink'}-${destination.id}`,
      brokers: deps.brokers,
      logLevel: logLevel.WARN,
      logCreator: kafkaLogCreator(deps.logger),
    });
    this.batcher = new Batcher({ maxItems: this.options.maxBatch, lingerMs: 0 }, (batch) => this.track(this.enqueue(batch)));
  }

  connect(): Promise<void> {
    if (this.closing !== null) return Promise.reject(new Error(`kafka ${this.destination.id}: connect after close`));
    this.connecting ??= (async () => {
      const admin = this.kafka.admin();
      await admin.connect();
      try {
        const topics = await admin.listTopics();
        if (!topics.includes(this.destination.topic)) {
          throw new JourneyError(ErrorCodes.INVALID_CONFIG, `kafka destination '${this.destination.id}': topic ${this.destination.topic} does not exist (create it first)`, { details: { destination: this.destination.id, topic: this.destination.topic } });
        }
      } finally {
        await admin.disconnect();
      }
      const producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, retry: { retries: this.options.clientRetries, initialRetryTime: 100, maxRetryTime: 2000 } });
      await producer.connect();
      this.producer = producer;
    })();
    this.connecting.catch(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  deliver(message: OutMessage): Promise<DeliveryResult> {
    if (this.producer === null || this.closing !== null) {
      return Promise.reject(new Error(`kafka ${this.destination.id}: deliver ${this.producer === null ? 'before connect' : 'after close'}`));
    }
    return new Promise((resolve) => this.batcher.add({ message, resolve }));
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.connecting?.catch(() => undefined);
      this.batcher.flush();
      while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
      await this.producer?.disconnect();
    })();
    return this.closing;
  }

  private track(p: Promise<void>): void {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  private enqueue(batch: Pending[]): Promise<void> {
    const run = this.queue.then(() => this.produce(batch));
    this.queue = run;
    return run;
  }

  private async produce(batch: Pending[]): Promise<void> {
    const producer = this.producer;
    if (producer === null) throw new Error('kafka connector: produce before connect');
    const items = batch.map((pending) => ({
      pending,
      message: { key: pending.message.userId, value: JSON.stringify(pending.message.body), headers: { [TRANSITION_ID_HEADER]: pending.message.id } },
    }));
    // Requests under the broker's default record-batch limit; one the topic's own limit refuses is split again.
    let at = 0;
    for (const [chunk] of chunkBySize([{ topic: this.destination.topic, messages: items.map((x) => x.message) }])) {
      const n = chunk?.messages.length ?? 0;
      await sendInHalvesWhileTooLarge(items.slice(at, at + n), (part) => this.send(producer, part.map((x) => x.message), part.length), (part, { delivery }) => {
        for (const { pending } of part) pending.resolve(delivery);
      });
      at += n;
    }
  }

  private async send(producer: Producer, messages: Message[], count: number): Promise<{ tooLarge: boolean; delivery: DeliveryResult }> {
    for (let attempt = 1; ; attempt++) {
      try {
        await producer.send({ topic: this.destination.topic, acks: -1, timeout: this.options.timeoutMs, messages });
        return { tooLarge: false, delivery: { ok: true, attempts: attempt } };
      } catch (err) {
        const reason = describe(err);
        if (!isRetriableProduceError(err)) {
          return { tooLarge: isTooLarge(err), delivery: { ok: false, code: ErrorCodes.DELIVERY_REFUSED, reason, attempts: attempt } };
        }
        if (attempt >= this.options.maxAttempts) {
          return { tooLarge: false, delivery: { ok: false, code: ErrorCodes.DELIVERY_EXHAUSTED, reason, attempts: attempt } };
        }
        const delay = backoffMs(this.deps.retry, attempt);
        this.deps.logger.debug({ destination: this.destination.id, attempt, delayMs: delay, reason, messages: count }, 'kafka delivery failed, will retry');
        this.deps.onRetry?.(this.destination.id);
        await sleep(delay);
      }
    }
  }
}

/** The broker refused the request for its size (a record batch over the topic's max.message.bytes). */
function isTooLarge(err: unknown): boolean {
  return chain(err).some((e) => e.type === 'MESSAGE_TOO_LARGE' || e.type === 'RECORD_LIST_TOO_LARGE');
}
