// Reads one partition of a topic from an offset up to a position (the records before it), read_committed.
// kafkajs has no manual `assign()` (tulios/kafkajs#373), so this joins a throwaway consumer group, pauses
// the other partitions, seeks, and deletes the group afterwards. Used to restore state from the changelog and,
// in a replay, to read the inputs again.
import { randomBytes } from 'node:crypto';
import type { Admin, Kafka, KafkaMessage } from 'kafkajs';

export interface ReadOptions {
  topic: string;
  partition: number;
  /** First offset to read. */
  from: string;
  /**
   * Stop once the position reaches this offset, the records before it delivered. The offset before it may be a
   * transaction marker, which is never delivered: the position is what tells.
   */
  end: string;
  groupPrefix: string;
  onBatch: (messages: KafkaMessage[], highWatermark: string) => Promise<void>;
  /** Fail after this long without a batch (default 60 s). */
  stallMs?: number;
}

export async function readPartition(kafka: Kafka, admin: Admin, o: ReadOptions): Promise<void> {
  const groupId = `${o.groupPrefix}.${randomBytes(6).toString('hex')}`;
  const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1000, maxWaitTimeInMs: 100, readUncommitted: false, maxBytes: 16 << 20, maxBytesPerPartition: 4 << 20 });
  const from = BigInt(o.from);
  const end = BigInt(o.end);
  if (from >= end) return;
  let done!: () => void;
  let failed!: (err: unknown) => void;
  const finished = new Promise<void>((resolve, reject) => {
    done = resolve;
    failed = reject;
  });
  let finishedFlag = false;
  // A reader that stops making progress (its consumer crashed for good, the partition is unreadable) fails
  // instead of hanging: the caller starts over.
  let lastProgress = Date.now();
  const watchdog = setInterval(() => {
    if (!finishedFlag && Date.now() - lastProgress > (o.stallMs ?? 60_000)) {
      finishedFlag = true;
      failed(new Error(`reading ${o.topic}[${o.partition}] from ${o.from} made no progress for ${(o.stallMs ?? 60_000) / 1000} s`));
    }
  }, 1000);
  watchdog.unref();
  try {
    await consumer.connect();
    await consumer.subscribe({ topic: o.topic, fromBeginning: true });
    const { GROUP_JOIN, CRASH, END_BATCH_PROCESS } = consumer.events;
    // A batch of only transaction markers or aborted records is never given to eachBatch, yet moves the position.
    consumer.on(END_BATCH_PROCESS, (e) => {
      if (finishedFlag || e.payload.partition !== o.partition || e.payload.batchSize !== 0 || BigInt(e.payload.lastOffset) + 1n < end) return;
      finishedFlag = true;
      done();
    });
    consumer.on(CRASH, (e) => {
      if (e.payload.restart || finishedFlag) return;
      finishedFlag = true;
      failed(e.payload.error);
    });
    consumer.on(GROUP_JOIN, (e) => {
      const mine = e.payload.memberAssignment[o.topic] ?? [];
      const others = mine.filter((p) => p !== o.partition);
      if (others.length > 0) consumer.pause([{ topic: o.topic, partitions: others }]);
      consumer.seek({ topic: o.topic, partition: o.partition, offset: o.from });
    });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: true,
      eachBatch: async (payload) => {
        const { batch } = payload;
        if (finishedFlag || batch.partition !== o.partition) return;
        lastProgress = Date.now();
        // A fetch made before the seek took effect starts before `from`: skip those records (kafkajs already
        // drops records below the offset it fetched from, so usually the whole batch is wanted).
        let messages = BigInt(batch.firstOffset() ?? o.from) >= from ? batch.messages : batch.messages.filter((m) => BigInt(m.offset) >= from);
        if (BigInt(batch.lastOffset()) >= end) messages = messages.filter((m) => BigInt(m.offset) < end);
        try {
          if (messages.length > 0) await o.onBatch(messages, batch.highWatermark);
          await payload.heartbeat();
        } catch (err) {
          finishedFlag = true;
          failed(err);
          return;
        }
        if (BigInt(batch.lastOffset()) + 1n >= end) {
          finishedFlag = true;
          done();
        }
      },
    });
    await finished;
  } finally {
    clearInterval(watchdog);
    await consumer.disconnect().catch(() => undefined);
    await admin.deleteGroups([groupId]).catch(() => undefined);
  }
}
