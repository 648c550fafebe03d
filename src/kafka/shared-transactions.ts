// One transactional producer for all of a process's partition tasks, as Kafka Streams' exactly_once_v2 (KIP-447):
// the batches the tasks have ready at the same moment go in one transaction. With a producer per partition, every
// partition ran its own transaction of five round trips to the broker's coordinators, and at 5k events/s over four
// partitions the broker's transaction and group coordinators were the latency's tail (see the README's benchmarks).
//
// Zombies are fenced by the consumer group instead of by per-partition transactional ids: every offsets commit
// carries the member id and the generation it was made in, and the group coordinator refuses it (ILLEGAL_GENERATION)
// once the group has moved on; a batch of a partition the process no longer owns is refused here before it is sent.
// A new owner of a partition first writes a marker to the partition's changelog and reads up to it, which waits for
// any transaction still open on that partition (the previous owner's records precede its offsets commit, which
// precedes the new generation). The transactional id belongs to the process (kept in its state dir), so a process
// restarted after a crash aborts its own open transaction at once; one that never comes back is aborted by the broker
// after `transactionTimeout`.
import type { Kafka, Producer, RecordMetadata, TopicMessages } from 'kafkajs';
import { ErrorCodes, JourneyError } from '../errors';
import type { Logger } from '../observability/logger';
import { KeyPartitioner } from './partitioner';
import { chunkBySize, sendOffsetsWithRetry } from './eos';

/** The consumer's place in its group, as of its last join (kafkajs' GROUP_JOIN, patched to carry the generation). */
export interface GroupMember {
  memberId: string;
  generationId: number;
}

/** What one partition task wants committed. */
export interface TransactionWork {
  /** The submitting task: its work is refused (JRN_ERR_PARTITION_REVOKED) unless it still owns its partition. */
  owner: object;
  topicMessages: TopicMessages[];
  /** Input offsets to commit (the next offset to read), for the group. */
  offsets: { topic: string; partition: number; offset: string }[];
  /**
   * The owner goes on once this is committed (writes its store, builds its next batch): the next transaction waits
   * until it says it is done (`doneBuilding`, or its next `commit`), at most buildWaitMs.
   */
  more: boolean;
}

/**
 * The last offset written, per `<topic>:<partition>`, for the messages that named their partition (the changelog's):
 * a task learns where its changelog records landed.
 */
export type LastOffsets = ReadonlyMap<string, bigint>;

const partitionKey = (topic: string, partition: number): string => `${topic}:${partition}`;

/** The last offset a transaction wrote to `topic`'s `partition` (for messages that named it), if any. */
export function lastOffsetOf(last: LastOffsets, topic: string, partition: number): bigint | undefined {
  return last.get(partitionKey(topic, partition));
}

interface Pending {
  work: TransactionWork;
  resolve: (last: LastOffsets) => void;
  reject: (err: unknown) => void;
}

export interface SharedTransactionsOptions {
  kafka: Kafka;
  transactionalId: string;
  /** The consumer group whose offsets the transactions commit. */
  group: string;
  /** The member's current group metadata; null when there is no group membership to fence with (a replay). */
  member: () => GroupMember | null;
  /** Whether `owner` (a task) still owns its partition now. */
  owns: (owner: object) => boolean;
  log: Logger;
  /** Milliseconds before the broker aborts a transaction left open (default 10 s, as Kafka Streams' exactly-once). */
  transactionTimeout?: number;
  /** The longest a transaction waits for tasks still building a batch (default 20 ms: a long batch must not hold the others back). */
  buildWaitMs?: number;
}

export class SharedTransactions {
  private producer: Producer | undefined;
  private pending: Pending[] = [];
  private running: Promise<void> | undefined;
  private closed = false;
  /** Tasks building a batch now: the next transaction waits for them (at most buildWaitMs), to take theirs too. */
  private readonly building = new Set<object>();
  private built: (() => void) | undefined;
  /** Transactions committed and the tasks' batches they held (what the tests and benchmark notes read). */
  readonly counts = { transactions: 0, batches: 0 };

  constructor(private readonly o: SharedTransactionsOptions) {}

  /** `owner` is building a batch: the next transaction waits for it (see `building`). */
  startBuilding(owner: object): void {
    this.building.add(owner);
  }

  /** `owner` has submitted its batch, or has none. */
  doneBuilding(owner: object): void {
    this.building.delete(owner);
    if (this.building.size === 0) this.built?.();
  }

  /** Commits `work` in a transaction, with whatever else is ready then; resolves once committed. */
  commit(work: TransactionWork): Promise<LastOffsets> {
    if (this.closed) return Promise.reject(new Error('transactions closed'));
    this.doneBuilding(work.owner);
    return new Promise<LastOffsets>((resolve, reject) => {
      this.pending.push({ work, resolve, reject });
      this.kick();
    });
  }

  private kick(): void {
    this.running ??= this.drain().finally(() => {
      this.running = undefined;
      // Submitted after the loop found nothing pending, before this ran: not left waiting for another submission.
      if (this.pending.length > 0) this.kick();
    });
  }

  /** After the tasks have stopped: waits for what is in flight and disconnects the producer. */
  async close(): Promise<void> {
    this.closed = true;
    await this.running;
    await this.resetProducer();
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      if (this.building.size > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.o.buildWaitMs ?? 20);
          this.built = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.built = undefined;
      }
      const taken = this.pending.splice(0);
      const refused = taken.filter((p) => !this.o.owns(p.work.owner));
      for (const p of refused) p.reject(new JourneyError(ErrorCodes.PARTITION_REVOKED, 'the partition was assigned to another member before its batch was committed; the new owner processes those records'));
      const included = taken.filter((p) => !refused.includes(p));
      if (included.length === 0) continue;
      try {
        const last = await this.run(included.map((p) => p.work));
        this.counts.transactions++;
        this.counts.batches += included.length;
        for (const p of included) if (p.work.more) this.building.add(p.work.owner);
        for (const p of included) p.resolve(last);
      } catch (err) {
        for (const p of included) p.reject(err);
        // Whatever failed (a broker restart, a transaction timed out, the group moved on), the next transaction
        // starts on a fresh producer: initialising it aborts anything left open under the transactional id.
        await this.resetProducer();
      }
    }
  }

  private async run(works: TransactionWork[]): Promise<LastOffsets> {
    const member = this.o.member();
    const producer = await this.connectedProducer();
    const topicMessages = mergeTopicMessages(works);
    const offsets = mergeOffsets(works);
    const last = new Map<string, bigint>();
    const txn = await producer.transaction();
    try {
      // Records first, then the offsets: a new owner's changelog marker, written once the group has moved on, comes
      // after every record of a transaction whose offsets the old generation could still commit.
      for (const chunk of chunkBySize(topicMessages)) {
        const sent = await txn.sendBatch({ topicMessages: chunk });
        noteLastOffsets(chunk, sent, last);
      }
      if (offsets.length > 0) {
        await sendOffsetsWithRetry(txn, {
          consumerGroupId: this.o.group, topics: offsets,
          ...(member === null ? {} : { memberId: member.memberId, generationId: member.generationId }),
        });
      }
      await txn.commit();
    } catch (err) {
      await txn.abort().catch(() => undefined);
      throw err;
    }
    return last;
  }

  private async connectedProducer(): Promise<Producer> {
    if (this.producer !== undefined) return this.producer;
    const producer = this.o.kafka.producer({
      transactionalId: this.o.transactionalId, idempotent: true, maxInFlightRequests: 1,
      createPartitioner: KeyPartitioner, transactionTimeout: this.o.transactionTimeout ?? 10_000,
    });
    try {
      await producer.connect();
    } catch (err) {
      await producer.disconnect().catch(() => undefined);
      throw err;
    }
    this.producer = producer;
    return producer;
  }

  private async resetProducer(): Promise<void> {
    const producer = this.producer;
    this.producer = undefined;
    await producer?.disconnect().catch((err: unknown) => this.o.log.warn({ err }, 'transactional producer did not disconnect cleanly'));
  }
}

/**
 * The works' messages, one entry per topic (kafkajs then makes one record batch per partition). A topic only one work
 * writes keeps that work's array: copies would live as long as the transaction's round trips (see chunkBySize).
 */
function mergeTopicMessages(works: TransactionWork[]): TopicMessages[] {
  const byTopic = new Map<string, TopicMessages[]>();
  for (const w of works) {
    for (const t of w.topicMessages) {
      const list = byTopic.get(t.topic);
      if (list === undefined) byTopic.set(t.topic, [t]);
      else list.push(t);
    }
  }
  return [...byTopic].map(([topic, list]) => (list.length === 1 ? (list[0] as TopicMessages) : { topic, messages: list.flatMap((t) => t.messages) }));
}

function mergeOffsets(works: TransactionWork[]): { topic: string; partitions: { partition: number; offset: string }[] }[] {
  const byTopic = new Map<string, { partition: number; offset: string }[]>();
  for (const w of works) {
    for (const { topic, partition, offset } of w.offsets) {
      let list = byTopic.get(topic);
      if (list === undefined) byTopic.set(topic, (list = []));
      list.push({ partition, offset });
    }
  }
  return [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
}

/**
 * A produce request's records for one partition form one record batch, with consecutive offsets from its base:
 * the last offset of each partition named explicitly in `chunk`.
 */
function noteLastOffsets(chunk: TopicMessages[], sent: RecordMetadata[], last: Map<string, bigint>): void {
  const counts = new Map<string, number>();
  for (const t of chunk) {
    for (const m of t.messages) {
      if (m.partition === undefined) continue;
      const key = partitionKey(t.topic, m.partition);
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  for (const r of sent) {
    const key = partitionKey(r.topicName, r.partition);
    const n = counts.get(key);
    if (n === undefined || r.baseOffset === undefined) continue;
    const end = BigInt(r.baseOffset) + BigInt(n) - 1n;
    if (end > (last.get(key) ?? -1n)) last.set(key, end);
  }
}
