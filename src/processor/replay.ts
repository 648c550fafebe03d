// `journeys replay --from <time|earliest>` (spec §7): rebuilds what users did from the input history, with the
// event clock, so that a condition-entry journey deployed now counts events from before it was deployed, and its
// `historical: true` entry takes in every user for whom it already holds. Run with the group's processors
// stopped, before they load the new journey files:
//
// 1. Each partition's state is brought to the group's committed offsets (restored from the changelog if needed).
// 2. Its traits and events from `--from` up to those offsets are read again and merged as the processor merged
//    them, and the facts they tell (history per event signature, traits, message ids) are built apart, per user, in
//    a scratch LevelDB store. No journey sees them: their transitions were produced when the messages were first
//    processed.
// 3. Condition-entry journeys new to the partition go live at its clock, and every user of the store takes the
//    rebuilt history where it is the longer one (`Engine.adoptHistory`) and is brought to that instant
//    (`sweepToGoLive`): `historical: true` entries happen now, for all users. A user the group never saw (its
//    processors started later, or never ran) then gets the rebuilt facts as their state, brought there too.
// Each step 3 chunk of users is one transaction (state to the changelog, transitions, and for a group that
// never ran the input offsets the replay reached), so a replay stopped midway is finished by running it again:
// history is taken only where longer and a user enters a journey once, so nothing is repeated.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Admin } from 'kafkajs';
import { Engine } from '../engine/engine';
import { newUserState, type UserState } from '../engine/state';
import { ErrorCodes, JourneyError } from '../errors';
import type { Message, Side } from '../ingest/message';
import { readPartition } from '../kafka/partition-reader';
import { SharedTransactions } from '../kafka/shared-transactions';
import { createLogger } from '../observability/logger';
import { ProcessorMetrics } from '../observability/processor-metrics';
import { InputSpill } from '../state/input-spill';
import { toPieces } from '../state/pieces';
import { PartitionStore, type StoreOp } from '../state/partition-store';
import { checkTopics, codecsFor, partitionTaskKafka, type ProcessorOptions } from './processor';
import { Batch, PartitionTask, SIDES, type TaskContext } from './task';

/** The processor's options that matter to a replay (`clock`: the one the group's processors run with, for the go-live instant). */
export interface ReplayOptions extends Pick<ProcessorOptions, 'definitions' | 'brokers' | 'registryUrl' | 'stateDir' | 'group' | 'topics' | 'clock' | 'transitionsFormat' | 'engine' | 'maxMessageBytes'> {
  /** Where the history starts (epoch ms): records from Kafka's offset for that time, messages stamped at or after it. */
  from: number | 'earliest';
}

export interface PartitionReplaySummary {
  partition: number;
  /** Input records read again. */
  records: number;
  /** Users in the replayed records. */
  users: number;
  /** Users whose state changed (history taken, a journey gone live for them). */
  usersUpdated: number;
  /** Transitions produced (historical entries and what they passed through). */
  transitions: number;
  /** Condition-entry journeys that went live with this replay, by `<journey>@<version>`, and when (null: before any input). */
  wentLive: Record<string, number | null>;
}

/** Users read, merged and committed at a time: one transaction each. */
const USERS_PER_TRANSACTION = 500;
/** Messages learnt at a time (their users read from the scratch store together). */
const LEARN_CHUNK = 2000;
/** Rebuilt users kept in memory while reading, before they are written to the scratch store. */
const LEARNING_CACHE = 20_000;

export async function replay(o: ReplayOptions): Promise<PartitionReplaySummary[]> {
  const log = createLogger({ bindings: { component: 'replay', group: o.group } });
  const kafka = partitionTaskKafka(o.brokers, `journeys-replay-${process.pid}`, log);
  const admin = kafka.admin();
  await admin.connect();
  try {
    const partitions = await checkTopics(admin, o.topics);
    await refuseWhileGroupHasMembers(admin, o.group);
    // No member to fence with: the group has none (checked above), and a replay's partitions are its own.
    const transactions = new SharedTransactions({ kafka, group: o.group, log, transactionalId: `${o.group}.replay`, member: () => null, owns: () => true });
    const ctx: TaskContext = {
      kafka, admin, transactions, group: o.group, topics: o.topics, definitions: o.definitions,
      engineFor: (liveSince, earlier) => new Engine(o.definitions, o.engine ?? {}, liveSince, earlier),
      ...(await codecsFor(o)),
      // A replay reads with readers of its own: it never joins the group.
      consumer: null,
      stateDir: o.stateDir, clock: o.clock, metrics: new ProcessorMetrics(), log,
      maxBatch: USERS_PER_TRANSACTION, cachedUsers: 0, maxIdleMs: 0, lagWaitMs: 0,
      wallNow: () => Date.now(), partitionsHeld: () => 1,
    };
    log.info({ from: o.from === 'earliest' ? 'earliest' : new Date(o.from).toISOString(), partitions }, 'replay starting');
    const out: PartitionReplaySummary[] = [];
    // One partition at a time: a partition's replay holds up to LEARNING_CACHE users in memory.
    try {
      for (let p = 0; p < partitions; p++) out.push(await new PartitionReplay(p, ctx).replay(o.from));
    } finally {
      await transactions.close();
    }
    return out;
  } finally {
    await admin.disconnect();
  }
}

/**
 * A replay and the group's processors must not write a partition's state at the same time, and nothing fences one
 * from the other (the processors' transactions are fenced by the group's generation; a replay is not a member): it
 * refuses to start, and to commit, while the group has members.
 */
async function refuseWhileGroupHasMembers(admin: Admin, group: string): Promise<void> {
  const { groups } = await admin.describeGroups([group]);
  const members = groups[0]?.members.length ?? 0;
  if (members > 0) {
    throw new JourneyError(ErrorCodes.INVALID_CONFIG, `group ${group} has ${members} active member(s): stop its processors before replaying (both would write its partitions' state)`);
  }
}

class PartitionReplay extends PartitionTask {
  /** Each chunk's commit checks again that no processor has joined the group since the replay started. */
  protected override async commit(batch: Batch): Promise<void> {
    await refuseWhileGroupHasMembers(this.ctx.admin, this.ctx.group);
    await super.commit(batch);
  }

  private records = 0;
  private replayClock = Number.NEGATIVE_INFINITY;

  async replay(from: number | 'earliest'): Promise<PartitionReplaySummary> {
    const scratchDir = join(this.ctx.stateDir, `${this.ctx.group}-${this.partition}.replay`);
    const spillDir = `${scratchDir}-input`;
    let scratch: PartitionStore | undefined;
    try {
      const { position } = await this.openState();
      // The sweep below brings every user to the replay's end: a new version's `migrate` happens there too, and a
      // retired journey's instances stop.
      await this.keepVersions();
      this.clock = this.meta.clock ?? Number.NEGATIVE_INFINITY;
      const liveBefore = { ...(this.meta.live ?? {}) };
      // Where the replay stops: where the group is. A group that never ran has produced nothing yet: the replay
      // takes the inputs up to their end as history and the group goes on from there. (An input a running group
      // has not read yet is left alone: what it holds was never processed, and is not history.)
      const neverRan = SIDES.every((s) => position[s] === '-1');
      const stop = {} as Record<Side, bigint>;
      for (const side of SIDES) {
        if (neverRan) this.nextOffset[side] = stop[side] = await this.stableEnd(side);
        else stop[side] = position[side] === '-1' ? 0n : BigInt(position[side]);
      }
      scratch = await PartitionStore.open(scratchDir);
      await scratch.clear();
      // Each input is read into a spill, then the two are merged as the processor merges them (spec §7), so each
      // message is learnt at the `now` it was first processed at: deduplication depends on it, and on the order.
      const spill = await InputSpill.open(spillDir);
      try {
        const since = from === 'earliest' ? Number.NEGATIVE_INFINITY : from;
        for (const side of SIDES) await this.spillFrom(side, await this.startOffset(side, from), stop[side], since, spill);
        await this.learnFrom(spill, scratch);
      } finally {
        await spill.close();
      }
      // The event clock is the largest timestamp read; the wall clock is now, whatever the history's timestamps
      // say (one stamped in the future must not move the go-live instant there, nor fire timers early).
      if (this.ctx.clock === 'wall') this.tick(this.ctx.wallNow());
      else if (this.replayClock > this.clock) this.clock = this.replayClock;
      this.goLive();
      const wentLive: Record<string, number | null> = {};
      for (const [id, at] of Object.entries(this.meta.live ?? {})) if (!(id in liveBefore)) wentLive[id] = at;
      const summary = { partition: this.partition, records: this.records, users: 0, usersUpdated: 0, transitions: 0, wentLive };
      if (Number.isFinite(this.clock)) {
        this.meta = { ...this.meta, sweep: { after: null } };
        const swept = await this.sweepToGoLive(scratch);
        const added = await this.addUsersOnlyReplaySaw(scratch, summary);
        summary.usersUpdated = swept.users + added.users;
        summary.transitions = swept.transitions + added.transitions;
      } else if (SIDES.some((s) => this.nextOffset[s] !== null)) await this.commit(new Batch());
      this.log.info(summary, 'partition replayed');
      return summary;
    } finally {
      await scratch?.close().catch(() => undefined);
      for (const dir of [scratchDir, spillDir]) await rm(dir, { recursive: true, force: true });
      await this.teardown();
    }
  }

  /**
   * Where to start reading for `--from`: the input's start, or its first record stamped (by Kafka) at or after the
   * time. Upstream stamps a record when it sends the message, at or after the message's own time, so no message
   * of the span is before it; those read from before the span are skipped by their own `timestamp`.
   */
  private async startOffset(side: Side, from: number | 'earliest'): Promise<bigint> {
    const topic = this.topic(side);
    const { admin } = this.ctx;
    const offsets = from === 'earliest'
      ? (await admin.fetchTopicOffsets(topic)).map((o) => ({ partition: o.partition, offset: o.low }))
      : await admin.fetchTopicOffsetsByTimestamp(topic, from);
    const mine = offsets.find((o) => o.partition === this.partition);
    if (mine === undefined) throw new Error(`${topic} has no partition ${this.partition}`);
    return BigInt(mine.offset);
  }

  /** Reads one input from `start` up to `stop` into the spill: its messages stamped since `since`. */
  private async spillFrom(side: Side, start: bigint, stop: bigint, since: number, spill: InputSpill): Promise<void> {
    if (start >= stop) return;
    this.log.info({ side, from: start.toString(), to: stop.toString() }, 'replay: reading input');
    await readPartition(this.ctx.kafka, this.ctx.admin, {
      topic: this.topic(side), partition: this.partition, from: start.toString(), end: stop.toString(), groupPrefix: `${this.ctx.group}.replay.${this.partition}`,
      onBatch: async (messages) => {
        // Bad messages went to the dead-letter topic when first processed: they are left out.
        const read = [];
        for (const m of messages) {
          const d = await this.ctx.decoder.decode(m.value);
          if (d.ok && d.message.timestamp >= since) read.push({ offset: m.offset, message: d.message });
        }
        await spill.add(side, read);
        this.records += messages.length;
      },
    });
  }

  /** Adds what the spilled messages tell, in merged order, to the users in `scratch`. */
  private async learnFrom(spill: InputSpill, scratch: PartitionStore): Promise<void> {
    const learner = this.ctx.engineFor(new Map(), this.earlier);
    const learning = new Map<string, UserState>();
    const flush = async (): Promise<void> => {
      const ops: StoreOp[] = [];
      for (const state of learning.values()) for (const [key, value] of toPieces(state)) ops.push({ type: 'put', key, value });
      await scratch.apply(ops);
      learning.clear();
    };
    const learnChunk = async (chunk: Message[]): Promise<void> => {
      const missing = new Set<string>();
      for (const msg of chunk) if (msg.userId !== null && !learning.has(msg.userId)) missing.add(msg.userId);
      for (const [id, user] of await scratch.loadUsers([...missing])) if (user.state !== undefined) learning.set(id, user.state);
      // On the wall clock a message was processed no later than now, whatever its timestamp: the facts are too.
      const wallNow = this.ctx.clock === 'wall' ? this.ctx.wallNow() : Number.POSITIVE_INFINITY;
      for (const msg of chunk) {
        // Every message read moves the clock, also one then skipped for lack of userId (spec §3).
        if (msg.timestamp > this.replayClock) this.replayClock = msg.timestamp;
        if (msg.userId === null) continue;
        const at = Math.min(this.replayClock, wallNow);
        let state = learning.get(msg.userId);
        if (state === undefined) learning.set(msg.userId, (state = newUserState(msg.userId, at)));
        learner.learn(state, msg, at);
      }
      if (learning.size >= LEARNING_CACHE) await flush();
    };
    let chunk: Message[] = [];
    for await (const msg of spill.merged()) {
      chunk.push(msg);
      if (chunk.length === LEARN_CHUNK) {
        await learnChunk(chunk);
        chunk = [];
      }
    }
    await learnChunk(chunk);
    await flush();
  }

  /**
   * A state for every user of the replayed span the group never saw (the rebuilt facts), brought to the go-live
   * instant; users the store holds were brought there by the sweep, so they come out unchanged.
   */
  private async addUsersOnlyReplaySaw(scratch: PartitionStore, summary: PartitionReplaySummary): Promise<{ users: number; transitions: number }> {
    const done = { users: 0, transitions: 0 };
    let after: string | null = null;
    for (let ids = await scratch.userIdsAfter(after, USERS_PER_TRANSACTION); ids.length > 0; ids = await scratch.userIdsAfter(after, USERS_PER_TRANSACTION)) {
      const { batch, through } = await this.usersAtGoLive(ids, scratch);
      const next = through === null ? 0 : ids.indexOf(through) + 1;
      summary.users += next;
      after = ids[next - 1] ?? after;
      if (batch.users.size === 0) continue;
      done.users += batch.users.size;
      await this.commit(batch);
      done.transitions += batch.transitions.length;
    }
    return done;
  }
}
