// Per-user state: a plain JSON value, so the processor can store it in LevelDB, write it to the changelog
// and read it back, and a run cut at any point continues exactly as an uncut one. It keeps only what the
// journeys need: traits, the event history the conditions count (per signature, pruned to the longest
// window), recent message ids for deduplication, and the live instances with their timers.
import type { Json, JsonObject } from '../definitions/model';

export const STATE_FORMAT = 1;

export interface UserState {
  v: typeof STATE_FORMAT;
  userId: string;
  /** The last `now` the user was evaluated at (never goes back). */
  now: number;
  traits: JsonObject;
  /** Matching events per performed-leaf signature. */
  history: Record<string, SignatureHistory>;
  /** Messages processed so far (duplicates excluded): the deduplication window counts them. */
  processed: number;
  /**
   * Recent message ids: [messageId, the `now` it was processed at, its number in `processed`], oldest first;
   * only those within 24 h and among the user's last 1,000 processed messages are kept.
   */
  dedup: [string, number, number][];
  journeys: Record<string, JourneyState>;
  /** Pending timers (waits, timeouts, exits, re-entries), in no particular order. */
  timers: Timer[];
  /** Counter giving timers their scheduling order. */
  timerSeq: number;
  /** The next instant a time-dependent condition can change truth, if any. */
  flipAt: number | null;
}

export interface SignatureHistory {
  /** Matching events ever seen (for leaves without a window). */
  n: number;
  /** Timestamps of matching events that a window can still count, ascending. */
  ts: number[];
}

export interface JourneyState {
  /** Entries so far; the last instance's entrySeq. */
  entries: number;
  /** `now` of the last exit or completion. */
  lastEndAt: number | null;
  /** Condition entry: the condition's truth at its last evaluation (false before the first). */
  conditionTrue: boolean;
  /**
   * Condition entry: the version whose go-live (deployed to a processor that had seen the user) set
   * `conditionTrue` as the user's starting point; a later version going live sets it again.
   */
  liveV?: number;
  /** The version whose `migrate` has moved the user's instances of the version before it (spec §4.6). */
  migrated?: number;
  /** Live instances, by entrySeq. */
  instances: Instance[];
}

export type ContextSnapshot = JsonObject;

export interface Instance {
  /** entrySeq. */
  seq: number;
  version: number;
  /** The entry key value (absent without `key`). */
  key?: Json;
  enteredAt: number;
  /** The last transition seq given. */
  lastSeq: number;
  /** Context snapshots, oldest first; replaced (never mutated) when they change. */
  context: [string, ContextSnapshot][];
  /** Live paths, by creation. */
  paths: Path[];
  nextPathId: number;
  /** Steps entered by any path (joins: a later arrival ends its path). */
  entered: string[];
  /** Send steps entered, in the order first entered. */
  sent: string[];
  /**
   * Send steps entered under an earlier version, with that version's destinations (kept by a migration, spec §4.6):
   * an `$exit` tells those destinations, whatever the instance's version says now. Absent when none.
   */
  sentEarlier?: [string, string[]][];
}

export interface Path {
  id: number;
  /** The step the path is at (waiting, or passing through). */
  step: string;
  /** waitFor: restarts during this visit. */
  restarts: number;
  /** branch: which branches this path has taken (by index). */
  taken?: boolean[];
}

export type TimerKind = 'exit-after' | 'expiry' | 'wait' | 'timeout' | 'reentry';

export interface Timer {
  at: number;
  seq: number;
  kind: TimerKind;
  journey: string;
  /** entrySeq of the instance (0 for re-entry timers). */
  instance: number;
  /** Path id (0 for instance and journey timers). */
  path: number;
}

export function newUserState(userId: string, now: number): UserState {
  return { v: STATE_FORMAT, userId, now, traits: {}, history: {}, processed: 0, dedup: [], journeys: {}, timers: [], timerSeq: 0, flipAt: null };
}

/** The earliest instant something is due for this user, or null. */
export function nextDue(state: Pick<UserState, 'timers' | 'flipAt'>): number | null {
  let due = state.flipAt;
  for (const t of state.timers) if (due === null || t.at < due) due = t.at;
  return due;
}

export function liveInstanceCount(state: UserState): number {
  let n = 0;
  for (const id in state.journeys) n += state.journeys[id]?.instances.length ?? 0;
  return n;
}
