// The event-time runtime in memory: one clock (the largest timestamp seen), every user's state in a map,
// and one timer queue across users. `journeys simulate` and the TestDriver run on it; the Kafka processor
// runs the same engine with the same clock rule per partition.
import type { Definitions } from '../definitions/model';
import { DueHeap } from '../lib/heap';
import type { Message } from '../ingest/message';
import { Engine, type EngineOptions, type EngineStats } from './engine';
import { nextDue, type UserState } from './state';
import type { Transition } from './transition';

export interface SimulatorStats extends EngineStats {
  messages: number;
  /** Messages without a userId: counted and skipped (spec §2). */
  withoutUserId: number;
}

export class Simulator {
  readonly engine: Engine;
  private readonly users = new Map<string, UserState>();
  private readonly dueOf = new Map<string, number>();
  private readonly queue = new DueHeap();
  private clock = Number.NEGATIVE_INFINITY;
  readonly stats: SimulatorStats = { messages: 0, withoutUserId: 0, duplicates: 0, refusedEntries: 0, contextDrops: 0, ignored: 0 };
  /** Called with a user's state after each engine call (a message or a timer). */
  onState: ((state: UserState) => void) | null = null;

  constructor(defs: Definitions, options: Partial<EngineOptions> = {}, private readonly emit: (t: Transition) => void = () => undefined) {
    this.engine = new Engine(defs, options);
  }

  /** The clock: the largest timestamp seen so far (or the last `advanceTo`). */
  get now(): number {
    return this.clock;
  }

  /** A valid message: the clock moves to its timestamp if later, due timers fire, then the message is processed. */
  push(msg: Message): void {
    this.stats.messages++;
    this.advanceTo(msg.timestamp);
    if (msg.userId === null) {
      this.stats.withoutUserId++;
      return;
    }
    const result = this.engine.process(this.users.get(msg.userId), msg, this.clock);
    this.users.set(msg.userId, result.state);
    this.count(result.stats);
    for (const t of result.transitions) this.emit(t);
    this.reschedule(result.state);
    this.onState?.(result.state);
  }

  /** Moves the clock forward to `t` (never back), firing every timer due by then in due-time order. */
  advanceTo(t: number): void {
    if (t <= this.clock) return;
    for (let due = this.queue.peekDue(); due !== undefined && due <= t; due = this.queue.peekDue()) {
      const [at, userId] = this.queue.pop() as [number, string];
      const state = this.users.get(userId);
      if (state === undefined || this.dueOf.get(userId) !== at) continue;
      this.dueOf.delete(userId);
      const result = this.engine.advance(state, at);
      this.count(result.stats);
      for (const x of result.transitions) this.emit(x);
      this.reschedule(state);
      this.onState?.(state);
    }
    this.clock = t;
  }

  /** Takes over a user's state kept elsewhere (a cut run's reload, as the processor's store does); timers from `nextDue`. */
  restoreUser(state: UserState): void {
    this.users.set(state.userId, state);
    this.reschedule(state);
  }

  state(userId: string): UserState | undefined {
    return this.users.get(userId);
  }

  userIds(): IterableIterator<string> {
    return this.users.keys();
  }

  private reschedule(state: UserState): void {
    const due = nextDue(state);
    if (due === null) {
      this.dueOf.delete(state.userId);
    } else if (this.dueOf.get(state.userId) !== due) {
      this.dueOf.set(state.userId, due);
      this.queue.push(due, state.userId);
    }
  }

  private count(s: EngineStats): void {
    this.stats.duplicates += s.duplicates;
    this.stats.refusedEntries += s.refusedEntries;
    this.stats.contextDrops += s.contextDrops;
    this.stats.ignored += s.ignored;
  }
}
