// `journeys dlq replay` (spec §6): re-delivers what a destination's dead-letter topic holds, from the replay
// group's committed position (`<group>.dlq-replay.<destination>`) up to the end the topic had when the replay
// started. Each record is delivered again with its message id; one that fails again is written back to the
// dead-letter topic (after that end, with `journeys-replays` + 1), so it is tried by the next replay. Offsets
// are committed as records settle: a second replay does not re-send what the first delivered.
import type { Kafka } from 'kafkajs';
import type { Connector } from '../destinations/types';
import type { Logger } from '../observability/logger';
import { DeadLetterWriter, readDeadLetter } from './dead-letter';
import { DestinationDelivery } from './delivery';
import type { SinkSensors } from './sensors';
import { noSensors } from './sensors';

export interface ReplayOptions {
  kafka: Kafka;
  connector: Connector;
  /** The destination's dead-letter topic. */
  topic: string;
  groupId: string;
  logger: Logger;
  sensors?: SinkSensors;
}

export interface ReplayReport {
  /** Delivered this time. */
  replayed: number;
  /** Failed again, and written back to the dead-letter topic. */
  failed: number;
  /** Records that hold no deliverable message (undecodable transition records): left as they are. */
  skipped: number;
}

export function replayGroupId(group: string, destination: string): string {
  return `${group}.dlq-replay.${destination}`;
}

export async function replayDeadLetters(o: ReplayOptions): Promise<ReplayReport> {
  const report: ReplayReport = { replayed: 0, failed: 0, skipped: 0 };
  const logger = o.logger.child({ component: 'dlq-replay', destination: o.connector.destination.id, topic: o.topic });

  // What to replay: per partition, from the committed position (or the start) to the current end.
  const admin = o.kafka.admin();
  await admin.connect();
  const ends = new Map<number, bigint>();
  try {
    if (!(await admin.listTopics()).includes(o.topic)) return report;
    const offsets = await admin.fetchTopicOffsets(o.topic);
    const committed = await admin.fetchOffsets({ groupId: o.groupId, topics: [o.topic] });
    const startOf = new Map<number, bigint>();
    for (const p of committed[0]?.partitions ?? []) if (Number(p.offset) >= 0) startOf.set(p.partition, BigInt(p.offset));
    for (const p of offsets) {
      // A committed position that retention has since passed reads from the log's start (the consumer resets there).
      const committedAt = startOf.get(p.partition);
      const start = committedAt === undefined || committedAt < BigInt(p.low) ? BigInt(p.low) : committedAt;
      const end = BigInt(p.high);
      if (start < end) ends.set(p.partition, end);
    }
  } finally {
    await admin.disconnect();
  }
  if (ends.size === 0) return report;
  logger.info({ partitions: Object.fromEntries([...ends].map(([p, e]) => [p, e.toString()])) }, 'replaying dead letters');

  const dlq = new DeadLetterWriter(o.kafka, logger);
  await dlq.connect();
  await o.connector.connect();
  const delivery = new DestinationDelivery(o.connector, dlq, o.topic, o.sensors ?? noSensors, logger);
  const consumer = o.kafka.consumer({ groupId: o.groupId, maxWaitTimeInMs: 250, sessionTimeout: 30_000 });
  const pending = new Set(ends.keys());
  try {
    await new Promise<void>((resolve, reject) => {
      consumer.on(consumer.events.CRASH, (e) => {
        if (!e.payload.restart) reject(e.payload.error);
      });
      const run = async (): Promise<void> => {
        await consumer.connect();
        await consumer.subscribe({ topic: o.topic, fromBeginning: true });
        await consumer.run({
          eachBatchAutoResolve: false,
          eachBatch: async (payload) => {
            const { batch } = payload;
            const end = ends.get(batch.partition);
            if (end === undefined) {
              payload.pause();
              return;
            }
            const work: Promise<void>[] = [];
            let last: string | null = null;
            for (const record of batch.messages) {
              if (BigInt(record.offset) >= end) break;
              last = record.offset;
              const read = readDeadLetter(record.key, record.value, record.headers);
              if (read.kind === 'undecodable') {
                report.skipped++;
                continue;
              }
              // Handed over in record order, as the sink's worker does: the connector keeps each user's order.
              work.push(delivery.deliver(read.message, read.source, read.replays + 1).then((result) => {
                if (result.ok) report.replayed++;
                else report.failed++;
              }));
            }
            const beat = setInterval(() => void payload.heartbeat().catch(() => undefined), 1000);
            try {
              await Promise.all(work);
            } finally {
              clearInterval(beat);
            }
            if (last !== null) payload.resolveOffset(last);
            if (last !== null && BigInt(last) + 1n >= end) {
              payload.pause();
              pending.delete(batch.partition);
              if (pending.size === 0) resolve();
            }
          },
        });
      };
      run().catch(reject);
    });
  } finally {
    // disconnect() waits for the batch in flight and commits the resolved offsets.
    await consumer.disconnect();
    await o.connector.close();
    await dlq.close();
  }
  logger.info({ ...report }, 'dead letters replayed');
  return report;
}
