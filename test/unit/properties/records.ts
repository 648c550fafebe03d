// Checks on a run's transition records that hold for every journey and input (spec §3, §4.2, §5). Each
// returns the problems found (empty when all hold), so a failing property prints all of them.
import { createHash } from 'node:crypto';
import type { Definitions, Journey, Step } from '../../../src/definitions/model';
import type { Transition } from '../../../src/engine/transition';
import type { RawMessage } from '../../helpers/generators';

const FIELDS = ['id', 'journey', 'version', 'instance', 'seq', 'userId', 'from', 'to', 'reason', 'at', 'cause', 'context'];
const CLOSING = new Set(['$complete', '$exit']);

/** Steps a step can lead to (its explicit and default successors). */
export function successors(step: Step): string[] {
  switch (step.type) {
    case 'wait':
    case 'send':
      return [step.next];
    case 'waitFor':
      return [...step.branches.filter((b) => !b.restart).map((b) => b.next), step.onTimeout];
    case 'waitUntil':
      return step.timeout === null ? [step.next] : [step.next, step.onTimeout];
    case 'split':
      return [...step.branches.map((b) => b.next), step.else];
    case 'branch':
    case 'random':
      return step.branches.map((b) => b.next);
  }
}

/** The step types a record with this reason may leave. */
const REASON_FROM: Record<string, Step['type'][]> = {
  next: ['send'],
  wait: ['wait'],
  event: ['waitFor'],
  restart: ['waitFor'],
  timeout: ['waitFor', 'waitUntil'],
  condition: ['waitUntil'],
  split: ['split'],
  branch: ['branch'],
  random: ['random'],
};
const EXIT_REASONS = new Set(['exit-rule', 'exit-condition', 'exit-after', 'expired']);

export function groupByInstance(records: Transition[]): Map<string, Transition[]> {
  const byInstance = new Map<string, Transition[]>();
  for (const r of records) {
    const list = byInstance.get(r.instance) ?? [];
    list.push(r);
    byInstance.set(r.instance, list);
  }
  return byInstance;
}

/** Record shape, ids, seq, closing records, order of time, and that each move follows the step graph. */
export function recordProblems(lines: string[], defs: Definitions): string[] {
  const problems: string[] = [];
  const journeys = new Map<string, Journey>(defs.journeys.map((j) => [j.id, j]));
  const records = lines.map((l) => JSON.parse(l) as Transition);
  const ids = new Set<string>();
  let lastAt = '';
  for (const r of records) {
    const where = `${r.instance}#${r.seq}`;
    const keys = Object.keys(r).sort();
    const expected = [...FIELDS, ...(r.send === undefined ? [] : ['send']), ...(r.to === '$exit' ? ['sent'] : [])].sort();
    if (keys.join() !== expected.join()) problems.push(`${where}: fields ${keys.join()} (expected ${expected.join()})`);
    if (!/^[0-9a-f]{64}$/.test(r.id)) problems.push(`${where}: id ${r.id} is not 64 lowercase hex`);
    const id = createHash('sha256').update(`${r.journey}:${r.version}:${r.instance}:${r.seq}`, 'utf8').digest('hex');
    if (r.id !== id) problems.push(`${where}: id is not sha256(journey:version:instance:seq)`);
    if (ids.has(r.id)) problems.push(`${where}: duplicate id ${r.id}`);
    ids.add(r.id);
    if (!r.instance.startsWith(`${r.userId}/${r.journey}/`) || !/^[1-9][0-9]*$/.test(r.instance.slice(r.userId.length + r.journey.length + 2))) {
      problems.push(`${where}: instance is not <userId>/<journey>/<entrySeq>`);
    }
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(r.at)) problems.push(`${where}: at ${r.at} is not ISO UTC with ms`);
    if (r.at < lastAt) problems.push(`${where}: at ${r.at} before the previous record's ${lastAt} (the clock went back)`);
    lastAt = r.at > lastAt ? r.at : lastAt;

    const j = journeys.get(r.journey);
    if (j === undefined) {
      problems.push(`${where}: unknown journey`);
      continue;
    }
    if (r.version !== j.version) problems.push(`${where}: version ${r.version}, journey has ${j.version}`);
    const step = (id: string | null): Step | undefined => j.steps.find((s) => s.id === id);
    const from = step(r.from), to = step(r.to);
    if (r.from === null) {
      if (r.reason !== 'entry' || r.to !== j.steps[0]?.id) problems.push(`${where}: from null must be an entry into the first step`);
    } else if (from === undefined) {
      problems.push(`${where}: from ${r.from} is not a step`);
    } else if (r.to === '$end' || r.to === '$complete') {
      if (r.reason !== 'end') problems.push(`${where}: ${r.to} with reason ${r.reason}`);
    } else if (r.to === '$exit') {
      if (!EXIT_REASONS.has(r.reason)) problems.push(`${where}: $exit with reason ${r.reason}`);
    } else if (to === undefined) {
      problems.push(`${where}: to ${r.to} is not a step`);
    } else if (r.reason === 'restart') {
      if (r.from !== r.to || from.type !== 'waitFor') problems.push(`${where}: restart ${r.from}→${r.to}`);
    } else {
      if (!successors(from).includes(r.to)) problems.push(`${where}: ${r.from}→${r.to} is not an edge of the step graph`);
      if (!(REASON_FROM[r.reason] ?? []).includes(from.type)) problems.push(`${where}: reason ${r.reason} leaving a ${from.type} step`);
    }
    if (r.send !== undefined) {
      const spec = r.to === '$exit' ? j.exit.send : to?.type === 'send' ? to.send : null;
      if (spec !== null && (r.send.to.join() !== spec.to.join() || r.send.event !== spec.event || Object.keys(r.send.traits).some((t) => !spec.traits.includes(t)))) {
        problems.push(`${where}: send ${JSON.stringify(r.send)} does not match its spec ${JSON.stringify(spec)}`);
      }
    }
    const contextBytes = Buffer.byteLength(JSON.stringify(r.context), 'utf8');
    if (contextBytes > 64 * 1024) problems.push(`${where}: context of ${contextBytes} bytes (over 64 KiB)`);
    const wantsSend = to?.type === 'send' || (r.to === '$exit' && j.exit.send !== null);
    if (wantsSend !== (r.send !== undefined)) problems.push(`${where}: send ${r.send === undefined ? 'missing' : 'unexpected'}`);
  }

  // Per instance: seq 1..n in output order, entry first, at most one closing record and nothing after it.
  const entries = new Map<string, number[]>();
  for (const [instance, list] of groupByInstance(records)) {
    list.forEach((r, i) => {
      if (r.seq !== i + 1) problems.push(`${instance}: record ${i + 1} has seq ${r.seq}`);
    });
    if (list[0]?.reason !== 'entry') problems.push(`${instance}: first record is not an entry`);
    const closing = list.filter((r) => CLOSING.has(r.to));
    if (closing.length > 1) problems.push(`${instance}: ${closing.length} closing records`);
    if (closing.length === 1 && !CLOSING.has(list[list.length - 1]!.to)) problems.push(`${instance}: records after ${closing[0]!.to}`);
    // `sent` on $exit: the send steps the instance entered, in the order first entered.
    const sends = new Set(journeys.get(list[0]!.journey)?.steps.filter((st) => st.type === 'send').map((st) => st.id));
    const entered: string[] = [];
    for (const r of list) {
      if (r.to === '$exit' && JSON.stringify(r.sent) !== JSON.stringify(entered)) problems.push(`${instance}: sent ${JSON.stringify(r.sent)}, entered ${JSON.stringify(entered)}`);
      if (sends.has(r.to) && !entered.includes(r.to)) entered.push(r.to);
    }
    const key = instance.slice(0, instance.lastIndexOf('/'));
    const seqs = entries.get(key) ?? [];
    seqs.push(Number(instance.slice(instance.lastIndexOf('/') + 1)));
    entries.set(key, seqs);
  }
  // entrySeq counts entries from 1, in order of entry.
  for (const [key, seqs] of entries) {
    if (seqs.some((s, i) => s !== i + 1)) problems.push(`${key}: entrySeqs ${seqs.join(',')} are not 1..n in order of entry`);
  }
  return problems;
}

/**
 * An instance that never forked (never entered a `branch` step) is one chain: each record leaves where the
 * previous one arrived. (A fork that goes straight to `end` gives no `branch` record, only a `$end`.)
 */
export function chainProblems(lines: string[], defs: Definitions): string[] {
  const problems: string[] = [];
  const branchSteps = new Set(defs.journeys.flatMap((j) => j.steps.filter((s) => s.type === 'branch').map((s) => `${j.id}/${s.id}`)));
  for (const [instance, list] of groupByInstance(lines.map((l) => JSON.parse(l) as Transition))) {
    if (list.some((r) => branchSteps.has(`${r.journey}/${r.to}`))) {
      // Forked: each record still leaves a step that the instance entered before.
      const entered = new Set<string>();
      for (const r of list) {
        if (r.from !== null && !entered.has(r.from)) problems.push(`${instance}#${r.seq}: leaves ${r.from}, never entered`);
        entered.add(r.to);
      }
      continue;
    }
    for (let i = 1; i < list.length; i++) {
      const prev = list[i - 1]!, r = list[i]!;
      if (r.from !== prev.to) problems.push(`${instance}#${r.seq}: from ${r.from} but the previous record went to ${prev.to}`);
      if (r.to === '$end') problems.push(`${instance}#${r.seq}: $end in an instance that never forked (its last path ends with $complete)`);
    }
  }
  return problems;
}

/** After the clock passed `until`: every instance entered at or before `until - maxLifetime` is closed, and none lived longer than maxLifetime. */
export function closureProblems(lines: string[], until: number, maxLifetime: number): string[] {
  const problems: string[] = [];
  for (const [instance, list] of groupByInstance(lines.map((l) => JSON.parse(l) as Transition))) {
    const entered = Date.parse(list[0]!.at);
    const last = list[list.length - 1]!;
    const closed = CLOSING.has(last.to);
    if (!closed && entered <= until - maxLifetime) problems.push(`${instance}: entered ${list[0]!.at}, still open at ${new Date(until).toISOString()}`);
    if (closed && Date.parse(last.at) > entered + maxLifetime) problems.push(`${instance}: lived from ${list[0]!.at} to ${last.at}, past maxLifetime`);
  }
  return problems;
}

/** The journey event name of a raw message (spec §2), null for identify/group/alias. */
function eventName(m: RawMessage): string | null {
  switch (m.type) {
    case 'track':
      return typeof m.event === 'string' ? m.event : null;
    case 'page':
      return 'Page Viewed';
    case 'screen':
      return 'Screen Viewed';
    default:
      return null;
  }
}

/**
 * A record with a cause was made by a message of that user with that messageId and event, at the clock
 * of that message (the largest timestamp so far, spec §3); a record without a cause (time) is never at an
 * instant before the clock of the message that preceded it.
 */
export function causeProblems(lines: string[], messages: RawMessage[]): string[] {
  const problems: string[] = [];
  const clocks = new Set<string>();
  let clock = Number.NEGATIVE_INFINITY;
  for (const m of messages) {
    clock = Math.max(clock, Date.parse(String(m.timestamp)));
    const key = JSON.stringify([m.userId ?? null, m.messageId ?? null, eventName(m), new Date(clock).toISOString()]);
    clocks.add(key);
  }
  for (const l of lines) {
    const r = JSON.parse(l) as Transition;
    if (r.cause === null) continue;
    const key = JSON.stringify([r.userId, r.cause.messageId, r.cause.event, r.at]);
    if (!clocks.has(key)) problems.push(`${r.instance}#${r.seq}: cause ${JSON.stringify(r.cause)} at ${r.at}: no message of ${r.userId} like that at that clock`);
  }
  return problems;
}

/** First 4 bytes of SHA-256 as a big-endian unsigned integer, mod 100 (spec §4.5), written independently of the engine. */
function bucket(text: string): number {
  return createHash('sha256').update(text, 'utf8').digest().readUInt32BE(0) % 100;
}

/** Every record that leaves a `random` step goes where the bucket rule says (or ends the path there: `end`, or a join). */
export function randomProblems(lines: string[], defs: Definitions): string[] {
  const problems: string[] = [];
  for (const [instance, list] of groupByInstance(lines.map((l) => JSON.parse(l) as Transition))) {
    const j = defs.journeys.find((x) => x.id === list[0]!.journey);
    if (j === undefined) continue;
    const entrySeq = instance.slice(instance.lastIndexOf('/') + 1);
    const entered = new Set<string>();
    for (const r of list) {
      const step = j.steps.find((s) => s.id === r.from);
      // A random step never waits: the record leaving it is its move (an $exit from it is an exit.condition at entry).
      if (step?.type === 'random' && r.to !== '$exit') {
        const b = bucket(step.sticky ? `${j.id}:${step.id}:${r.userId}` : `${j.id}:${step.id}:${r.userId}:${entrySeq}`);
        let upper = 0;
        const chosen = step.branches.find((br) => b < (upper += br.percent))!;
        const ends = chosen.next === 'end' || entered.has(chosen.next);
        const ok = ends ? r.to === '$end' || r.to === '$complete' : r.to === chosen.next && r.reason === 'random';
        if (!ok) problems.push(`${instance}#${r.seq}: ${r.from}→${r.to} (${r.reason}), the bucket ${b} says ${chosen.next}`);
      }
      entered.add(r.to);
    }
  }
  return problems;
}

/**
 * Entry rules (spec §4.1), from the records in output order: only live journeys start instances; `once`
 * enters once; `after-exit` only when no instance is live, and from `reentryAfter` after the last close;
 * `always` never two live instances with the same key (without key: one live instance); a trigger
 * without the key starts nothing; and never more than `maxInstances` live instances per user.
 */
export function entryProblems(lines: string[], defs: Definitions, maxInstances: number): string[] {
  const problems: string[] = [];
  const live = new Map<string, Transition>(); // instance → its entry record
  const lastClose = new Map<string, number>(); // user/journey → time of the last close
  for (const l of lines) {
    const r = JSON.parse(l) as Transition;
    const j = defs.journeys.find((x) => x.id === r.journey);
    if (j === undefined) continue;
    const uj = `${r.userId}/${r.journey}`;
    if (r.reason === 'entry') {
      const where = `${r.instance} entered at ${r.at}`;
      const others = [...live.values()].filter((e) => e.userId === r.userId && e.journey === r.journey);
      const userLive = [...live.values()].filter((e) => e.userId === r.userId).length;
      if (j.status !== 'live') problems.push(`${where}: journey is ${j.status}`);
      if (userLive >= maxInstances) problems.push(`${where}: ${userLive} instances were live (limit ${maxInstances})`);
      const entrySeq = Number(r.instance.slice(r.instance.lastIndexOf('/') + 1));
      const reentryAfter = j.entry.reentryAfter;
      const closed = lastClose.get(uj);
      if (j.entry.reentry === 'once' && entrySeq > 1) problems.push(`${where}: reentry once, but entry ${entrySeq}`);
      if (j.entry.reentry === 'after-exit') {
        if (others.length > 0) problems.push(`${where}: after-exit with ${others.length} live instance(s)`);
        if (reentryAfter !== null && closed !== undefined && Date.parse(r.at) < closed + reentryAfter) problems.push(`${where}: before reentryAfter elapsed since ${new Date(closed).toISOString()}`);
      }
      const entry = j.entry;
      if (entry.kind === 'event') {
        const key = keyOf(r, entry.event, entry.key);
        if (entry.key !== null && key === undefined) problems.push(`${where}: trigger without a (scalar) key`);
        if (entry.reentry === 'always' && key !== TRUNCATED) {
          const clash = others.find((e) => keyOf(e, entry.event, entry.key) === key);
          if (clash !== undefined) problems.push(`${where}: ${clash.instance} with the same key ${JSON.stringify(key ?? null)} is live`);
        }
      }
      live.set(r.instance, r);
    } else if (r.to === '$exit' || r.to === '$complete') {
      live.delete(r.instance);
      lastClose.set(uj, Date.parse(r.at));
    }
  }
  return problems;
}

const TRUNCATED = Symbol('truncated');

/** The instance key from the entry record's context (the trigger's properties); null path: no key. */
function keyOf(r: Transition, event: string, path: string[] | null): unknown {
  if (path === null) return null;
  const props = r.context[event];
  if (typeof props === 'object' && props !== null && !Array.isArray(props) && props.$truncated === true) return TRUNCATED;
  let v: unknown = props;
  for (const p of path) v = typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>)[p] : undefined;
  return v === null || typeof v === 'object' ? undefined : v;
}
