// The destination dead-letter topics (`journeys.dlq.<destination>`, spec §6). One record per message whose
// delivery was refused or exhausted its attempts:
// - key: the userId; value: the formatted message as JSON, exactly what was (to be) delivered, so it can be
//   read as is and replayed as is (`journeys dlq replay`);
// - headers: `journeys-destination`, `journeys-message-id`, `journeys-error-code` (JRN_ERR_DELIVERY_REFUSED or
//   JRN_ERR_DELIVERY_EXHAUSTED), `journeys-error-reason`, `journeys-attempts`, `journeys-failed-at` (ISO-8601
//   UTC), `journeys-source-topic` / `-partition` / `-offset` (the transition record it came from) and
//   `journeys-replays` (how many replays it has failed).
// A transition record the sink cannot decode goes there too, as read (value and key bytes), with
// JRN_ERR_UNDECODABLE_MESSAGE and no message id: replay skips it.
import type { Admin, IHeaders, Kafka, Producer } from 'kafkajs';
import type { JsonObject } from '../definitions/model';
import { ErrorCodes } from '../errors';
import { Batcher } from '../destinations/batcher';
import type { OutMessage } from '../destinations/types';
import { chunkBySize } from '../kafka/eos';
import { createTopicsWithLeaders } from '../kafka/admin-topics';
import type { Logger } from '../observability/logger';

export const DLQ_HEADERS = {
  destination: 'journeys-destination',
  messageId: 'journeys-message-id',
  errorCode: 'journeys-error-code',
  reason: 'journeys-error-reason',
  attempts: 'journeys-attempts',
  failedAt: 'journeys-failed-at',
  sourceTopic: 'journeys-source-topic',
  sourcePartition: 'journeys-source-partition',
  sourceOffset: 'journeys-source-offset',
  replays: 'journeys-replays',
} as const;

/** Where a message came from: the transition record's coordinates. */
export interface SourceRef {
  topic: string;
  partition: number;
  offset: string;
}

export interface DeadLetterEntry {
  destination: string;
  topic: string;
  key: Buffer | string | null;
  value: Buffer | string | null;
  headers: IHeaders;
}

export interface FailedDelivery {
  destination: string;
  message: OutMessage;
  source: SourceRef;
  code: string;
  reason: string;
  attempts: number;
  /** Replays it has failed so far (0 when it first fails). */
  replays: number;
}

/** The record of a failed delivery (`at`: when it failed). */
export function deadLetterOf(topic: string, f: FailedDelivery, at: Date): DeadLetterEntry {
  return {
    destination: f.destination,
    topic,
    key: f.message.userId,
    value: JSON.stringify(f.message.body),
    headers: {
      [DLQ_HEADERS.destination]: f.destination,
      [DLQ_HEADERS.messageId]: f.message.id,
      [DLQ_HEADERS.errorCode]: f.code,
      [DLQ_HEADERS.reason]: f.reason,
      [DLQ_HEADERS.attempts]: String(f.attempts),
      [DLQ_HEADERS.failedAt]: at.toISOString(),
      [DLQ_HEADERS.sourceTopic]: f.source.topic,
      [DLQ_HEADERS.sourcePartition]: String(f.source.partition),
      [DLQ_HEADERS.sourceOffset]: f.source.offset,
      [DLQ_HEADERS.replays]: String(f.replays),
    },
  };
}

function header(headers: IHeaders | undefined, name: string): string | null {
  const v = headers?.[name];
  const one = Array.isArray(v) ? v[0] : v;
  return one === undefined ? null : Buffer.isBuffer(one) ? one.toString('utf8') : one;
}

export type ReadDeadLetter =
  | { kind: 'delivery'; message: OutMessage; source: SourceRef; code: string; reason: string; attempts: number; replays: number; failedAt: string }
  | { kind: 'undecodable'; reason: string };

/** Reads back a record of a destination dead-letter topic. */
export function readDeadLetter(key: Buffer | null, value: Buffer | null, headers: IHeaders | undefined): ReadDeadLetter {
  const id = header(headers, DLQ_HEADERS.messageId);
  const reason = header(headers, DLQ_HEADERS.reason) ?? '';
  if (id === null || value === null) return { kind: 'undecodable', reason: reason || 'no message id' };
  let body: unknown;
  try {
    body = JSON.parse(value.toString('utf8'));
  } catch {
    return { kind: 'undecodable', reason: 'value is not JSON' };
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { kind: 'undecodable', reason: 'value is not a JSON object' };
  const partition = Number(header(headers, DLQ_HEADERS.sourcePartition));
  return {
    kind: 'delivery',
    message: { id, userId: key?.toString('utf8') ?? '', body: body as JsonObject },
    source: {
      topic: header(headers, DLQ_HEADERS.sourceTopic) ?? '',
      partition: Number.isInteger(partition) ? partition : -1,
      offset: header(headers, DLQ_HEADERS.sourceOffset) ?? '',
    },
    code: header(headers, DLQ_HEADERS.errorCode) ?? ErrorCodes.DELIVERY,
    reason,
    attempts: Number(header(headers, DLQ_HEADERS.attempts) ?? 0) || 0,
    replays: Number(header(headers, DLQ_HEADERS.replays) ?? 0) || 0,
    failedAt: header(headers, DLQ_HEADERS.failedAt) ?? '',
  };
}

interface Pending {
  entry: DeadLetterEntry;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Writes dead letters through one idempotent producer (acks=all), many records per request (requests of at most
 * about 768 KiB: one partition's batch over the topic's limit would be refused whole), in the order written. A
 * record is never reported written, and its transition offset never committed, before the broker has it: a write
 * that fails after kafkajs' retries fails the transitions batch, which is done again (duplicates, nothing lost).
 */
export class DeadLetterWriter {
  private readonly batcher: Batcher<Pending>;
  private producer: Producer | null = null;
  /** The last batch's send, which follows every earlier one (sends never reject: a failure rejects its entries' writes). */
  private sending: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly kafka: Kafka,
    private readonly logger: Logger,
  ) {
    // One request after the other: a batch sent while the one before waits out a retry (a topic just made has no
    // leader yet) would land first, and `dlq replay` delivers in the topic's order.
    this.batcher = new Batcher({ maxItems: 500, lingerMs: 0 }, (batch) => {
      this.sending = this.sending.then(() => this.send(batch));
    });
  }

  async connect(): Promise<void> {
    if (this.producer !== null) return;
    const producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    this.producer = producer;
  }

  write(entry: DeadLetterEntry): Promise<void> {
    if (this.producer === null || this.closed) return Promise.reject(new Error('dead-letter writer: write before connect or after close'));
    return new Promise((resolve, reject) => this.batcher.add({ entry, resolve, reject }));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.batcher.flush();
    await this.sending;
    await this.producer?.disconnect();
  }

  private async send(batch: Pending[]): Promise<void> {
    const producer = this.producer;
    if (producer === null) return;
    const byTopic = new Map<string, Pending[]>();
    for (const p of batch) {
      const list = byTopic.get(p.entry.topic);
      if (list === undefined) byTopic.set(p.entry.topic, [p]);
      else list.push(p);
    }
    try {
      const topicMessages = [...byTopic].map(([topic, list]) => ({
        topic,
        messages: list.map(({ entry }) => ({ key: entry.key, value: entry.value, headers: entry.headers })),
      }));
      for (const chunk of chunkBySize(topicMessages)) await producer.sendBatch({ acks: -1, topicMessages: chunk });
      for (const p of batch) p.resolve();
    } catch (err) {
      this.logger.error({ err, records: batch.length, topics: [...byTopic.keys()] }, 'dead-letter write failed');
      for (const p of batch) p.reject(err);
    }
  }
}

/** Dead-letter records may be larger than the records they come from (error headers): 2 MiB, as `journeys topics create` sets. */
export const DLQ_MAX_MESSAGE_BYTES = 2 * 1024 * 1024;

/**
 * Creates the dead-letter topics that do not exist yet (as `journeys topics create` would: `partitions`
 * partitions, the broker's default replication, records up to 2 MiB).
 */
export async function ensureTopics(admin: Admin, topics: readonly string[], partitions: number, logger: Logger): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((t) => !existing.has(t));
  if (missing.length === 0) return;
  try {
    await createTopicsWithLeaders(admin, missing.map((topic) => ({ topic, numPartitions: partitions, configEntries: [{ name: 'max.message.bytes', value: String(DLQ_MAX_MESSAGE_BYTES) }] })));
    logger.info({ topics: missing }, 'dead-letter topics created');
  } catch (err) {
    // Another sink may have created them meanwhile.
    const now = new Set(await admin.listTopics());
    if (missing.some((t) => !now.has(t))) throw err;
  }
}
