// The journey engine (spec §2–§5): a deterministic function of (user state, input message or the passage
// of time, now, definitions) to (new user state, transitions). No Kafka, no LevelDB, no clock, no
// randomness: `journeys simulate`, the TestDriver and the Kafka processor all run this same code.
//
// Ownership: `process` and `advance` update the state object they are given and return it; a caller that
// needs the old value keeps a serialised copy (the processor serialises each batch anyway).
import {
  END, type Condition, type ConditionEntry, type Definitions, type Journey, type Json, type JsonObject, type SendSpec, type Step, type Target,
  type Where,
} from '../definitions/model';
import { MAX_WINDOWED_COUNT, journeyConditions, performedLeaves } from '../definitions/conditions';
import { DAY } from '../lib/duration';
import { bucketOf, sha256Hex } from '../lib/hash';
import { ownValue, setOwn } from '../lib/own';
import { formatTime } from '../lib/time';
import type { Message } from '../ingest/message';
import { evaluate, getPath, isTimeDependent, matchesWhere, nextChange, type EvalScope } from './conditions';
import {
  liveInstanceCount, newUserState, nextDue,
  type ContextSnapshot, type Instance, type JourneyState, type Path, type SignatureHistory, type Timer, type TimerKind, type UserState,
} from './state';
import { COMPLETE, END_OF_PATH, EXIT, type Cause, type SendPayload, type Transition, type TransitionReason } from './transition';

export interface EngineOptions {
  /** Live instances per user across all journeys (spec §4.1). */
  maxInstances: number;
  /** An instance live this long exits with `reason: expired`. */
  maxLifetime: number;
  /** Timestamps kept per event signature for windowed conditions (oldest dropped beyond it). */
  historyCap: number;
}

export const DEFAULT_OPTIONS: EngineOptions = { maxInstances: 100, maxLifetime: 365 * DAY, historyCap: 10_000 };

const DEDUP_SPAN = DAY;
const DEDUP_MAX = 1000;
/** Longer message ids are remembered by their hash, so 1,000 of them keep a user's state well under 1 MiB. */
const DEDUP_ID_MAX = 64;

/**
 * The form a message id is remembered in: itself up to 64 characters, else `#` and its SHA-256 (65
 * characters, so never equal to an id kept as it is).
 */
export function dedupId(messageId: string): string {
  return messageId.length <= DEDUP_ID_MAX ? messageId : `#${sha256Hex(messageId)}`;
}
const HASHED_ID = /^#[0-9a-f]{64}$/;

const RESTART_MAX = 100;
const CONTEXT_MAX_BYTES = 64 * 1024;
/**
 * A send's traits take at most this much of a transition record (UTF-8 of their JSON): a trait comes from one
 * message (at most 256 KiB), and a step naming several large ones would otherwise make a record over Kafka's 1 MiB
 * limit, which no transaction can commit (the partition would stop there).
 */
const SEND_TRAITS_MAX_BYTES = 512 * 1024;
const TRUNCATED_BYTES = '{"$truncated":true}'.length;

export interface EngineStats {
  duplicates: number;
  refusedEntries: number;
  contextDrops: number;
  /** group/alias messages: deduplicated, counted, otherwise ignored. */
  ignored: number;
  /**
   * Journeys whose live instances were dropped because they are not loaded (the file removed, spec §4.6: "with a
   * warning in the log", which the runtime writes) or because a step they wait at is gone; absent when none.
   */
  dropped?: { journey: string; why: 'not-loaded' | 'archived' | 'step-gone'; instances: number }[];
  /** Journeys whose `migrate` moved live instances of the previous version to the loaded one; absent when none. */
  migrated?: { journey: string; from: number; to: number; instances: number }[];
  /**
   * `$exit` records that undo sends (by transition id), with the destinations each `sent` step sent to, as the
   * version it was sent under defines it: the instance's own, or an earlier one before a migration (the processor
   * tells the sink, spec §6: a draining version's steps may be gone from the loaded file); absent when none.
   */
  sentTo?: { transition: string; steps: [string, readonly string[]][] }[];
}

export interface EngineResult {
  state: UserState;
  transitions: Transition[];
  stats: EngineStats;
  /** `advance` stopped at its transitions limit with timers still due by its `until`: call it again to go on. */
  behind?: true;
}

/** Per-call working set. */
interface Run {
  state: UserState;
  now: number;
  cause: Cause | null;
  out: Transition[];
  stats: EngineStats;
}

/** The context a path sees: the instance context when the message arrived plus the path's own changes. */
interface View {
  ctx: [string, ContextSnapshot][];
}

interface SignatureInfo {
  signature: string;
  where: Where;
  /** The longest window span over leaves with this signature (null: no windowed leaf). */
  maxSpan: number | null;
  /** The most recent timestamps its windowed leaves need to count exactly: the largest count + 1. */
  keep: number;
}

export class Engine {
  readonly options: EngineOptions;
  private readonly journeys: readonly Journey[];
  private readonly journeyById = new Map<string, Journey>();
  /** Every kept version of each loaded journey, the loaded one included: instances finish on their own. */
  private readonly versions = new Map<string, Map<number, Journey>>();
  private readonly stepsOf = new Map<Journey, Map<string, Step>>();
  /** Loaded journeys whose file says `migrate`, each with the version it moves instances from. */
  private readonly migrations: { j: Journey; from: Journey; map: Record<string, string> }[] = [];
  private readonly signaturesByEvent = new Map<string, SignatureInfo[]>();
  /** States already cleared of archived and unknown journeys. */
  private readonly checked = new WeakSet<UserState>();
  /** Condition-entry journeys that went live at a known instant, earliest first. */
  private readonly wentLive: [Journey, ConditionEntry, number][] = [];
  private readonly liveAt = new Map<string, number>();

  /**
   * `liveSince`: when condition-entry journeys went live, by id, for a processor whose users were there before
   * (a journey deployed later). Without an entry, a journey is live from before any user (as in simulate).
   * `earlier`: other versions of the loaded journeys, kept by the processor since they were loaded (spec §4.6):
   * live instances of those versions finish on them; versions of journeys not loaded are ignored.
   */
  constructor(
    private readonly defs: Definitions, options: Partial<EngineOptions> = {}, liveSince: ReadonlyMap<string, number> = new Map(),
    earlier: readonly Journey[] = [],
  ) {
    this.options = { ...DEFAULT_OPTIONS, ...options };
    this.journeys = defs.journeys;
    for (const j of defs.journeys) {
      this.journeyById.set(j.id, j);
      this.versions.set(j.id, new Map([[j.version, j]]));
      this.indexSteps(j);
    }
    for (const e of earlier) {
      const kept = this.versions.get(e.id);
      if (kept === undefined || kept.has(e.version)) continue;
      kept.set(e.version, e);
      this.indexSteps(e);
    }
    for (const j of defs.journeys) {
      const from = j.migrate === null ? undefined : previousVersion(this.versions.get(j.id)?.values() ?? [], j.version);
      if (from !== undefined && j.migrate !== null) this.migrations.push({ j, from, map: j.migrate });
      const at = liveSince.get(j.id);
      if (j.entry.kind === 'condition' && at !== undefined) {
        this.wentLive.push([j, j.entry, at]);
        this.liveAt.set(j.id, at);
      }
    }
    this.wentLive.sort((a, b) => a[2] - b[2]);
    this.indexSignatures();
  }

  /** A message for `msg.userId` (non-null), processed at `now` (the caller has fired timers due by then). */
  process(stateIn: UserState | undefined, msg: Message, now: number): EngineResult {
    if (msg.userId === null) throw new Error('engine: a message without userId is skipped before the engine');
    const state = stateIn ?? newUserState(msg.userId, now);
    const run = this.startRun(state, state.now, null);
    this.dropRetired(run);
    this.goLive(run, now);
    // Normally a no-op: the caller fires everything due before the message moves the clock (spec §3).
    this.fireDue(run, now);
    run.now = Math.max(run.now, now);
    state.now = run.now;
    if (this.migrate(run, run.now)) this.fireDue(run, run.now);
    run.cause = { messageId: msg.messageId, event: msg.event };
    const facts = this.recordFacts(state, msg, run.now);
    if (facts !== 'recorded') {
      if (facts === 'duplicate') run.stats.duplicates++;
      else run.stats.ignored++;
      return this.finish(run);
    }

    for (const j of this.journeys) {
      const js = ownValue(state.journeys, j.id);
      if (js !== undefined && js.instances.length > 0) {
        // Exit rules and exit conditions first: an exit wins over any other match of the same message.
        for (const inst of js.instances.slice()) {
          const jv = this.versionOf(j, inst);
          const rule = msg.event === null ? undefined : jv.exit.events.find((r) =>
            r.event === msg.event && matchesWhere(r.where, msg.properties, msg.timestamp) && (!r.sameKey || this.sameKey(jv, inst, msg.properties)));
          if (rule !== undefined) this.exitInstance(run, jv, js, inst, 'exit-rule', [rule.event, msg.properties]);
          else if (jv.exit.condition !== null && evaluate(jv.exit.condition, this.scope(run, null))) this.exitInstance(run, jv, js, inst, 'exit-condition');
        }
        // Then the paths that were waiting when the message arrived, each offered it once.
        for (const inst of js.instances.slice()) {
          const jv = this.versionOf(j, inst);
          const arrival = inst.context;
          for (const path of inst.paths.slice()) {
            if (!js.instances.includes(inst)) break;
            if (inst.paths.includes(path)) this.offer(run, jv, js, inst, path, msg, { ctx: arrival });
          }
        }
      }
      this.tryEntry(run, j, msg);
    }
    return this.finish(run);
  }

  /**
   * Replay (spec §7): what a message tells about the user (deduplication, traits, the event history of every
   * signature) and nothing else: no journey is offered it. A replay builds these facts apart, then merges the
   * history into the user's state with `adoptHistory`.
   */
  learn(state: UserState, msg: Message, now: number): { duplicate: boolean } {
    state.now = Math.max(state.now, now);
    return { duplicate: this.recordFacts(state, msg, state.now) === 'duplicate' };
  }

  /**
   * What a message tells about the user, before any journey is offered it (spec §3, order of evaluation): its id
   * for deduplication, its traits, its event in the history. A duplicate, or a group/alias message, tells no more.
   */
  private recordFacts(state: UserState, msg: Message, now: number): 'recorded' | 'duplicate' | 'ignored' {
    if (this.isDuplicate(state, msg, now)) return 'duplicate';
    if (msg.type === 'group' || msg.type === 'alias') return 'ignored';
    if (msg.traits !== null) mergeTraits(state.traits, msg.traits);
    if (msg.event !== null) this.recordEvent(state, msg, now);
    return 'recorded';
  }

  /**
   * Takes a replay's history into the state, signature by signature. Both end at the same input offset, so the
   * one that counted more matching events started earlier and saw every event the other did (the state's began
   * when its signature was first tracked, the replay's at `--from`): a replay that counted more replaces the
   * state's. Otherwise the state's count stands, but its timestamps are only those its journeys' windows kept,
   * and a journey new to the replay may count further back: the replay's timestamps older than the state's oldest
   * are added (the same events, seen by both). Then the instant a time-dependent condition next flips is worked
   * out again. Returns whether any history changed.
   */
  adoptHistory(state: UserState, replayed: Readonly<Record<string, SignatureHistory>>): boolean {
    let changed = false;
    for (const [signature, h] of Object.entries(replayed)) {
      const own = state.history[signature];
      if (own === undefined || h.n > own.n) {
        state.history[signature] = { n: h.n, ts: [...h.ts] };
        changed = true;
        continue;
      }
      const oldest = own.ts[0] ?? Number.POSITIVE_INFINITY;
      const older = h.ts.filter((t) => t < oldest);
      if (older.length === 0) continue;
      own.ts = [...older, ...own.ts];
      changed = true;
    }
    if (changed) state.flipAt = this.computeFlip(this.startRun(state, state.now, null));
    return changed;
  }

  /**
   * Fires everything due at or before `until`, in due-time order, each at its own due time. With `maxTransitions`,
   * stops at the first instant after which the transitions made number at least that many, if timers are still
   * due then (`behind`); the next call goes on from there, with the same records in the end. (The processor
   * bounds a transaction so: a re-entry every second for ten days is 1.7 million records from one user's timers.)
   */
  advance(state: UserState, until: number, maxTransitions = Number.POSITIVE_INFINITY): EngineResult {
    const run = this.startRun(state, state.now, null);
    this.dropRetired(run);
    if (!this.goLive(run, until, maxTransitions) || !this.fireDue(run, until, maxTransitions)) {
      return { state, transitions: run.out, stats: run.stats, behind: true };
    }
    // A migration happens at `until` (a processor brings every user to the instant it loaded the new version).
    if (this.migrate(run, until)) {
      this.fireDue(run, run.now);
      state.flipAt = this.computeFlip(run);
    }
    return { state, transitions: run.out, stats: run.stats };
  }

  /**
   * Condition-entry journeys that went live after the user was last seen, up to `until`: at that instant (after
   * the timers due by then) the condition's truth is the user's starting point, so only a later false→true change
   * enters them; with `historical: true`, a user for whom it holds then enters then (spec §4.1). A new version
   * going live does the same for users who knew the previous one (its condition may differ); whether they may
   * enter again is the journey's re-entry rule, as ever.
   */
  private goLive(run: Run, until: number, maxOut = Number.POSITIVE_INFINITY): boolean {
    const { state } = run;
    const seen = state.now;
    let changed = false;
    for (const [j, entry, at] of this.wentLive) {
      // A user last seen at the go-live instant itself was seen before it (a journey goes live between records).
      if (at < seen || at > until || this.wentLiveFor(state, j)) continue;
      if (!this.fireDue(run, at, maxOut)) {
        if (changed) state.flipAt = this.computeFlip(run);
        return false;
      }
      run.now = Math.max(run.now, at);
      state.now = run.now;
      const js = this.journeyState(state, j.id);
      js.conditionTrue = evaluate(entry.condition, this.scope(run, null));
      js.liveV = j.version;
      changed = true;
      if (js.conditionTrue && entry.historical && j.status === 'live' && this.conditionEntryAllowed(run, j, js) && this.underLimit(run)) {
        this.start(run, j, js, undefined, []);
      }
    }
    if (changed) state.flipAt = this.computeFlip(run);
    return true;
  }

  /** Whether the go-live of the journey's current version has set the user's starting point. */
  private wentLiveFor(state: UserState, j: Journey): boolean {
    return ownValue(state.journeys, j.id)?.liveV === j.version;
  }

  /**
   * Fires the timers due by `until`, instant by instant; false when it stopped with some still due because the
   * run's transitions reached `maxOut`. It stops only between instants (one instant's timers fire together) and
   * after one at least, so the user's next due instant has moved on when it does.
   */
  private fireDue(run: Run, until: number, maxOut = Number.POSITIVE_INFINITY): boolean {
    const { state } = run;
    let fired: number | null = null;
    for (let due = nextDue(state); due !== null && due <= until; due = nextDue(state)) {
      if (fired !== null && due > fired && run.out.length >= maxOut) return false;
      fired = due;
      run.now = Math.max(run.now, due);
      state.now = run.now;
      this.fireAt(run, due);
      state.flipAt = this.computeFlip(run);
    }
    return true;
  }

  // ---- time ----------------------------------------------------------------------------------------

  private fireAt(run: Run, t: number): void {
    const { state } = run;
    // At one instant: exit.after and expiry timers; then waits, timeouts and re-entries in scheduling order;
    // then conditions that time turned true or false.
    const exits: Timer[] = [];
    const others: Timer[] = [];
    for (const x of state.timers) if (x.at <= t) (x.kind === 'exit-after' || x.kind === 'expiry' ? exits : others).push(x);
    const order = (a: Timer, b: Timer) => a.at - b.at || a.seq - b.seq;
    if (exits.length > 1) exits.sort(order);
    if (others.length > 1) others.sort(order);
    for (const timer of exits) {
      if (!this.unschedule(state, timer)) continue;
      const found = this.findInstance(state, timer);
      if (found) this.exitInstance(run, found.j, found.js, found.inst, timer.kind === 'expiry' ? 'expired' : 'exit-after');
    }
    // A waitUntil whose condition time has made true at its timeout goes on by the condition, where conditions
    // that time turned true are re-evaluated: after this instant's timers (spec §3). Made true by time: false a
    // millisecond before with the same state. One already true then was made true by a change of context the path
    // has not seen (another path's match: seen from the next message or flip on), and the timeout wins.
    let conditionAtTimeout = false;
    for (const timer of others) {
      if (!this.unschedule(state, timer)) continue;
      if (timer.kind === 'reentry') {
        this.fireReentry(run, timer.journey);
        continue;
      }
      const found = this.findInstance(state, timer);
      const path = found?.inst.paths.find((p) => p.id === timer.path);
      if (!found || !path) continue;
      const { j, js, inst } = found;
      const step = this.step(j, path.step);
      const view = { ctx: inst.context };
      if (step.type === 'wait') this.move(run, j, js, inst, path, step.next, 'wait', view);
      else if (step.type === 'waitFor') this.move(run, j, js, inst, path, step.onTimeout, 'timeout', view);
      else if (step.type === 'waitUntil') {
        const scope = this.scope(run, view.ctx);
        if (evaluate(step.condition, scope) && !evaluate(step.condition, { ...scope, now: t - 1 })) conditionAtTimeout = true;
        else this.move(run, j, js, inst, path, step.onTimeout, 'timeout', view);
      }
    }
    if (conditionAtTimeout || (state.flipAt !== null && state.flipAt <= t)) this.reevaluate(run);
  }

  /** Re-evaluates every condition that time can change: exit conditions, waiting paths, condition entries. */
  private reevaluate(run: Run): void {
    for (const j of this.journeys) {
      const js = ownValue(run.state.journeys, j.id);
      if (js !== undefined && js.instances.length > 0) {
        for (const inst of js.instances.slice()) {
          const jv = this.versionOf(j, inst);
          if (jv.exit.condition !== null && evaluate(jv.exit.condition, this.scope(run, null))) this.exitInstance(run, jv, js, inst, 'exit-condition');
        }
        for (const inst of js.instances.slice()) {
          const jv = this.versionOf(j, inst);
          for (const path of inst.paths.slice()) {
            if (!js.instances.includes(inst)) break;
            if (inst.paths.includes(path)) this.offer(run, jv, js, inst, path, null, { ctx: inst.context });
          }
        }
      }
      if (j.entry.kind === 'condition') this.tryEntry(run, j, null);
    }
  }

  /** The earliest instant after `now` at which time alone can change a watched condition. */
  private computeFlip(run: Run): number | null {
    let next: number | null = null;
    const consider = (cond: Condition, ctx: [string, ContextSnapshot][] | null): void => {
      if (!isTimeDependent(cond, this.defs.audiences)) return;
      const t = nextChange(cond, this.scope(run, ctx));
      if (t !== null && (next === null || t < next)) next = t;
    };
    for (const j of this.journeys) {
      const js = ownValue(run.state.journeys, j.id);
      for (const inst of js?.instances ?? []) {
        const jv = this.versionOf(j, inst);
        if (jv.exit.condition !== null) consider(jv.exit.condition, null);
        for (const path of inst.paths) {
          const step = this.step(jv, path.step);
          if (step.type === 'waitUntil') consider(step.condition, inst.context);
          else if (step.type === 'branch') step.branches.forEach((b, i) => { if (!path.taken?.[i]) consider(b.when, inst.context); });
        }
      }
      if (j.entry.kind === 'condition' && this.conditionEntryWatched(j, js)) consider(j.entry.condition, null);
    }
    return next;
  }

  private conditionEntryWatched(j: Journey, js: JourneyState | undefined): boolean {
    if (j.status !== 'live' && j.status !== 'paused') return false;
    return !(j.entry.reentry === 'once' && js !== undefined && js.entries > 0);
  }

  // ---- paths ---------------------------------------------------------------------------------------

  /** Offers a message (or, with null, the passage of time) to a waiting path. */
  private offer(run: Run, j: Journey, js: JourneyState, inst: Instance, path: Path, msg: Message | null, view: View): void {
    const step = this.step(j, path.step);
    switch (step.type) {
      case 'waitFor': {
        if (msg === null || msg.event === null) return;
        const branch = step.branches.find((b) =>
          b.event === msg.event && matchesWhere(b.where, msg.properties, msg.timestamp) && (!b.sameKey || this.sameKey(j, inst, msg.properties)));
        if (branch === undefined) return;
        if (branch.restart) {
          // Past the limit a restart match is dropped, not offered to other branches.
          if (path.restarts >= RESTART_MAX) return;
          path.restarts++;
          this.addContext(run, inst, view, branch.alias ?? branch.event, msg.properties);
          this.cancelPathTimers(run.state, j, inst, path);
          this.record(run, j, inst, path.step, path.step, 'restart');
          this.schedule(run.state, 'timeout', run.now + step.timeout, j.id, inst.seq, path.id);
          return;
        }
        this.addContext(run, inst, view, branch.alias ?? branch.event, msg.properties);
        this.move(run, j, js, inst, path, branch.next, 'event', view);
        return;
      }
      case 'waitUntil':
        if (evaluate(step.condition, this.scope(run, view.ctx))) this.move(run, j, js, inst, path, step.next, 'condition', view);
        return;
      case 'branch':
        this.takeBranches(run, j, js, inst, path, step, view);
        return;
      default:
        return;
    }
  }

  /** Moves a path to `target` (a step or `end`), then runs the step until it waits or the path ends. */
  private move(run: Run, j: Journey, js: JourneyState, inst: Instance, path: Path, target: Target, reason: TransitionReason, view: View): void {
    this.cancelPathTimers(run.state, j, inst, path);
    // A step is entered once per instance: a later arrival (a join) ends its path.
    if (target === 'end' || inst.entered.includes(target)) {
      this.endPath(run, j, js, inst, path);
      return;
    }
    const step = this.step(j, target);
    inst.entered.push(target);
    this.record(run, j, inst, path.step, target, reason, step.type === 'send' ? this.sendPayload(run, step.send) : undefined);
    path.step = target;
    path.restarts = 0;
    delete path.taken;
    this.enterStep(run, j, js, inst, path, step, view);
  }

  private enterStep(run: Run, j: Journey, js: JourneyState, inst: Instance, path: Path, step: Step, view: View): void {
    switch (step.type) {
      case 'wait':
        this.schedule(run.state, 'wait', run.now + step.duration, j.id, inst.seq, path.id);
        return;
      case 'waitFor':
        this.schedule(run.state, 'timeout', run.now + step.timeout, j.id, inst.seq, path.id);
        return;
      case 'waitUntil':
        if (evaluate(step.condition, this.scope(run, view.ctx))) this.move(run, j, js, inst, path, step.next, 'condition', view);
        else if (step.timeout !== null) this.schedule(run.state, 'timeout', run.now + step.timeout, j.id, inst.seq, path.id);
        return;
      case 'split': {
        const branch = step.branches.find((b) => evaluate(b.when, this.scope(run, view.ctx)));
        this.move(run, j, js, inst, path, branch?.next ?? step.else, 'split', view);
        return;
      }
      case 'random': {
        const seed = step.sticky ? `${j.id}:${step.id}:${run.state.userId}` : `${j.id}:${step.id}:${run.state.userId}:${inst.seq}`;
        const bucket = bucketOf(seed);
        let upper = 0;
        let chosen = step.branches[step.branches.length - 1];
        for (const b of step.branches) {
          upper += b.percent;
          if (bucket < upper) {
            chosen = b;
            break;
          }
        }
        this.move(run, j, js, inst, path, chosen?.next ?? 'end', 'random', view);
        return;
      }
      case 'send':
        if (!inst.sent.includes(step.id)) inst.sent.push(step.id);
        this.move(run, j, js, inst, path, step.next, 'next', view);
        return;
      case 'branch':
        path.taken = step.branches.map(() => false);
        this.takeBranches(run, j, js, inst, path, step, view);
        return;
    }
  }

  /**
   * Non-exclusive branch: every untaken branch whose condition holds is taken, in listed order, each by a
   * new forked path followed depth first, except the branch that completes the set, which the waiting
   * path itself takes (keeping its place).
   */
  private takeBranches(run: Run, j: Journey, js: JourneyState, inst: Instance, path: Path, step: Step & { type: 'branch' }, view: View): void {
    const taken = path.taken ?? (path.taken = step.branches.map(() => false));
    for (let i = 0; i < step.branches.length; i++) {
      const branch = step.branches[i];
      if (branch === undefined || taken[i] || !evaluate(branch.when, this.scope(run, view.ctx))) continue;
      taken[i] = true;
      if (taken.every(Boolean)) {
        this.move(run, j, js, inst, path, branch.next, 'branch', view);
        return;
      }
      const fork: Path = { id: inst.nextPathId++, step: step.id, restarts: 0 };
      inst.paths.push(fork);
      this.move(run, j, js, inst, fork, branch.next, 'branch', { ctx: view.ctx });
    }
  }

  private endPath(run: Run, j: Journey, js: JourneyState, inst: Instance, path: Path): void {
    const i = inst.paths.indexOf(path);
    if (i >= 0) inst.paths.splice(i, 1);
    this.cancelPathTimers(run.state, j, inst, path);
    if (inst.paths.length === 0) {
      this.record(run, j, inst, path.step, COMPLETE, 'end');
      this.close(run, j, js, inst);
    } else {
      this.record(run, j, inst, path.step, END_OF_PATH, 'end');
    }
  }

  // ---- instances -----------------------------------------------------------------------------------

  private tryEntry(run: Run, j: Journey, msg: Message | null): void {
    if (j.status !== 'live' && !(j.status === 'paused' && j.entry.kind === 'condition')) return;
    const entry = j.entry;
    if (entry.kind === 'event') {
      if (msg === null || msg.event !== entry.event) return;
      if (!matchesWhere(entry.where, msg.properties, msg.timestamp)) return;
      let key: Json | undefined;
      if (entry.key !== null) {
        key = keyValue(msg.properties, entry.key);
        if (key === undefined) return;
      }
      if (entry.when !== null && !evaluate(entry.when, this.scope(run, null))) return;
      const js = this.journeyState(run.state, j.id);
      switch (entry.reentry) {
        case 'once':
          if (js.entries > 0) return;
          break;
        case 'after-exit':
          if (js.instances.length > 0) return;
          if (entry.reentryAfter !== null && js.lastEndAt !== null && run.now < js.lastEndAt + entry.reentryAfter) return;
          break;
        case 'always':
          if (key === undefined ? js.instances.length > 0 : js.instances.some((i) => keyEquals(i.key, key))) return;
          break;
      }
      if (!this.underLimit(run)) return;
      this.start(run, j, js, key, [[entry.event, msg.properties]]);
      return;
    }
    // Condition entry: enter on a false→true change (a refused entry still consumes the change). Not before the
    // journey went live for a user seen before it: the user's timers and flips up to then (fired by goLive on the
    // way to that instant) belong to the time before it existed; goLive then sets their starting point.
    const liveAt = this.liveAt.get(j.id);
    if (liveAt !== undefined && run.now <= liveAt && !this.wentLiveFor(run.state, j)) return;
    const js = this.journeyState(run.state, j.id);
    const truth = evaluate(entry.condition, this.scope(run, null));
    const changed = truth && !js.conditionTrue;
    js.conditionTrue = truth;
    if (!changed || j.status !== 'live' || !this.conditionEntryAllowed(run, j, js)) return;
    if (!this.underLimit(run)) return;
    this.start(run, j, js, undefined, []);
  }

  private conditionEntryAllowed(run: Run, j: Journey, js: JourneyState): boolean {
    if (j.entry.reentry === 'once') return js.entries === 0;
    if (js.instances.length > 0) return false;
    const after = j.entry.reentryAfter;
    return js.lastEndAt === null || after === null || run.now >= js.lastEndAt + after;
  }

  /** A condition entry's re-entry time has come: a user who still qualifies re-enters now. */
  private fireReentry(run: Run, journeyId: string): void {
    const j = this.journeyById.get(journeyId);
    if (j === undefined || j.entry.kind !== 'condition') return;
    const js = this.journeyState(run.state, j.id);
    const truth = evaluate(j.entry.condition, this.scope(run, null));
    js.conditionTrue = truth;
    if (!truth || j.status !== 'live' || !this.conditionEntryAllowed(run, j, js)) return;
    if (!this.underLimit(run)) return;
    this.start(run, j, js, undefined, []);
  }

  private underLimit(run: Run): boolean {
    if (liveInstanceCount(run.state) < this.options.maxInstances) return true;
    run.stats.refusedEntries++;
    return false;
  }

  private start(run: Run, j: Journey, js: JourneyState, key: Json | undefined, context: [string, ContextSnapshot][]): void {
    const first = j.steps[0];
    if (first === undefined) return;
    js.entries++;
    const inst: Instance = {
      seq: js.entries, version: j.version, enteredAt: run.now, lastSeq: 0, context: [],
      paths: [{ id: 1, step: first.id, restarts: 0 }], nextPathId: 2, entered: [first.id], sent: [],
    };
    if (key !== undefined) inst.key = key;
    for (const [k, props] of context) this.addContext(run, inst, null, k, props);
    const view: View = { ctx: inst.context };
    js.instances.push(inst);
    if (j.exit.after !== null) this.schedule(run.state, 'exit-after', run.now + j.exit.after, j.id, inst.seq, 0);
    this.schedule(run.state, 'expiry', run.now + this.options.maxLifetime, j.id, inst.seq, 0);
    this.record(run, j, inst, null, first.id, 'entry', first.type === 'send' ? this.sendPayload(run, first.send) : undefined);
    // exit.condition is watched from the first instant: an instance that qualifies leaves at once.
    const path = inst.paths[0];
    if (j.exit.condition !== null && evaluate(j.exit.condition, this.scope(run, null))) {
      if (first.type === 'send') inst.sent.push(first.id);
      this.exitInstance(run, j, js, inst, 'exit-condition');
      return;
    }
    if (path !== undefined) this.enterStep(run, j, js, inst, path, first, view);
  }

  private exitInstance(run: Run, j: Journey, js: JourneyState, inst: Instance, reason: TransitionReason, matched?: [string, JsonObject]): void {
    if (matched !== undefined) this.addContext(run, inst, null, matched[0], matched[1]);
    const from = inst.paths[0]?.step ?? null;
    const send = j.exit.send === null ? undefined : this.sendPayload(run, j.exit.send);
    this.record(run, j, inst, from, EXIT, reason, send, inst.sent.slice());
    const exit = run.out[run.out.length - 1];
    if (exit !== undefined && inst.sent.length > 0) (run.stats.sentTo ??= []).push({ transition: exit.id, steps: this.sentTo(j, inst) });
    this.close(run, j, js, inst);
  }

  private close(run: Run, j: Journey, js: JourneyState, inst: Instance): void {
    const i = js.instances.indexOf(inst);
    if (i >= 0) js.instances.splice(i, 1);
    run.state.timers = run.state.timers.filter((t) => !(t.journey === j.id && t.instance === inst.seq));
    js.lastEndAt = run.now;
    // Re-entry follows the loaded version's entry, whichever version the instance ran on.
    const entry = (this.journeyById.get(j.id) ?? j).entry;
    if (entry.kind === 'condition' && entry.reentry === 'after-exit' && entry.reentryAfter !== null) {
      this.schedule(run.state, 'reentry', run.now + entry.reentryAfter, j.id, 0, 0);
    }
  }

  /**
   * Archived journeys, and journeys whose file is gone, stop at once: instances dropped, no transitions. So do
   * instances waiting at a step their version no longer has (its file edited in place, or a version not kept,
   * whose instances run on the loaded file): they cannot go on, and keeping them would fail every message of
   * the user.
   */
  private dropRetired(run: Run): void {
    // Checked once per state object: definitions do not change under an engine.
    if (this.checked.has(run.state)) return;
    this.checked.add(run.state);
    for (const id in run.state.journeys) {
      const js = run.state.journeys[id];
      if (js === undefined || js.instances.length === 0) continue;
      const j = this.journeyById.get(id);
      const stepGone = (inst: Instance): boolean => {
        const steps = j === undefined ? undefined : this.stepsOf.get(this.versionOf(j, inst));
        return steps !== undefined && inst.paths.some((p) => !steps.has(p.step));
      };
      const why = j === undefined ? 'not-loaded' : j.status === 'archived' ? 'archived' : js.instances.some(stepGone) ? 'step-gone' : null;
      if (why === null) continue;
      // A retired journey loses every instance and timer; otherwise only the stranded instances go, with their timers.
      const kept = why === 'step-gone' ? js.instances.filter((inst) => !stepGone(inst)) : [];
      const gone = new Set(js.instances.filter((inst) => !kept.includes(inst)).map((inst) => inst.seq));
      (run.stats.dropped ??= []).push({ journey: id, why, instances: gone.size });
      js.instances = kept;
      run.state.timers = run.state.timers.filter((t) => t.journey !== id || (why === 'step-gone' && (t.kind === 'reentry' || !gone.has(t.instance))));
    }
  }

  /**
   * Spec §4.6: a version whose file says `migrate` moves the live instances of the previous version (the latest
   * kept before it) whose every path is at a step the map names; the others drain on their own version. Done
   * once per user and version, the first time the user is evaluated under it (a processor does it for all its
   * users at the instant it loads the version), at `at`: the user's clock moves there when a decision is due.
   * Returns whether any instance moved.
   */
  private migrate(run: Run, at: number): boolean {
    let moved = false;
    for (const { j, from, map } of this.migrations) {
      const js = ownValue(run.state.journeys, j.id);
      if (js === undefined || decided(js, j)) continue;
      const previous = js.instances.filter((inst) => inst.version === from.version);
      if (previous.length === 0) continue;
      run.now = Math.max(run.now, at);
      run.state.now = run.now;
      js.migrated = j.version;
      const movable = previous.filter((inst) => inst.paths.every((p) => ownValue(map, p.step) !== undefined));
      for (const inst of movable) this.migrateInstance(run, j, from, js, inst, map);
      if (movable.length > 0) {
        moved = true;
        (run.stats.migrated ??= []).push({ journey: j.id, from: from.version, to: j.version, instances: movable.length });
      }
    }
    return moved;
  }

  /**
   * The instance goes on under `j`, unless it leaves at once by the new version's rules: its `exit.after`
   * (counted from the entry) already past, or its exit condition holding, in that order (timers before
   * conditions, spec §3). Each path enters its mapped step, one record each (reason `next`, as for plain
   * succession; `end` ends the path). Two paths mapped to one step join there: the later one ends. A path that
   * waited at a step of the same kind keeps its timer (its wait is not restarted); otherwise the new step runs
   * as on any entry. Steps passed before count as entered under their mapped ids (ids are persisted contracts,
   * spec §4, so an unmapped id names the same step in both versions).
   */
  private migrateInstance(run: Run, j: Journey, from: Journey, js: JourneyState, inst: Instance, map: Record<string, string>): void {
    // What the sends so far went to, by the version they were made under (the first one, over several migrations).
    for (const id of inst.sent) {
      const step = this.stepsOf.get(from)?.get(id);
      if (step?.type !== 'send' || inst.sentEarlier?.some(([sent]) => sent === id) === true) continue;
      (inst.sentEarlier ??= []).push([id, step.send.to.slice()]);
    }
    inst.version = j.version;
    inst.entered = [...new Set(inst.entered.map((id) => ownValue(map, id) ?? id))];
    run.state.timers = run.state.timers.filter((t) => !(t.kind === 'exit-after' && t.journey === j.id && t.instance === inst.seq));
    const exitAt = j.exit.after === null ? null : inst.enteredAt + j.exit.after;
    if (exitAt !== null && exitAt <= run.now) {
      this.exitInstance(run, j, js, inst, 'exit-after');
      return;
    }
    if (exitAt !== null) this.schedule(run.state, 'exit-after', exitAt, j.id, inst.seq, 0);
    if (j.exit.condition !== null && evaluate(j.exit.condition, this.scope(run, null))) {
      this.exitInstance(run, j, js, inst, 'exit-condition');
      return;
    }
    const view: View = { ctx: inst.context };
    const arrived = new Set<string>();
    for (const path of inst.paths.slice()) {
      if (!js.instances.includes(inst)) return;
      const target = ownValue(map, path.step) as Target;
      if (target === END || arrived.has(target)) {
        this.endPath(run, j, js, inst, path);
        continue;
      }
      arrived.add(target);
      const step = this.step(j, target);
      const keepsTimer = sameWait(this.step(from, path.step), step);
      if (!keepsTimer) this.cancelPathTimers(run.state, j, inst, path);
      if (!inst.entered.includes(target)) inst.entered.push(target);
      this.record(run, j, inst, path.step, target, 'next', step.type === 'send' ? this.sendPayload(run, step.send) : undefined);
      if (step.type === 'send') {
        // A send step sent under the earlier version and entered again here: its $exit tells both versions' destinations.
        const earlier = inst.sentEarlier?.find(([sent]) => sent === target);
        if (earlier !== undefined) for (const to of step.send.to) if (!earlier[1].includes(to)) earlier[1].push(to);
      }
      path.step = target;
      path.restarts = 0;
      delete path.taken;
      if (!keepsTimer) this.enterStep(run, j, js, inst, path, step, view);
      else if (step.type === 'waitUntil') this.offer(run, j, js, inst, path, null, view);
    }
  }

  // ---- records and context -------------------------------------------------------------------------

  private record(run: Run, j: Journey, inst: Instance, from: string | null, to: string, reason: TransitionReason, send?: SendPayload, sent?: string[]): void {
    const seq = ++inst.lastSeq;
    const instance = `${run.state.userId}/${j.id}/${inst.seq}`;
    run.out.push({
      id: sha256Hex(`${j.id}:${inst.version}:${instance}:${seq}`),
      journey: j.id, version: inst.version, instance, seq, userId: run.state.userId,
      from, to, reason, at: formatTime(run.now), cause: run.cause,
      ...(send === undefined ? {} : { send }),
      context: Object.fromEntries(inst.context),
      ...(sent === undefined ? {} : { sent }),
    });
  }

  /** The traits are taken in the step's order; one that would take them past SEND_TRAITS_MAX_BYTES is `{"$truncated": true}`. */
  private sendPayload(run: Run, spec: SendSpec): SendPayload {
    const traits: JsonObject = {};
    let bytes = 2; // {}
    for (const name of spec.traits) {
      const value = ownValue(run.state.traits, name);
      if (value === undefined || ownValue(traits, name) !== undefined) continue; // a name listed twice is sent once
      const keyBytes = Buffer.byteLength(JSON.stringify(name), 'utf8') + 2; // "name": and a comma
      const valueBytes = (typeof value === 'object' && value !== null) || typeof value === 'string' ? Buffer.byteLength(JSON.stringify(value), 'utf8') : 24;
      const kept = bytes + keyBytes + valueBytes <= SEND_TRAITS_MAX_BYTES ? value : { $truncated: true };
      bytes += keyBytes + (kept === value ? valueBytes : TRUNCATED_BYTES);
      setOwn(traits, name, kept);
    }
    return { to: spec.to.slice(), event: spec.event, traits };
  }

  /**
   * Adds a snapshot under `key` (replacing makes it newest), keeping the context within 64 KiB by
   * dropping the oldest snapshots, never the newest; a snapshot too big on its own is stored truncated.
   */
  private addContext(run: Run, inst: Instance, view: View | null, key: string, props: JsonObject): void {
    const put = (ctx: [string, ContextSnapshot][], count: boolean): [string, ContextSnapshot][] => {
      let snapshot: ContextSnapshot = props;
      if (snapshotBytes(snapshot) > CONTEXT_MAX_BYTES) snapshot = { $truncated: true };
      const next = ctx.filter((e) => e[0] !== key);
      next.push([key, snapshot]);
      let total = 1 + next.reduce((n, [k, v]) => n + 1 + entryBytes(k, v), 0);
      while (total > CONTEXT_MAX_BYTES && next.length > 1) {
        const dropped = next.shift();
        if (dropped !== undefined) total -= 1 + entryBytes(dropped[0], dropped[1]);
        if (count) run.stats.contextDrops++;
      }
      return next;
    };
    const before = inst.context;
    inst.context = put(before, true);
    if (view !== null) view.ctx = view.ctx === before ? inst.context : put(view.ctx, false);
  }

  // ---- timers --------------------------------------------------------------------------------------

  private schedule(state: UserState, kind: TimerKind, at: number, journey: string, instance: number, path: number): void {
    state.timers.push({ at, seq: ++state.timerSeq, kind, journey, instance, path });
  }

  private unschedule(state: UserState, timer: Timer): boolean {
    const i = state.timers.indexOf(timer);
    if (i < 0) return false;
    state.timers.splice(i, 1);
    return true;
  }

  private cancelPathTimers(state: UserState, j: Journey, inst: Instance, path: Path): void {
    if (state.timers.some((t) => t.path === path.id && t.instance === inst.seq && t.journey === j.id)) {
      state.timers = state.timers.filter((t) => !(t.path === path.id && t.instance === inst.seq && t.journey === j.id));
    }
  }

  private findInstance(state: UserState, timer: Timer): { j: Journey; js: JourneyState; inst: Instance } | undefined {
    const j = this.journeyById.get(timer.journey);
    const js = ownValue(state.journeys, timer.journey);
    const inst = js?.instances.find((i) => i.seq === timer.instance);
    return j && js && inst ? { j: this.versionOf(j, inst), js, inst } : undefined;
  }

  // ---- helpers -------------------------------------------------------------------------------------

  private startRun(state: UserState, now: number, cause: Cause | null): Run {
    const t = Math.max(now, state.now);
    state.now = t;
    return { state, now: t, cause, out: [], stats: { duplicates: 0, refusedEntries: 0, contextDrops: 0, ignored: 0 } };
  }

  private finish(run: Run): EngineResult {
    run.state.flipAt = this.computeFlip(run);
    return { state: run.state, transitions: run.out, stats: run.stats };
  }

  private scope(run: Run, context: [string, ContextSnapshot][] | null): EvalScope {
    return { state: run.state, now: run.now, context, audiences: this.defs.audiences };
  }

  private indexSteps(j: Journey): void {
    this.stepsOf.set(j, new Map(j.steps.map((s) => [s.id, s])));
  }

  /**
   * The version an instance runs on: the one it entered (spec §4.6), or the loaded one when that version is not
   * kept (state written before the processor kept versions).
   */
  private versionOf(j: Journey, inst: Instance): Journey {
    return inst.version === j.version ? j : this.versions.get(j.id)?.get(inst.version) ?? j;
  }

  /** Where each `sent` step of the instance sent to: by its version `j`, or the earlier one it was sent under. */
  private sentTo(j: Journey, inst: Instance): [string, readonly string[]][] {
    const out: [string, readonly string[]][] = [];
    for (const id of inst.sent) {
      const step = this.stepsOf.get(j)?.get(id);
      const to = inst.sentEarlier?.find(([sent]) => sent === id)?.[1] ?? (step?.type === 'send' ? step.send.to : undefined);
      if (to !== undefined) out.push([id, to]);
    }
    return out;
  }

  private step(j: Journey, id: string): Step {
    const step = this.stepsOf.get(j)?.get(id);
    if (step === undefined) throw new Error(`engine: journey ${j.id} has no step ${id}`);
    return step;
  }

  private journeyState(state: UserState, id: string): JourneyState {
    let js = ownValue(state.journeys, id);
    if (js === undefined) {
      js = { entries: 0, lastEndAt: null, conditionTrue: false, instances: [] };
      setOwn(state.journeys, id, js);
    }
    return js;
  }

  private sameKey(j: Journey, inst: Instance, properties: JsonObject): boolean {
    if (j.entry.kind !== 'event' || j.entry.key === null) return true;
    const value = keyValue(properties, j.entry.key);
    return value !== undefined && keyEquals(inst.key, value);
  }

  /**
   * A message is a duplicate when the user had one with the same messageId processed at a `now` less than
   * 24 h earlier, among their last 1,000 processed messages. A duplicate is not processed (and renews nothing).
   */
  private isDuplicate(state: UserState, msg: Message, now: number): boolean {
    const seen = state.dedup;
    let stale = 0;
    while (stale < seen.length) {
      const entry = seen[stale] as [string, number, number];
      if (now - entry[1] < DEDUP_SPAN && entry[2] > state.processed - DEDUP_MAX) break;
      stale++;
    }
    if (stale > 0) seen.splice(0, stale);
    const id = msg.messageId === null ? null : dedupId(msg.messageId);
    // A hashed id is also compared as it came: states written before ids were capped hold long ones unhashed. Not
    // one shaped like a remembered hash, though: it would match the other message whose hash it spells.
    const unhashed = id === msg.messageId || msg.messageId === null || HASHED_ID.test(msg.messageId) ? null : msg.messageId;
    if (id !== null) for (const [seenId] of seen) if (seenId === id || seenId === unhashed) return true;
    state.processed++;
    if (id !== null) seen.push([id, now, state.processed]);
    return false;
  }

  /** Adds the event to the history of every signature it matches (filters evaluated at its own timestamp). */
  private recordEvent(state: UserState, msg: Message, now: number): void {
    const signatures = msg.event === null ? undefined : this.signaturesByEvent.get(msg.event);
    if (signatures === undefined) return;
    for (const sig of signatures) {
      if (!matchesWhere(sig.where, msg.properties, msg.timestamp)) continue;
      let h = state.history[sig.signature];
      if (h === undefined) {
        h = { n: 0, ts: [] };
        state.history[sig.signature] = h;
      }
      h.n++;
      if (sig.maxSpan === null) continue;
      const ts = h.ts;
      if (msg.timestamp > now - sig.maxSpan) {
        let i = ts.length;
        while (i > 0 && (ts[i - 1] ?? 0) > msg.timestamp) i--;
        ts.splice(i, 0, msg.timestamp);
      }
      // Timestamps older than the longest window can never be counted again: the clock never goes back.
      let old = 0;
      while (old < ts.length && (ts[old] ?? 0) <= now - sig.maxSpan) old++;
      const cap = Math.max(this.options.historyCap, sig.keep);
      if (ts.length - old > cap) old = ts.length - cap;
      if (old > 0) ts.splice(0, old);
    }
  }

  private indexSignatures(): void {
    const byId = new Map<string, SignatureInfo & { event: string }>();
    // Every kept version (draining instances evaluate their own version's conditions), and every audience.
    const conditions = [...this.versions.values()].flatMap((kept) => [...kept.values()]).flatMap(journeyConditions);
    for (const a of this.defs.audiences.values()) conditions.push(a.condition);
    for (const c of performedLeaves(conditions)) {
      const span = c.window === null ? null : c.window.kind === 'within' ? c.window.span : c.window.from;
      const info = byId.get(c.signature) ?? { signature: c.signature, event: c.event, where: c.where, maxSpan: null, keep: 0 };
      if (span !== null && (info.maxSpan === null || span > info.maxSpan)) info.maxSpan = span;
      // "At least N" holds when the N-th latest is in the window; "at most N" fails when the (N+1)-th is.
      if (span !== null) info.keep = Math.max(info.keep, (c.max ?? c.min) + 1);
      // A between window counts older timestamps while newer ones wait to enter it: however many newer
      // ones arrive, it needs all of its span (up to the bound a state record allows).
      if (c.window?.kind === 'between') info.keep = Math.max(info.keep, MAX_WINDOWED_COUNT + 1);
      byId.set(c.signature, info);
    }
    for (const info of byId.values()) {
      const list = this.signaturesByEvent.get(info.event) ?? [];
      list.push(info);
      this.signaturesByEvent.set(info.event, list);
    }
  }
}

/**
 * Whether the user's instances have had the `migrate` of this version, or of a later one (a rollback to a version
 * does not move again what it left draining).
 */
function decided(js: JourneyState, j: Journey): boolean {
  return js.migrated !== undefined && js.migrated >= j.version;
}

/** Spec §4.6's "previous version" of `version`: the latest of `kept` (versions of one journey) before it. */
export function previousVersion(kept: Iterable<Journey>, version: number): Journey | undefined {
  let best: Journey | undefined;
  for (const j of kept) if (j.version < version && (best === undefined || j.version > best.version)) best = j;
  return best;
}

/** Whether a path waiting at `a` waits the same way at `b`: then its pending timer stands. */
function sameWait(a: Step, b: Step): boolean {
  if (a.type === 'wait' || a.type === 'waitFor') return b.type === a.type;
  if (a.type === 'waitUntil') return b.type === 'waitUntil' && (a.timeout === null) === (b.timeout === null);
  return false;
}

/** identify: top-level keys only; `null` removes a trait; a nested object replaces the old value whole. */
function mergeTraits(traits: JsonObject, update: JsonObject): void {
  for (const [k, v] of Object.entries(update)) {
    if (v === null) delete traits[k];
    else setOwn(traits, k, v);
  }
}

/** A key value is a scalar: missing, null, objects and lists count as missing. */
function keyValue(properties: JsonObject, path: string[]): Json | undefined {
  const v = getPath(properties, path);
  return v === null || v === undefined || typeof v === 'object' ? undefined : v;
}

function keyEquals(a: Json | undefined, b: Json | undefined): boolean {
  return a !== undefined && a === b;
}

/** Snapshots are never mutated, so their JSON size is measured once. */
const measuredSnapshots = new WeakMap<ContextSnapshot, number>();

/** UTF-8 length of the snapshot's JSON. */
function snapshotBytes(value: ContextSnapshot): number {
  let bytes = measuredSnapshots.get(value);
  if (bytes === undefined) {
    bytes = Buffer.byteLength(JSON.stringify(value), 'utf8');
    measuredSnapshots.set(value, bytes);
  }
  return bytes;
}

/** What an entry adds to the context's JSON: `"key":snapshot`. */
function entryBytes(key: string, value: ContextSnapshot): number {
  return Buffer.byteLength(JSON.stringify(key), 'utf8') + 1 + snapshotBytes(value);
}
