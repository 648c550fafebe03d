// Test-side runtime for the property tests: the Simulator's loop (one clock = the largest timestamp seen,
// one timer queue over users firing each user's next due in due-time order) rebuilt on `Engine` +
// `nextDue`, so that it can be stopped at any point, every user's state serialised with JSON.stringify,
// and a fresh runtime seeded from JSON.parse of it (what the Kafka processor does with its changelog).
// `properties/cut-reload.test.ts` checks that it equals `Simulator` on uncut input.
import type { Definitions } from '../../../src/definitions/model';
import { Engine, type EngineOptions } from '../../../src/engine/engine';
import { Simulator } from '../../../src/engine/simulator';
import { nextDue, type UserState } from '../../../src/engine/state';
import type { Transition } from '../../../src/engine/transition';
import { parseMessage, type Message } from '../../../src/ingest/message';
import { DueHeap } from '../../../src/lib/heap';
import type { RawMessage } from '../../helpers/generators';

/** What survives a cut: the clock and each user's state, as JSON text. */
export interface Snapshot {
  clock: number | null;
  users: Record<string, string>;
}

export class Harness {
  private readonly engine: Engine;
  private readonly users = new Map<string, UserState>();
  private readonly dueOf = new Map<string, number>();
  private readonly queue = new DueHeap();
  private clock = Number.NEGATIVE_INFINITY;

  constructor(defs: Definitions, options: Partial<EngineOptions>, private readonly emit: (t: Transition) => void) {
    this.engine = new Engine(defs, options);
  }

  /** A fresh runtime seeded from a snapshot (states through JSON.parse, timers rebuilt from `nextDue`). */
  static restore(defs: Definitions, options: Partial<EngineOptions>, emit: (t: Transition) => void, snap: Snapshot): Harness {
    const h = new Harness(defs, options, emit);
    h.clock = snap.clock ?? Number.NEGATIVE_INFINITY;
    for (const [userId, text] of Object.entries(snap.users)) {
      const state = JSON.parse(text) as UserState;
      h.users.set(userId, state);
      h.reschedule(state);
    }
    return h;
  }

  get now(): number {
    return this.clock;
  }

  snapshot(): Snapshot {
    const users: Record<string, string> = {};
    for (const [id, state] of this.users) users[id] = JSON.stringify(state);
    return { clock: Number.isFinite(this.clock) ? this.clock : null, users };
  }

  push(msg: Message): void {
    this.advanceTo(msg.timestamp);
    if (msg.userId === null) return;
    const result = this.engine.process(this.users.get(msg.userId), msg, this.clock);
    this.users.set(msg.userId, result.state);
    for (const t of result.transitions) this.emit(t);
    this.reschedule(result.state);
  }

  advanceTo(t: number): void {
    if (t <= this.clock) return;
    for (let due = this.queue.peekDue(); due !== undefined && due <= t; due = this.queue.peekDue()) {
      const [at, userId] = this.queue.pop()!;
      const state = this.users.get(userId);
      if (state === undefined || this.dueOf.get(userId) !== at) continue;
      this.dueOf.delete(userId);
      const result = this.engine.advance(state, at);
      for (const x of result.transitions) this.emit(x);
      this.reschedule(state);
    }
    this.clock = t;
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
}

/** Raw messages through parseMessage (the generators only make valid ones). */
export function parseAll(raw: RawMessage[]): Message[] {
  return raw.map((r) => {
    const p = parseMessage(JSON.parse(JSON.stringify(r)));
    if (!p.ok) throw new Error(`generated an invalid message (${p.reason}): ${JSON.stringify(r)}`);
    return p.message;
  });
}

/** The Simulator's output as JSON lines: the messages, then the clock advanced to `until`. */
export function simulate(defs: Definitions, options: Partial<EngineOptions>, messages: Message[], until: number | null): string[] {
  const out: string[] = [];
  const sim = new Simulator(defs, options, (t) => out.push(JSON.stringify(t)));
  for (const m of messages) sim.push(m);
  if (until !== null) sim.advanceTo(until);
  return out;
}

/** A cut before message `at` (or, at messages.length, before the final advance to `until`). */
export interface Cut {
  at: number;
  /** First advance the clock this fraction of the way to the next message's timestamp (or `until`): a cut between timers. */
  advance: number | null;
}

/** The harness's output with the given cuts (snapshot → JSON text → fresh harness). */
export function runWithCuts(defs: Definitions, options: Partial<EngineOptions>, messages: Message[], until: number | null, cuts: Cut[]): string[] {
  const out: string[] = [];
  const emit = (t: Transition): void => void out.push(JSON.stringify(t));
  let h = new Harness(defs, options, emit);
  const cutsAt = (i: number, target: number | null): void => {
    for (const c of cuts) {
      if (c.at !== i) continue;
      if (c.advance !== null && target !== null && Number.isFinite(h.now) && target > h.now) {
        h.advanceTo(h.now + Math.floor((target - h.now) * c.advance));
      }
      const text = JSON.stringify(h.snapshot());
      h = Harness.restore(defs, options, emit, JSON.parse(text) as Snapshot);
    }
  };
  messages.forEach((m, i) => {
    cutsAt(i, m.timestamp);
    h.push(m);
  });
  cutsAt(messages.length, until);
  if (until !== null) h.advanceTo(until);
  return out;
}
