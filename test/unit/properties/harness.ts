// Test-side runtime for the property tests: the Simulator, stopped at any point, every user's state split
// into the processor's pieces (src/state/pieces.ts: what LevelDB and the changelog hold), and a fresh
// Simulator seeded from those pieces.
import type { Definitions } from '../../../src/definitions/model';
import type { EngineOptions } from '../../../src/engine/engine';
import { Simulator } from '../../../src/engine/simulator';
import { evaluate, type EvalScope } from '../../../src/engine/conditions';
import type { ContextSnapshot, UserState } from '../../../src/engine/state';
import type { Transition } from '../../../src/engine/transition';
import { parseMessage, type Message } from '../../../src/ingest/message';
import { fromPieces, toPieces } from '../../../src/state/pieces';
import type { RawMessage } from '../../helpers/generators';

/** What survives a cut: the clock and each user's state, as its pieces (key → JSON text). */
export interface Snapshot {
  clock: number | null;
  users: Record<string, [string, string][]>;
}

export class Harness extends Simulator {
  /** A fresh runtime seeded from a snapshot (states reassembled from their pieces, timers rebuilt from `nextDue`). */
  static restore(defs: Definitions, options: Partial<EngineOptions>, emit: (t: Transition) => void, snap: Snapshot): Harness {
    const h = new Harness(defs, options, emit);
    // No timers yet: this only sets the clock.
    if (snap.clock !== null) h.advanceTo(snap.clock);
    for (const [userId, pieces] of Object.entries(snap.users)) {
      const state = fromPieces(userId, pieces);
      if (state === undefined) throw new Error(`snapshot of ${userId} has no core piece`);
      h.restoreUser(state);
    }
    return h;
  }

  snapshot(): Snapshot {
    const users: Record<string, [string, string][]> = {};
    for (const id of this.userIds()) users[id] = [...toPieces(this.state(id) as UserState)];
    return { clock: Number.isFinite(this.now) ? this.now : null, users };
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

/**
 * Quiescence: after the engine has processed a message or fired a timer for a user, nothing that should
 * happen at once is left: no timer or flip due at or before `now`; no live instance whose exit.condition
 * holds (spec §4.2: "leave as soon as this holds"); in an instance that never forked (so no other path
 * changed its context meanwhile, which it would see only from the next message on), no path at a
 * waitUntil whose condition holds and no path at a branch step with an untaken branch that holds.
 * Conditions are evaluated with the engine's evaluator (unit-tested on its own).
 */
export function quiescenceProblems(state: UserState, defs: Definitions): string[] {
  const problems: string[] = [];
  const now = state.now;
  const at = `${state.userId} at ${new Date(now).toISOString()}`;
  for (const t of state.timers) if (t.at <= now) problems.push(`${at}: ${t.kind} timer due ${new Date(t.at).toISOString()} not fired`);
  if (state.flipAt !== null && state.flipAt <= now) problems.push(`${at}: flip due ${new Date(state.flipAt).toISOString()} not done`);
  for (const j of defs.journeys) {
    const js = state.journeys[j.id];
    for (const inst of js?.instances ?? []) {
      const scope = (context: [string, ContextSnapshot][] | null): EvalScope => ({ state, now, context, audiences: defs.audiences });
      const where = `${at}: ${state.userId}/${j.id}/${inst.seq}`;
      if (j.exit.condition !== null && evaluate(j.exit.condition, scope(null))) problems.push(`${where}: exit.condition holds, still live`);
      if (inst.nextPathId > 2) continue; // forked
      for (const path of inst.paths) {
        const step = j.steps.find((s) => s.id === path.step);
        if (step?.type === 'waitUntil' && evaluate(step.condition, scope(inst.context))) problems.push(`${where}: waiting at ${step.id} whose condition holds`);
        if (step?.type === 'branch') {
          step.branches.forEach((b, i) => {
            if (!path.taken?.[i] && evaluate(b.when, scope(inst.context))) problems.push(`${where}: branch ${i} of ${step.id} holds, not taken`);
          });
        }
      }
    }
  }
  return problems;
}

/** The harness over a whole case, collecting quiescence problems after every engine call. */
export function quiescenceRun(defs: Definitions, options: Partial<EngineOptions>, messages: Message[], until: number): string[] {
  const problems: string[] = [];
  const h = new Harness(defs, options, () => undefined);
  h.onState = (state) => problems.push(...quiescenceProblems(state, defs));
  for (const m of messages) h.push(m);
  h.advanceTo(until);
  return problems;
}
