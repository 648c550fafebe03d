// One partition number p of the inputs (events-p and traits-p together): its LevelDB store, its changelog
// partition and its clock. Records are merged from both inputs by timestamp (traits first on ties), run
// through the engine in batches, and each batch is committed in a Kafka transaction holding the transitions,
// the dead letters, the changelog records and the consumer offsets (the process's one transactional producer,
// shared with its other partitions' batches ready at the same moment: src/kafka/shared-transactions.ts). The
// store is written only after the transaction commits; if the process dies in between, the store is behind and
// is caught up from the changelog at the next start. So a crash at any instant neither loses nor repeats a
// transition.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Admin, type Consumer, type Kafka, type KafkaMessage, type TopicMessages } from 'kafkajs';
import type { Logger } from '../observability/logger';
import type { Definitions, Journey } from '../definitions/model';
import type { Engine, EngineStats } from '../engine/engine';
import { nextDue, type UserState } from '../engine/state';
import type { Transition } from '../engine/transition';
import { SENT_TO_HEADER, sentToHeader } from '../codecs/sent-to-header';
import type { Decoded, MessageDecoder } from '../ingest/decode';
import { eventsGoFirst, type Side } from '../ingest/message';
import { readPartition } from '../kafka/partition-reader';
import { lastOffsetOf, type LastOffsets, type SharedTransactions } from '../kafka/shared-transactions';
import type { TopicNames } from '../kafka/topics';
import type { ProcessorMetrics } from '../observability/processor-metrics';
import { isVersionKey, keptVersions, newlyCountedEvents, retiredJourneys } from '../state/journey-versions';
import { fromPieces, isCoreKey, parseCore, toPieces, userOfKey } from '../state/pieces';
import { UpcomingTimers } from '../state/upcoming-timers';
import { bulkLoadBufferBytes, PartitionStore, timerKey, type LoadedUser, type StoreMeta, type StoreOp, type StoreOptions, type TimerEntry } from '../state/partition-store';
import type { TransitionEncoder } from '../codecs/transition-codec';
import type { DeadLetter, DeadLetterEncoder } from '../codecs/dead-letter-codec';
import { ErrorCodes, JourneyError } from '../errors';
import { DueHeap } from '../lib/heap';
import { Queue } from '../lib/queue';
import { formatTime } from '../lib/time';

export type ClockMode = 'wall' | 'event';

export interface TaskContext {
  kafka: Kafka;
  admin: Admin;
  /** The group's consumer; null in a replay, which reads the inputs with readers of its own. */
  consumer: Consumer | null;
  /** The process's transactions, shared by its tasks. */
  transactions: SharedTransactions;
  group: string;
  topics: TopicNames;
  /**
   * The engine for a partition, given when its condition-entry journeys went live and the earlier versions of the
   * loaded journeys it keeps (spec §4.6).
   */
  engineFor: (liveSince: ReadonlyMap<string, number>, earlier: readonly Journey[]) => Engine;
  definitions: Definitions;
  decoder: MessageDecoder;
  transitionEncoder: TransitionEncoder;
  encodeDeadLetter: DeadLetterEncoder;
  stateDir: string;
  clock: ClockMode;
  metrics: ProcessorMetrics;
  log: Logger;
  /** Records per transaction at most. */
  maxBatch: number;
  /** Bytes of transition records per transaction, past which a batch takes no more (default 64 MiB). */
  maxBatchBytes?: number;
  /** Users kept in memory after their batch, per partition (least recently used dropped first). */
  cachedUsers: number;
  /** How long to wait for a caught-up input with nothing buffered before taking the other's records. */
  maxIdleMs: number;
  /** After this long waiting for an input that reports records still to fetch, its last stable offset is asked for. */
  lagWaitMs: number;
  /** Wall clock (injected for tests of the scheduler; Date.now by default). */
  wallNow: () => number;
  /** Partitions this process holds: restores running together share one memory budget for bulk loading. */
  partitionsHeld: () => number;
}

interface BufferedRecord {
  side: Side;
  message: KafkaMessage;
  arrivedAt: number;
  decoded?: Decoded;
}

/** What one transaction changes. */
export class Batch {
  /** The users the batch changes (emptied by `commit` once their records are made). */
  readonly users = new Map<string, LoadedUser>();
  /** Users read from the store ahead of their records (the store changes only at commit, so they stay valid). */
  readonly prefetched = new Map<string, LoadedUser>();
  readonly dirtyDue = new DueHeap();
  /**
   * The transition records made, encoded as they are made: the records themselves (context and all) then die
   * young instead of surviving every scavenge until the commit; the bytes live outside the V8 heap.
   */
  readonly transitions: { key: string; value: Buffer; headers?: Record<string, string> }[] = [];
  /** Transitions made, per journey (for the metric). */
  readonly perJourney = new Map<string, number>();
  readonly deadLetters: DeadLetter[] = [];
  readonly arrivals: number[] = [];
  /** Input records taken, per input (counted once committed: records fetched again after a restart count once). */
  readonly taken: Record<Side, number> = { events: 0, traits: 0 };
  /** Timer-index entries found out of date. */
  readonly staleTimerKeys: string[] = [];
  records = 0;
  /** Entries of the timer index taken (at most about `maxBatch`: the rest go in the next batch). */
  timersFromIndex = 0;
  /** Transitions made by firing timers (at most about `TIMER_TRANSITIONS_PER_RECORD` x `maxBatch`). */
  timerTransitions = 0;
  /** Bytes of the transition records made (a batch takes no more records or timers past `maxBatchBytes`). */
  transitionBytes = 0;
  /** Records dropped, by reason (counted once committed, as `taken`). */
  readonly dropped = new Map<string, number>();

  drop(reason: string, n = 1): void {
    this.dropped.set(reason, (this.dropped.get(reason) ?? 0) + n);
  }

  get empty(): boolean {
    return this.records === 0 && this.users.size === 0;
  }
}

export const SIDES: Side[] = ['traits', 'events'];
/** Header of a core changelog record: the user's next due instant ('' for none), so a restore need not parse it. */
const DUE_HEADER = 'due';
/** The changelog record of the partition's position: its clock and the input offsets its state is at. */
export const POSITION_KEY = 'm/position';

/** A user kept between batches: its stored pieces' JSON text and due instant, parsed again when next used. */
type CachedUser = Omit<LoadedUser, 'state'>;

interface ChangelogPosition {
  clock: number | null;
  offsets: Record<string, string>;
  live?: Record<string, number | null>;
  sweep?: { after: string | null };
  retired?: string[];
}
const BUFFER_HIGH = 5000;
const BUFFER_LOW = 1000;
const WALL_TICK_MS = 250;
const BLOCKED_POLL_MS = 20;
/** A long restore logs its progress this often. */
const RESTORE_PROGRESS_LOG_MS = 5000;
/** Due timer-index entries taken at a time, their users read together. */
const DUE_CHUNK = 500;
/** Users read, brought to a go-live instant and committed at a time: one transaction each. */
const SWEEP_CHUNK = 500;
/**
 * Timers fill a batch up to this many transitions per `maxBatch` (past it, an instant's at most): one user's timers
 * can make any number of them (a re-entry every second for days), more than one transaction can carry in time.
 */
const TIMER_TRANSITIONS_PER_RECORD = 4;
/**
 * Transition bytes past which a batch takes no more: a few messages can make gigabytes (100 live instances each
 * sending four traits of 130 KiB, moved on together by one identify), which no transaction builds, sends and
 * commits within the session and transaction timeouts; tried again from the changelog, it would fail forever.
 */
const MAX_BATCH_BYTES = 64 * 1024 * 1024;
/** Timers' transitions made per call of the engine, so a batch's bytes are checked between calls. */
const ADVANCE_STEP = 64;

export class PartitionTask {
  protected store: PartitionStore | undefined;
  protected meta!: StoreMeta;
  private readonly buffers: Record<Side, Queue<BufferedRecord>> = { events: new Queue(), traits: new Queue() };
  /** Next offset expected per side: older records (refetched after a seek) are dropped. */
  protected readonly nextOffset: Record<Side, bigint | null> = { events: null, traits: null };
  private readonly highWatermark: Record<Side, bigint | null> = { events: null, traits: null };
  private readonly idleSince: Record<Side, number | null> = { events: null, traits: null };
  /** Inputs paused because their buffer is full (each on its own: the other must keep flowing for the merge). */
  private readonly paused: Record<Side, boolean> = { events: false, traits: false };
  private readonly checkingDeleted: Record<Side, boolean> = { events: false, traits: false };
  protected clock = Number.NEGATIVE_INFINITY;
  /** The engine of this partition (it knows when the partition's condition-entry journeys went live). */
  protected engine!: Engine;
  /** The timer index's next entries (null before the store is open). */
  private upcoming: UpcomingTimers | null = null;
  /**
   * Committed users of recent batches, least recently used first: most records are for a user seen shortly
   * before, who is then found here rather than read from LevelDB. Only committed state is kept (a batch takes
   * its users out and puts them back after its commit), so a failed batch leaves nothing stale behind. Kept as
   * the pieces' JSON text, as written, and parsed again on use: parsed states held here would be thousands of
   * small objects promoted to the old generation and replaced each batch, and every full collection would trace
   * them (with 8k users cached, one every ~2.4 s stalled the output for 100-200 ms at 5k events/s).
   */
  private readonly recent = new Map<string, CachedUser>();
  /** Journeys (and why) whose dropped or migrated instances this task has logged: once each. */
  private readonly loggedOnce = new Set<string>();
  /** Earlier versions of the loaded journeys that the partition keeps: their live instances finish on them. */
  protected earlier: Journey[] = [];
  /** Loaded versions to keep (key, JSON), written with the next commit. */
  private unwrittenVersions: [string, string][] = [];
  private ready = false;
  private stopping = false;
  /** The last batch left due timers for the next (wall clock): it runs without waiting for a tick. */
  private timersBehind = false;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  protected readonly log: Logger;

  constructor(readonly partition: number, protected readonly ctx: TaskContext) {
    this.log = ctx.log.child({ partition });
  }

  /** Starts the task: fences the previous owner, restores state if needed, then processes until stopped. */
  start(): void {
    this.loop = this.run();
  }

  /** Finishes the batch in progress, commits it, closes the store and the producer. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loop;
  }

  /** The group's consumer: only the batch loop uses it, and a replay's tasks never run that loop. */
  private get consumer(): Consumer {
    if (this.ctx.consumer === null) throw new Error(`partition ${this.partition}: no consumer (a replay reads with readers of its own)`);
    return this.ctx.consumer;
  }

  /**
   * A batch fetched for one of this task's input partitions. `first` and `last` are the batch's offsets
   * including control records, so the position moves past transaction markers too. Records are identified by
   * offset: a batch that starts at or before the position is taken from the position on (a refetch after a
   * seek repeats records, harmlessly); one that starts after it (a stale batch from before a seek) is dropped
   * and the partition re-read from the position, unless retention deleted the records there (see below).
   */
  accept(side: Side, messages: KafkaMessage[], first: string, last: string, highWatermark: string): void {
    const arrivedAt = this.ctx.wallNow();
    this.highWatermark[side] = BigInt(highWatermark);
    const position = this.nextOffset[side];
    if (position !== null && BigInt(first) > position) {
      this.log.warn({ side, position: position.toString(), first }, 'batch past the position dropped; reading again from the position');
      this.consumer.seek({ topic: this.topic(side), partition: this.partition, offset: position.toString() });
      void this.skipDeleted(side);
      return;
    }
    let taken = 0;
    for (const message of messages) {
      if (position !== null && BigInt(message.offset) < position) continue;
      this.buffers[side].push({ side, message, arrivedAt });
      taken++;
    }
    const end = BigInt(last) + 1n;
    if (position === null || end > position) this.nextOffset[side] = end;
    if (taken > 0) this.idleSince[side] = null;
    if (this.ready) this.reportLag();
    if (!this.paused[side] && this.buffers[side].length > BUFFER_HIGH) {
      this.paused[side] = true;
      this.consumer.pause([{ topic: this.topic(side), partitions: [this.partition] }]);
    }
    this.wake?.();
  }

  /**
   * A batch came from past the position: if it is because retention deleted the records at the position while
   * the task ran (the fetch there was out of range, and kafkajs reset to the earliest), reading again from the
   * position would spin; read on from the earliest left, as at start (`init`).
   */
  private async skipDeleted(side: Side): Promise<void> {
    if (this.checkingDeleted[side]) return;
    this.checkingDeleted[side] = true;
    try {
      const low = (await this.ctx.admin.fetchTopicOffsets(this.topic(side))).find((o) => o.partition === this.partition)?.low;
      const position = this.nextOffset[side];
      // Nothing between the position and the log start can arrive meanwhile: the position is still the same.
      if (this.stopping || low === undefined || position === null || BigInt(low) <= position) return;
      this.warnInputDeleted(side, position.toString(), low);
      this.nextOffset[side] = BigInt(low);
      this.consumer.seek({ topic: this.topic(side), partition: this.partition, offset: low });
    } catch (err) {
      this.log.warn({ err, side }, 'could not read the input partition\'s log start');
    } finally {
      this.checkingDeleted[side] = false;
    }
  }

  /**
   * Retention deleted input records the state had not processed: they are gone; the task reads on from the earliest
   * left, as Kafka Streams' earliest reset does, rather than spinning on the position.
   */
  private warnInputDeleted(side: Side, position: string, logStart: string): void {
    this.log.warn({ side, position, logStart }, 'input records the state had not processed were deleted by retention: reading on from the earliest left');
  }

  protected topic(side: Side): string {
    return side === 'events' ? this.ctx.topics.events : this.ctx.topics.traits;
  }

  private assignmentOf(): { topic: string; partitions: number[] }[] {
    return SIDES.map((s) => ({ topic: this.topic(s), partitions: [this.partition] }));
  }

  private async run(): Promise<void> {
    // Stopping takes effect between batches: the batch in progress is finished and committed first.
    let blocked = false;
    while (!this.stopping) {
      try {
        if (!this.ready) await this.init();
        await this.waitForWork(blocked);
        if (this.stopping) break;
        blocked = !(await this.runBatch()) && this.hasRecordReady();
      } catch (err) {
        if (err instanceof JourneyError && err.code === ErrorCodes.PARTITION_REVOKED) this.log.info('partition revoked before its batch was committed; its new owner processes those records');
        else this.log.error({ err }, 'partition task failed; restarting it from the committed state');
        await this.teardown();
        if (!this.stopping) await sleep(500);
      }
    }
    await this.teardown();
  }

  // ---- start-up and restore ----------------------------------------------------------------------

  private async init(): Promise<void> {
    const { position, restored } = await this.openState();
    const { migrating, retiring, newlyCounted } = await this.keepVersions();
    // A replay (which makes the same call) is what counts them: said only here.
    for (const { journey, events } of newlyCounted) {
      this.log.warn(
        { journey, events },
        `journey ${journey} counts events this partition did not keep before (${events.join(', ')}): users' earlier ones are not counted; run \`journeys replay\` (processors stopped) to count them`,
      );
    }
    this.clock = this.meta.clock ?? Number.NEGATIVE_INFINITY;
    const wentLive = this.goLive();
    // A new version's `migrate` moves instances at the instant it is loaded, and a newly archived or removed journey's
    // stop then: every user is brought there, as for a go-live.
    if ((wentLive || migrating || retiring) && Number.isFinite(this.clock)) this.meta = { ...this.meta, sweep: { after: null } };
    this.upcoming = new UpcomingTimers(this.store as PartitionStore);

    // Read on from the committed offsets (or the start), whatever the consumer had fetched before.
    const ends = await Promise.all(SIDES.map((s) => this.ctx.admin.fetchTopicOffsets(this.topic(s))));
    SIDES.forEach((side, i) => {
      const end = ends[i]?.find((o) => o.partition === this.partition);
      if (end === undefined) throw new Error(`${this.topic(side)} has no partition ${this.partition}`);
      this.highWatermark[side] = BigInt(end.high);
      let offset = position[side] === '-1' ? end.low : position[side];
      if (BigInt(offset) < BigInt(end.low)) {
        // The group stopped longer than the topic's retention keeps records.
        this.warnInputDeleted(side, offset, end.low);
        offset = end.low;
      }
      this.buffers[side].clear();
      this.nextOffset[side] = BigInt(offset);
      this.idleSince[side] = null;
      this.consumer.seek({ topic: this.topic(side), partition: this.partition, offset });
    });
    // Always: the consumer keeps a pause across rebalances, also one made by an earlier task of this partition.
    this.paused.events = false;
    this.paused.traits = false;
    this.consumer.resume(this.assignmentOf());
    // After the seek: the sweep's transactions must commit no input offset (the position is the state's).
    if (this.meta.sweep !== undefined) await this.sweepToGoLive(null);
    this.ctx.metrics.timersPending.set({ partition: String(this.partition) }, await (this.store as PartitionStore).timersPending());
    this.reportLag();
    this.ready = true;
    // The sweep's commits asked the next transaction to wait for this task; its batches come from the loop now.
    this.ctx.transactions.doneBuilding(this);
    this.log.info({ offsets: position, restored }, 'partition ready');
  }

  /**
   * Brings the store to the state of the partition's last committed transaction, from the changelog: restored when
   * the store is behind, and in any case read up to a marker written now, which waits for a transaction the
   * partition's previous owner may still have open. Returns the input offsets the state is at ('-1': never read).
   */
  protected async openState(): Promise<{ position: Record<Side, string>; restored: boolean }> {
    const { group } = this.ctx;
    const committed = await this.committedOffsets();
    this.recent.clear();
    this.store = await PartitionStore.open(join(this.ctx.stateDir, `${group}-${this.partition}`));
    this.meta = await this.store.meta();
    // Behind the changelog, too, when a transaction that moved no input offset (timers fired on the wall clock, a
    // go-live sweep, a replay) committed but the process died before writing the store: its last changelog record
    // is followed by the commit marker and nothing else, unless transactions committed (or a zombie's aborted) since.
    const changelogEnd = (await this.ctx.admin.fetchTopicOffsets(this.ctx.topics.changelog)).find((o) => o.partition === this.partition)?.high ?? '0';
    const upToDate = SIDES.every((s) => (this.meta.offsets[this.topic(s)] ?? '-1') === committed[s])
      && BigInt(changelogEnd) <= BigInt(this.meta.changelogOffset) + 2n;
    await this.restore(committed, !upToDate);
    // The offsets the state is at: the same as the group's unless that read was stale.
    const position: Record<Side, string> = { events: this.meta.offsets[this.topic('events')] ?? '-1', traits: this.meta.offsets[this.topic('traits')] ?? '-1' };
    return { position, restored: !upToDate };
  }

  /**
   * Reads the journey versions the partition keeps (after a restore) and notes the loaded ones to keep. Returns
   * whether a newly loaded version's `migrate` has instances of an earlier kept version to move, and whether a
   * journey is newly retired (archived or its file removed since the partition last loaded its files): the engine
   * drops a retired journey's instances whenever it evaluates their user, and a sweep of every user makes that
   * "at once", so an instance whose user is not seen meanwhile cannot come back when the journey is live again.
   */
  protected async keepVersions(): Promise<{ migrating: boolean; retiring: boolean; newlyCounted: { journey: string; events: string[] }[] }> {
    const stored = await (this.store as PartitionStore).journeyVersions();
    const { journeys } = this.ctx.definitions;
    const kept = keptVersions(stored, journeys);
    this.earlier = kept.earlier;
    this.unwrittenVersions = kept.unwritten;
    for (const m of kept.migrating) this.log.info(m, `journey ${m.journey} version ${m.version} migrates the live instances of version ${m.from}`);
    const retired = retiredJourneys(stored, journeys);
    const before = new Set(this.meta.retired ?? []);
    const newly = retired.filter((id) => !before.has(id));
    const loaded = new Set(journeys.map((j) => j.id));
    for (const journey of newly) {
      if (loaded.has(journey)) this.log.info({ journey }, `journey ${journey} is archived: its live instances stop`);
      else this.log.warn({ journey }, `journey ${journey} is not in the topologies (its file removed?): treated as archived, its live instances stop`);
    }
    this.meta = { ...this.meta, retired };
    const audiences = [...this.ctx.definitions.audiences.values()].map((a) => a.condition);
    // Users predate the load when the partition has a clock: it has seen a record.
    const newlyCounted = newlyCountedEvents(kept.kept, journeys, audiences, Number.isFinite(this.meta.clock ?? Number.NEGATIVE_INFINITY));
    return { migrating: kept.migrating.length > 0, retiring: newly.length > 0, newlyCounted };
  }

  /**
   * Condition-entry journeys live now, in a version the partition has not seen live before, go live at its clock
   * (none before its first record: then no user predates them). The instant is kept with the state (by
   * `<journey>@<version>`) at the next commit; until then a restart finds the same clock, so the same instant.
   * Returns whether any journey went live.
   */
  protected goLive(): boolean {
    const live = { ...(this.meta.live ?? {}) };
    const now = this.ctx.clock === 'wall' && Number.isFinite(this.clock) ? this.tick(this.ctx.wallNow()) : this.clock;
    let added = false;
    const liveSince = new Map<string, number>();
    for (const j of this.ctx.definitions.journeys) {
      if (j.entry.kind !== 'condition' || j.status !== 'live') continue;
      const key = `${j.id}@${j.version}`;
      if (!(key in live)) {
        live[key] = Number.isFinite(now) ? now : null;
        added = true;
        this.log.info({ journey: j.id, version: j.version, at: live[key] === null ? null : formatTime(now) }, 'condition-entry journey goes live');
      }
      const at = live[key];
      if (at !== null && at !== undefined) liveSince.set(j.id, at);
    }
    this.meta = { ...this.meta, live };
    this.engine = this.ctx.engineFor(liveSince, this.earlier);
    return added;
  }

  /**
   * Brings every user of the store to the partition's clock, after condition-entry journeys went live at it: the
   * `historical: true` entries are made now for all users, not at each one's next message (spec §4.1). With
   * `facts` (a replay), each user first takes the rebuilt history where it is longer. One transaction per chunk
   * of changed users, each recording how far the sweep got, so one cut short goes on from there at the next
   * start (or restore). Returns the users changed and the transitions made.
   */
  protected async sweepToGoLive(facts: PartitionStore | null): Promise<{ users: number; transitions: number }> {
    const store = this.store as PartitionStore;
    const done = { users: 0, transitions: 0 };
    let after = this.meta.sweep?.after ?? null;
    this.log.info({ after }, 'bringing users to the go-live or migrate instant');
    for (let ids = await store.userIdsAfter(after, SWEEP_CHUNK); ids.length > 0; ids = await store.userIdsAfter(after, SWEEP_CHUNK)) {
      const { batch, through } = await this.usersAtGoLive(ids, facts);
      // A user left behind (their timers filled the transaction) is read again for the next, from their new state.
      after = through ?? after;
      if (batch.users.size === 0) continue;
      this.meta = { ...this.meta, sweep: { after } };
      done.users += batch.users.size;
      await this.commit(batch);
      done.transitions += batch.transitions.length;
    }
    const finished = { ...this.meta };
    delete finished.sweep;
    this.meta = finished;
    await this.commit(new Batch());
    this.log.info(done, 'users brought to the go-live or migrate instant');
    return done;
  }

  /**
   * The users `ids` brought to the partition's clock (the go-live instant), those whose state changed in a batch to
   * commit, and the last of `ids` brought all the way (`through`; null: not even the first). The batch takes timers'
   * transitions up to the bound of any batch: a user whose timers are far behind the clock (after a long stop on the
   * wall clock) is left part of the way, for the next call. With `facts` (a replay's rebuilt users), each takes the
   * rebuilt history where it is longer, and a user the store does not hold gets the rebuilt facts as their state.
   * Running it again on the same users changes nothing, and goes on with one left part of the way.
   */
  protected async usersAtGoLive(ids: string[], facts: PartitionStore | null): Promise<{ batch: Batch; through: string | null }> {
    if (!Number.isFinite(this.clock)) throw new Error('no go-live instant to bring users to before the partition has a clock');
    const [stored, rebuilt] = await Promise.all([(this.store as PartitionStore).loadUsers(ids), facts?.loadUsers(ids)]);
    const batch = new Batch();
    let through: string | null = null;
    for (const id of ids) {
      if (this.timersFull(batch)) break;
      const user = stored.get(id) as LoadedUser;
      const known = rebuilt?.get(id)?.state;
      if (user.state === undefined && known !== undefined) user.state = { ...known, history: {} };
      if (user.state !== undefined) {
        if (known !== undefined) this.engine.adoptHistory(user.state, known.history);
        const before = batch.transitions.length;
        const caughtUp = this.advanceWithin(batch, user, this.clock);
        if (batch.transitions.length > before || changedPieces(user)) batch.users.set(id, user);
        if (!caughtUp) break;
      }
      through = id;
    }
    return { batch, through };
  }

  private async committedOffsets(): Promise<Record<Side, string>> {
    const res = await this.ctx.admin.fetchOffsets({ groupId: this.ctx.group, topics: SIDES.map((s) => this.topic(s)) });
    const out: Record<Side, string> = { events: '-1', traits: '-1' };
    for (const side of SIDES) {
      const t = res.find((r) => r.topic === this.topic(side));
      out[side] = t?.partitions.find((p) => p.partition === this.partition)?.offset ?? '-1';
    }
    return out;
  }

  /**
   * Catches the store up with the changelog: from the store's changelog position when the changelog still
   * holds it, else from scratch. A marker written now tells where the changelog ends; reading up to it waits for
   * any transaction still open on the partition (read_committed stops at the first open one). The input offsets
   * come from the changelog too (each transaction writes them there, beside the offsets commit): they are exactly
   * those of the restored state, even if the group's offsets were read stale. `restoring`: the store is behind
   * (a bulk load, logged); else only the few records up to the marker are read.
   */
  private async restore(committed: Record<Side, string>, restoring: boolean): Promise<void> {
    const store = restoring ? await this.reopenStore({ writeBufferBytes: bulkLoadBufferBytes(this.ctx.partitionsHeld()) }) : this.store as PartitionStore;
    const { kafka, admin, topics, group, metrics } = this.ctx;
    const started = Date.now();
    const nonce = randomBytes(8).toString('hex');
    const written = await this.ctx.transactions.commit({
      owner: this, offsets: [], more: false,
      topicMessages: [{ topic: topics.changelog, messages: [{ key: 'm/restore-marker', value: nonce, partition: this.partition }] }],
    });
    const marker = this.changelogOffsetIn(written).toString();

    const logStart = (await admin.fetchTopicOffsets(topics.changelog)).find((o) => o.partition === this.partition)?.low ?? '0';
    const next = BigInt(this.meta.changelogOffset) + 1n;
    // A store that has records from past the changelog's end (the marker is its last record) was built from another
    // changelog: the topic was deleted and made again (a reset environment) or lost records. It cannot be caught
    // up, only rebuilt. (Reading on from its position would wait for records that never come.)
    const ahead = next > BigInt(marker);
    if (ahead) this.log.warn({ storeChangelogOffset: this.meta.changelogOffset, changelogEnd: marker }, 'the store is ahead of the changelog (the topic was made again?): restoring from scratch');
    const full = this.meta.changelogOffset === '-1' || next < BigInt(logStart) || ahead;
    if (full) await store.clear();
    const from = full ? logStart : next.toString();
    const partitionLabel = { partition: String(this.partition) };
    if (restoring) this.log.info({ from, until: marker, full }, 'restoring state from the changelog');
    else this.log.debug({ from, until: marker }, 'reading the changelog up to a marker');
    let clock: number | null = full ? null : this.meta.clock;
    let offsets: Record<string, string> | null = full ? null : this.meta.offsets;
    let live: Record<string, number | null> | undefined = full ? undefined : this.meta.live;
    let sweep: { after: string | null } | undefined = full ? undefined : this.meta.sweep;
    let retired: string[] | undefined = full ? undefined : this.meta.retired;
    let records = 0;
    let firstBatchAt: number | undefined;
    let lastProgressAt = started;
    // A batch's write to LevelDB runs while the next batch is fetched and decoded: at most one in flight, in order.
    let writing: Promise<void> = Promise.resolve();
    try {
      await readPartition(kafka, admin, {
        topic: topics.changelog, partition: this.partition, from, end: (BigInt(marker) + 1n).toString(), groupPrefix: `${group}.restore.${this.partition}`,
        onBatch: async (messages, highWatermark) => {
          firstBatchAt ??= Date.now();
          const ops: StoreOp[] = [];
          for (const m of messages) {
            const key = m.key?.toString('utf8');
            if (key === undefined) continue;
            const value = m.value;
            if (key === POSITION_KEY) {
              if (value !== null) ({ clock, offsets, live, sweep, retired } = JSON.parse(value.toString('utf8')) as ChangelogPosition);
              continue;
            }
            // User state pieces and kept journey versions; nothing else of the changelog goes to the store.
            const userId = userOfKey(key);
            if (userId === null && !isVersionKey(key)) continue;
            // Values go to LevelDB as the bytes read: no decoding to a string and encoding back.
            ops.push(value === null ? { type: 'del', key } : { type: 'put', key, value, valueEncoding: 'buffer' });
            // The timer index gets the user's new due instant. An entry for an older one stays behind and is
            // dropped when it comes due (fireDue): cheaper than reading the old core back for every record.
            if (userId !== null && value !== null && isCoreKey(key)) {
              const due = dueOfCoreRecord(m.headers?.[DUE_HEADER], value);
              if (due !== null) ops.push({ type: 'put', key: timerKey(due, userId), value: '' });
            }
          }
          await writing;
          const remaining = Math.max(0, Number(BigInt(highWatermark) - 1n - BigInt(messages.at(-1)?.offset ?? '0')));
          writing = store.apply(ops).then(() => {
            records += messages.length;
            metrics.restored.inc(messages.length);
            metrics.restoreRemaining.set(partitionLabel, remaining);
            const now = Date.now();
            if (now - lastProgressAt >= RESTORE_PROGRESS_LOG_MS) {
              lastProgressAt = now;
              this.log.info({ records, remaining, recordsPerSecond: Math.round(records / ((now - started) / 1000)) }, 'restoring: progress');
            }
          });
          // A failed write fails the next batch or the end of the read, whichever comes first; not unhandled meanwhile.
          writing.catch(() => undefined);
        },
      });
    } finally {
      // Nothing may write to the store after the restore has ended (the task may close it next).
      await writing.catch(() => undefined);
    }
    await writing;
    metrics.restoreRemaining.set(partitionLabel, 0);
    const fromGroup = { [topics.events]: committed.events, [topics.traits]: committed.traits };
    const restored = offsets === null ? fromGroup : { [topics.events]: offsets[topics.events] ?? '-1', [topics.traits]: offsets[topics.traits] ?? '-1' };
    if (offsets !== null && SIDES.some((s) => restored[this.topic(s)] !== committed[s])) {
      this.log.warn({ changelog: restored, group: fromGroup }, "the group's committed offsets differ from the changelog's: reading on from the changelog's");
    }
    this.meta = { offsets: restored, changelogOffset: marker, clock, live, ...(sweep === undefined ? {} : { sweep }), ...(retired === undefined ? {} : { retired }) };
    await store.apply([store.metaOp(this.meta)]);
    if (!restoring) return;
    // Back to the small memtable for processing; the reopen writes the bulk memtable to a table (part of the restore).
    const readEnd = Date.now();
    await this.reopenStore({});
    const ended = Date.now();
    this.log.info({
      records, seconds: (ended - started) / 1000,
      // Where the time went: until the changelog's first records, reading them, reopening the store.
      untilFirstRecordsSeconds: ((firstBatchAt ?? readEnd) - started) / 1000, reopenSeconds: (ended - readEnd) / 1000,
    }, 'state restored');
  }

  /** Closes the store and opens it again with other options (this.store is always the open one, or none). */
  private async reopenStore(options: StoreOptions): Promise<PartitionStore> {
    const old = this.store as PartitionStore;
    this.store = undefined;
    await old.close();
    this.store = await PartitionStore.open(old.dir, options);
    return this.store;
  }

  protected async teardown(): Promise<void> {
    this.ready = false;
    this.ctx.transactions.doneBuilding(this);
    const store = this.store;
    this.store = undefined;
    await store?.close().catch(() => undefined);
  }

  // ---- the batch loop ----------------------------------------------------------------------------

  /** Waits for input (or, on the wall clock, the next scheduler tick); `blocked`: records wait for the other input. */
  private async waitForWork(blocked: boolean): Promise<void> {
    if (this.stopping || this.timersBehind || (!blocked && this.hasRecordReady())) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, blocked ? BLOCKED_POLL_MS : WALL_TICK_MS);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
    });
  }

  private hasRecordReady(): boolean {
    return this.buffers.events.length > 0 || this.buffers.traits.length > 0;
  }

  /**
   * One transaction's worth of input; false when nothing could be done. The users of the buffered records are
   * read together before the records are taken; records that arrive meanwhile join the batch (up to maxBatch) once
   * those are done, their users again read together. (Taking them as they came read their users one by one, a
   * round trip to LevelDB's threads each: under load a batch then grew while it ran, to hundreds of records and
   * 200 ms, and every record in it waited for its commit.)
   */
  private async runBatch(): Promise<boolean> {
    // While this batch runs (until it is submitted, and from its commit to the store's write), the process's next
    // transaction waits for it: the tasks' batches then go in the same transactions. (Waiting also for the task's
    // next batch measured worse: latency p50 18-21 ms against 15-17, p99 78-170 against 62-108.)
    this.ctx.transactions.startBuilding(this);
    try {
      return await this.buildAndCommit();
    } finally {
      this.ctx.transactions.doneBuilding(this);
    }
  }

  private async buildAndCommit(): Promise<boolean> {
    const startedAt = this.ctx.wallNow();
    const batch = new Batch();
    let limit = 0;
    for (;;) {
      const more = Math.min(this.ctx.maxBatch, batch.records + this.buffers.events.length + this.buffers.traits.length);
      if (more <= limit) break;
      await this.prefetchInputUsers(batch, more - batch.records);
      limit = more;
      let record: BufferedRecord | null = null;
      let full = false;
      while (batch.records < limit && (record = await this.nextRecord()) !== null) {
        if (!(await this.processRecord(batch, record)) || this.bytesSpent(batch)) {
          full = true;
          break;
        }
      }
      if (record === null || full) break; // the merge waits for the other input, or timers filled the batch
    }
    this.timersBehind = false;
    if (this.ctx.clock === 'wall' && !(await this.fireDue(batch, this.tick(this.ctx.wallNow())))) this.timersBehind = true;
    if (batch.empty) return false;
    await this.commit(batch);
    const now = this.ctx.wallNow();
    this.ctx.metrics.batchDuration.observe((now - startedAt) / 1000);
    for (const side of SIDES) if (batch.taken[side] > 0) this.ctx.metrics.consumed.inc({ topic: this.topic(side) }, batch.taken[side]);
    for (const [reason, n] of batch.dropped) this.ctx.metrics.dropped.inc({ reason }, n);
    for (const a of batch.arrivals) this.ctx.metrics.latency.observe((now - a) / 1000);
    for (const side of SIDES) {
      if (this.paused[side] && this.buffers[side].length < BUFFER_LOW) {
        this.paused[side] = false;
        this.consumer.resume([{ topic: this.topic(side), partitions: [this.partition] }]);
      }
    }
    return true;
  }

  /** The wall clock never goes back for the partition. */
  protected tick(t: number): number {
    if (t > this.clock) this.clock = t;
    return this.clock;
  }

  /**
   * The next record in merged order, left at the head of its input (`processRecord` takes it): the head with the
   * earlier timestamp, traits first on ties (an undecodable head goes first: it has no time). With one input
   * empty, waits for it while it is known to have more data, at most `maxIdleMs`.
   */
  private async nextRecord(): Promise<BufferedRecord | null> {
    const heads: BufferedRecord[] = [];
    for (const side of SIDES) {
      const head = this.buffers[side].peek();
      if (head === undefined) continue;
      head.decoded ??= await this.ctx.decoder.decode(head.message.value);
      heads.push(head);
    }
    let pick: BufferedRecord | undefined;
    if (heads.length === 2) {
      const [t, e] = heads as [BufferedRecord, BufferedRecord];
      pick = !t.decoded?.ok ? t : !e.decoded?.ok ? e : eventsGoFirst(e.decoded.message, t.decoded.message) ? e : t;
    } else if (heads.length === 1) {
      const only = heads[0] as BufferedRecord;
      const other: Side = only.side === 'events' ? 'traits' : 'events';
      if (await this.mayGoOnWithout(other)) pick = only;
    }
    return pick ?? null;
  }

  /**
   * Whether to take the other input's head while this input has nothing buffered: never while this input has
   * records still to fetch (they may be earlier; as Kafka Streams, a partition with lag is waited for); once
   * caught up, after `maxIdleMs` (0 by default, as max.task.idle.ms). The high watermark a fetch reports
   * counts records read_committed never shows (an open transaction's), so after `lagWaitMs` of waiting the
   * last stable offset is asked for: it tells whether the lag is real.
   */
  private async mayGoOnWithout(side: Side): Promise<boolean> {
    const hw = this.highWatermark[side];
    const next = this.nextOffset[side];
    // Stopping ends the batch here rather than draining the other input alone: what is left is read again by
    // the next owner, in order. (Going on while stopping put a user's later traits before earlier events.)
    if (this.stopping || hw === null || next === null) return false;
    const now = this.ctx.wallNow();
    const since = this.idleSince[side] ?? (this.idleSince[side] = now);
    if (next >= hw) return now - since >= this.ctx.maxIdleMs;
    if (now - since < this.ctx.lagWaitMs) return false;
    const stable = await this.stableEnd(side);
    this.idleSince[side] = this.ctx.wallNow();
    if (next < stable) {
      this.log.warn({ side, next: next.toString(), stableEnd: stable.toString(), waitedMs: now - since }, 'still waiting for an input with records to fetch');
      return false;
    }
    this.highWatermark[side] = stable;
    return this.ctx.maxIdleMs === 0;
  }

  /** Every offset before this was processed or is not a record for the application (the buffer holds the rest). */
  private consumedUpTo(side: Side): bigint | null {
    const head = this.buffers[side].peek();
    return head === undefined ? this.nextOffset[side] : BigInt(head.message.offset);
  }

  /** The input partition's last stable offset (read_committed end). */
  protected async stableEnd(side: Side): Promise<bigint> {
    const ends = await this.ctx.admin.fetchTopicOffsets(this.topic(side));
    const end = ends.find((o) => o.partition === this.partition);
    if (end === undefined) throw new Error(`${this.topic(side)} has no partition ${this.partition}`);
    return BigInt(end.high);
  }

  /**
   * Takes the record into the batch, after the timers due by its instant (spec §3); false when those filled the
   * batch first: the record is left for the next batch, which fires the rest of them before it.
   */
  private async processRecord(batch: Batch, record: BufferedRecord): Promise<boolean> {
    const decoded = record.decoded as Decoded;
    if (!decoded.ok) {
      if (!this.take(batch, record)) return false;
      batch.drop(decoded.code === ErrorCodes.UNDECODABLE_MESSAGE ? 'undecodable' : 'invalid');
      batch.deadLetters.push({
        topic: this.topic(record.side), partition: this.partition, offset: record.message.offset,
        key: record.message.key ?? null, value: record.message.value ?? null, headers: record.message.headers,
        recordTimestamp: record.message.timestamp, errorCode: decoded.code, reason: decoded.reason, at: formatTime(this.ctx.wallNow()),
      });
      return true;
    }
    const msg = decoded.message;
    const now = this.tick(this.ctx.clock === 'event' ? msg.timestamp : this.ctx.wallNow());
    if (!(await this.fireDue(batch, now)) || !this.take(batch, record)) return false;
    if (msg.userId === null) {
      batch.drop('no_user_id');
      return true;
    }
    const user = await this.user(batch, msg.userId);
    const result = this.engine.process(user.state, msg, now);
    user.state = result.state;
    if (result.stats.duplicates > 0) batch.drop('duplicate', result.stats.duplicates);
    this.collect(batch, user, result.transitions, result.stats);
    return true;
  }

  /** Takes the record at the head of its input into the batch; false when the input was dropped meanwhile (the partition is going). */
  private take(batch: Batch, record: BufferedRecord): boolean {
    const buffer = this.buffers[record.side];
    if (buffer.peek() !== record) return false;
    buffer.shift();
    batch.records++;
    batch.taken[record.side]++;
    batch.arrivals.push(record.arrivedAt);
    return true;
  }

  private async user(batch: Batch, userId: string): Promise<LoadedUser> {
    let user = batch.users.get(userId);
    if (user === undefined) {
      const cached = this.recent.get(userId);
      if (cached !== undefined) {
        this.recent.delete(userId);
        user = { state: fromPieces(userId, cached.pieces), pieces: cached.pieces, due: cached.due };
      } else {
        user = batch.prefetched.get(userId) ?? (await (this.store as PartitionStore).loadUser(userId));
        batch.prefetched.delete(userId);
      }
      batch.users.set(userId, user);
    }
    return user;
  }

  /**
   * Reads the users of the records this batch may take next (`count` of them, from either input: as many from
   * the head of each buffer) from the store together, rather than one by one as the merge reaches them: a cache
   * miss then costs a share of a concurrent read, not a round trip to LevelDB's threads of its own.
   */
  private async prefetchInputUsers(batch: Batch, count: number): Promise<void> {
    const userIds = new Set<string>();
    for (const side of SIDES) {
      const buffer = this.buffers[side];
      const n = Math.min(buffer.length, count);
      for (let i = 0; i < n; i++) {
        const record = buffer.at(i) as BufferedRecord;
        record.decoded ??= await this.ctx.decoder.decode(record.message.value);
        if (record.decoded.ok && record.decoded.message.userId !== null) userIds.add(record.decoded.message.userId);
      }
    }
    await this.prefetch(batch, userIds);
  }

  private async prefetch(batch: Batch, userIds: Iterable<string>): Promise<void> {
    const missing: string[] = [];
    for (const id of userIds) if (!batch.users.has(id) && !batch.prefetched.has(id) && !this.recent.has(id)) missing.push(id);
    if (missing.length === 0) return;
    for (const [id, user] of await (this.store as PartitionStore).loadUsers(missing)) batch.prefetched.set(id, user);
  }

  /** Whether `key` is logged for the first time by this task (then it is noted). */
  private firstTime(key: string): boolean {
    if (this.loggedOnce.has(key)) return false;
    this.loggedOnce.add(key);
    return true;
  }

  /** Spec §4.6: a journey whose file is removed is treated as archived, with a warning in the log. */
  private warnDropped(d: NonNullable<EngineStats['dropped']>[number]): void {
    if (!this.firstTime(`${d.journey}:${d.why}`)) return;
    const what = d.why === 'not-loaded' ? 'is not in the topologies (its file removed?): treated as archived'
      : d.why === 'archived' ? 'is archived' : 'no longer has a step its live instances wait at (the file edited in place, or a version not kept)';
    this.log.warn({ journey: d.journey, partition: this.partition, why: d.why, instances: d.instances }, `journey ${d.journey} ${what}; its users' live instances stop without transitions`);
  }

  private noteMigrated(m: NonNullable<EngineStats['migrated']>[number]): void {
    if (!this.firstTime(`${m.journey}:migrated:${m.to}`)) return;
    this.log.info({ journey: m.journey, from: m.from, to: m.to }, `journey ${m.journey}: live instances of version ${m.from} move to version ${m.to} (migrate)`);
  }

  private collect(batch: Batch, user: LoadedUser, transitions: Transition[], stats: EngineStats): void {
    const { refusedEntries: refused, contextDrops: drops } = stats;
    for (const d of stats.dropped ?? []) this.warnDropped(d);
    for (const m of stats.migrated ?? []) this.noteMigrated(m);
    // An `$exit` that undoes sends carries where they went (the engine knows the instance's version): the sink
    // tells those destinations that the user left.
    const sentTo = stats.sentTo === undefined ? undefined : new Map(stats.sentTo.map((e) => [e.transition, e.steps]));
    for (const t of transitions) {
      const value = this.ctx.transitionEncoder.encode(t);
      batch.transitionBytes += value.length;
      const steps = sentTo?.get(t.id);
      batch.transitions.push(steps === undefined ? { key: t.userId, value } : { key: t.userId, value, headers: { [SENT_TO_HEADER]: sentToHeader(t.sent ?? [], new Map(steps)) } });
      batch.perJourney.set(t.journey, (batch.perJourney.get(t.journey) ?? 0) + 1);
    }
    if (refused > 0) {
      this.ctx.metrics.refusedEntries.inc(refused);
      this.log.warn({ journeyEntriesRefused: refused }, 'entries refused over the per-user instance limit');
    }
    if (drops > 0) this.ctx.metrics.contextDrops.inc(drops);
    const due = user.state === undefined ? null : nextDue(user.state);
    if (due !== null && user.state !== undefined) batch.dirtyDue.push(due, user.state.userId);
  }

  /**
   * Fires every timer due at or before `now`: users of this batch first, then those in the store. False when
   * some are left: the batch has taken `maxBatch` entries of the index, and the next batch fires the rest (after
   * a long stop on the wall clock, or a jump of the event clock, there may be more than one transaction can carry
   * in time).
   */
  private async fireDue(batch: Batch, now: number): Promise<boolean> {
    for (let due = batch.dirtyDue.peekDue(); due !== undefined && due <= now; due = batch.dirtyDue.peekDue()) {
      const [, userId] = batch.dirtyDue.pop() as [number, string];
      const user = batch.users.get(userId);
      if (user?.state === undefined) continue;
      const current = nextDue(user.state);
      if (current === null || current > now) continue;
      // Left for the next batch, which finds the user in the index (at the due instant this batch commits).
      if (this.timersFull(batch)) return false;
      this.advance(batch, user, current, now);
    }
    const upcoming = this.upcoming as UpcomingTimers;
    for (;;) {
      // Records and timers each fill a batch up to maxBatch: neither starves the other.
      if ((batch.timersFromIndex >= this.ctx.maxBatch || this.timersFull(batch)) && (await upcoming.peek(now)) !== undefined) return false;
      // A chunk of due entries at a time, their users read together (firing never adds index entries).
      const chunk = Math.max(1, Math.min(DUE_CHUNK, this.ctx.maxBatch - batch.timersFromIndex));
      const entries: TimerEntry[] = [];
      for (let entry = await upcoming.next(now); entry !== undefined; entry = entries.length < chunk ? await upcoming.next(now) : undefined) entries.push(entry);
      // (A user the timers' transitions left behind is in the next batch's index: their due instant moved on.)
      if (entries.length === 0) return !this.timersFull(batch);
      batch.timersFromIndex += entries.length;
      await this.prefetch(batch, entries.map((e) => e.userId));
      for (const { key, due, userId } of entries) {
        if (batch.users.has(userId)) continue; // the batch's copy is newer than the index (and already fired)
        const user = await this.user(batch, userId);
        // An entry for another instant than the user's was left behind by a restore: dropped. The user is
        // handled by their own due instant either way (this batch now holds them, so later entries are skipped).
        if (user.due !== due) batch.staleTimerKeys.push(key);
        if (user.state === undefined || user.due === null) continue;
        if (user.due <= now) this.advance(batch, user, user.due, now);
        else batch.dirtyDue.push(user.due, userId);
      }
    }
  }

  private get timerTransitionsPerBatch(): number {
    return TIMER_TRANSITIONS_PER_RECORD * this.ctx.maxBatch;
  }

  private bytesSpent(batch: Batch): boolean {
    return batch.transitionBytes >= (this.ctx.maxBatchBytes ?? MAX_BATCH_BYTES);
  }

  /** Whether the batch takes no more timers: their transitions, or all transitions' bytes, at the bound. */
  private timersFull(batch: Batch): boolean {
    return batch.timerTransitions >= this.timerTransitionsPerBatch || this.bytesSpent(batch);
  }

  /** Fires the user's timers due by `now`, in steps, until done or the batch is full (the rest: next batch). */
  private advance(batch: Batch, user: LoadedUser, due: number, now: number): void {
    this.ctx.metrics.timersFired.inc();
    if (this.ctx.clock === 'wall') this.ctx.metrics.timerLateness.observe(Math.max(0, this.ctx.wallNow() - due) / 1000);
    this.advanceWithin(batch, user, now);
  }

  /** Brings the user to `now` in steps while the batch takes timers; false when it filled first (left behind). */
  private advanceWithin(batch: Batch, user: LoadedUser, now: number): boolean {
    for (;;) {
      const step = Math.max(1, Math.min(ADVANCE_STEP, this.timerTransitionsPerBatch - batch.timerTransitions));
      const result = this.engine.advance(user.state as UserState, now, step);
      batch.timerTransitions += result.transitions.length;
      this.collect(batch, user, result.transitions, result.stats);
      if (result.behind === undefined) return true;
      if (this.timersFull(batch)) return false;
    }
  }

  // ---- commit ------------------------------------------------------------------------------------

  /** Where this partition's changelog records of a committed transaction ended. */
  private changelogOffsetIn(written: LastOffsets): bigint {
    const offset = lastOffsetOf(written, this.ctx.topics.changelog, this.partition);
    if (offset === undefined) throw new Error('changelog offset unknown after the commit');
    return offset;
  }

  protected async commit(batch: Batch): Promise<void> {
    const { topics, metrics } = this.ctx;
    const store = this.store as PartitionStore;
    const storeOps: StoreOp[] = [];
    const changelog: { key: string; value: string | null; partition: number; headers?: Record<string, string> }[] = [];
    // Entries a restore left behind were counted at start (the index's size): they leave the gauge as they go.
    // (Exact unless a user's due instant comes back to one of theirs: that put finds the entry already there.)
    let timersDelta = -batch.staleTimerKeys.length;
    for (const key of batch.staleTimerKeys) storeOps.push({ type: 'del', key });
    // Versions before the instances that enter them: both in this transaction.
    for (const [key, value] of this.unwrittenVersions) {
      storeOps.push({ type: 'put', key, value });
      changelog.push({ key, value, partition: this.partition });
    }
    const committedUsers: [string, CachedUser][] = [];
    for (const [userId, user] of batch.users) {
      if (user.state === undefined) continue;
      const pieces = toPieces(user.state);
      const due = nextDue(user.state);
      for (const [key, value] of pieces) {
        if (user.pieces.get(key) === value) continue;
        storeOps.push({ type: 'put', key, value });
        changelog.push(isCoreKey(key)
          ? { key, value, partition: this.partition, headers: { [DUE_HEADER]: due === null ? '' : String(due) } }
          : { key, value, partition: this.partition });
      }
      for (const key of user.pieces.keys()) {
        if (pieces.has(key)) continue;
        storeOps.push({ type: 'del', key });
        changelog.push({ key, value: null, partition: this.partition });
      }
      if (due !== user.due) {
        if (user.due !== null) {
          const key = timerKey(user.due, userId);
          storeOps.push({ type: 'del', key });
          this.upcoming?.removed(key);
        }
        if (due !== null) {
          const key = timerKey(due, userId);
          storeOps.push({ type: 'put', key, value: '' });
          this.upcoming?.added({ key, due, userId });
        }
        timersDelta += (due === null ? 0 : 1) - (user.due === null ? 0 : 1);
      }
      committedUsers.push([userId, { pieces, due }]);
    }
    // The parsed states are done with once written out: let go before the transaction's round trips (tens of ms on a
    // busy broker), they die young rather than survive two scavenges and go to V8's old generation, whose full
    // collections stall the output.
    batch.users.clear();
    batch.prefetched.clear();
    // The offsets to commit: past the records taken and the transaction markers (or aborted records) read after
    // them, else behind a transactional upstream producer the group would never look caught up.
    const batchOffsets: Partial<Record<Side, string>> = {};
    for (const s of SIDES) {
      const upTo = this.consumedUpTo(s);
      if (upTo !== null && upTo > BigInt(this.meta.offsets[this.topic(s)] ?? '-1')) batchOffsets[s] = upTo.toString();
    }
    const metaOffsets = { ...this.meta.offsets };
    for (const s of SIDES) if (batchOffsets[s] !== undefined) metaOffsets[this.topic(s)] = batchOffsets[s];
    // A partition never read from still matches the group's "no offset" (-1).
    for (const s of SIDES) metaOffsets[this.topic(s)] ??= '-1';
    const clock = Number.isFinite(this.clock) ? this.clock : null;
    const position: ChangelogPosition = { clock, offsets: metaOffsets, live: this.meta.live, sweep: this.meta.sweep, retired: this.meta.retired };
    changelog.push({ key: POSITION_KEY, value: JSON.stringify(position), partition: this.partition });

    const topicMessages: TopicMessages[] = [{ topic: topics.changelog, messages: changelog }];
    if (batch.transitions.length > 0) {
      topicMessages.push({ topic: topics.transitions, messages: batch.transitions });
    }
    if (batch.deadLetters.length > 0) {
      topicMessages.push({ topic: topics.dlq, messages: batch.deadLetters.map((d) => ({ key: d.key, value: this.ctx.encodeDeadLetter(d) })) });
    }
    // The offsets the state is at, also when they did not move (timers fired, a sweep): every offsets commit carries
    // the group generation, so the transaction of a partition this process has lost is refused.
    const offsets = SIDES.filter((s) => metaOffsets[this.topic(s)] !== '-1').map((s) => ({
      topic: this.topic(s), partition: this.partition, offset: metaOffsets[this.topic(s)] as string,
    }));

    const written = await this.ctx.transactions.commit({ owner: this, topicMessages, offsets, more: true });
    const changelogOffset = this.changelogOffsetIn(written);
    this.meta = { ...this.meta, offsets: metaOffsets, changelogOffset: changelogOffset.toString(), clock };
    storeOps.push(store.metaOp(this.meta));
    await store.apply(storeOps);
    this.unwrittenVersions = [];
    for (const [userId, user] of committedUsers) this.recent.set(userId, user);
    for (const userId of this.recent.keys()) {
      if (this.recent.size <= this.ctx.cachedUsers) break;
      this.recent.delete(userId);
    }

    metrics.batches.inc();
    if (timersDelta !== 0) metrics.timersPending.inc({ partition: String(this.partition) }, timersDelta);
    // Counted per journey as they were made: one labelled increment per journey and batch, not one per transition.
    for (const [journey, n] of batch.perJourney) metrics.transitions.inc({ journey }, n);
    this.reportLag();
  }

  /**
   * Records between the input offsets the state stands for (its last commit's) and the high watermark: set when the
   * partition is ready, on every fetched batch and every commit, so it also grows while nothing commits.
   */
  private reportLag(): void {
    for (const s of SIDES) {
      const hw = this.highWatermark[s];
      const committed = this.meta.offsets[this.topic(s)];
      // Nothing processed yet ('-1'): from where reading started.
      const at = committed !== undefined && committed !== '-1' ? BigInt(committed) : this.nextOffset[s];
      if (hw !== null && at !== null) this.ctx.metrics.lag.set({ topic: this.topic(s), partition: String(this.partition) }, Number(hw > at ? hw - at : 0n));
    }
  }
}

/** Whether the user's state differs from the pieces it was read from. */
function changedPieces(user: LoadedUser): boolean {
  if (user.state === undefined) return user.pieces.size > 0;
  const pieces = toPieces(user.state);
  return pieces.size !== user.pieces.size || [...pieces].some(([k, v]) => user.pieces.get(k) !== v);
}

/** The due instant of a core changelog record: from its header (written since it exists), else from the core itself. */
function dueOfCoreRecord(header: Buffer | string | (Buffer | string)[] | undefined, value: Buffer): number | null {
  if (header !== undefined && !Array.isArray(header)) {
    const h = header.toString();
    return h === '' ? null : Number(h);
  }
  return nextDue(parseCore(value.toString('utf8')));
}
