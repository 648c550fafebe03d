// Checks on a run's transition records that hold for every journey and input (spec §3, §4.2, §5). Each
// returns the problems found (empty when all hold), so a failing property prints all of them.
import { createHash } from 'node:crypto';
import type { Definitions, Journey, Json, JsonObject, Step } from '../../../src/definitions/model';
import { getPath, matchesWhere } from '../../../src/engine/conditions';
import type { Transition } from '../../../src/engine/transition';
import { parseMessage, type Message } from '../../../src/ingest/message';
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

/**
 * The order of evaluation for one message (spec §3): exit rules first (an exit wins over any other match of
 * the same message in that instance, so an exit-rule `$exit` shares its cause with no earlier record of
 * its instance); a path is offered a message once (in an instance that never forked, at most one `event` or
 * `restart` record per message); entry last (a new instance's entry comes after every record of the older
 * instances of that journey made by the same message). Messages are told apart by messageId (records of
 * messages without one are left out).
 */
export function orderProblems(lines: string[], defs: Definitions): string[] {
  const problems: string[] = [];
  const records = lines.map((l) => JSON.parse(l) as Transition);
  const causeKey = (r: Transition): string | null => (r.cause === null || r.cause.messageId === null ? null : `${r.userId}|${r.cause.messageId}|${r.at}`);
  const branchSteps = new Set(defs.journeys.flatMap((j) => j.steps.filter((s) => s.type === 'branch').map((s) => `${j.id}/${s.id}`)));
  for (const [instance, list] of groupByInstance(records)) {
    const forked = list.some((r) => branchSteps.has(`${r.journey}/${r.to}`));
    const moves = new Map<string, number>();
    list.forEach((r, i) => {
      const key = causeKey(r);
      if (key === null) return;
      if (r.to === '$exit' && r.reason === 'exit-rule' && list.slice(0, i).some((x) => causeKey(x) === key)) {
        problems.push(`${instance}#${r.seq}: exit rule after another record made by the same message`);
      }
      if (!forked && (r.reason === 'event' || r.reason === 'restart')) {
        moves.set(key, (moves.get(key) ?? 0) + 1);
        if (moves.get(key) === 2) problems.push(`${instance}#${r.seq}: a second ${r.reason} by the same message (a path is offered a message once)`);
      }
    });
  }
  // Entry last: by (user, journey, message), the entrySeq of the records never goes down once an entry was made.
  const newest = new Map<string, number>();
  for (const r of records) {
    const key = causeKey(r);
    if (key === null) continue;
    const k = `${r.journey}|${key}`;
    const seq = Number(r.instance.slice(r.instance.lastIndexOf('/') + 1));
    const n = newest.get(k);
    if (n !== undefined && seq < n) problems.push(`${r.instance}#${r.seq}: after the entry of instance ${n} by the same message`);
    if (r.reason === 'entry') newest.set(k, Math.max(n ?? 0, seq));
  }
  return problems;
}

/**
 * Timers fire at exactly their due time (spec §3, §4.2): a `wait` leaves its step its duration after the
 * step was entered, a `timeout` its timeout after the step was entered or last restarted, `exit-after`
 * and `expired` that long after entry; time-caused records have no cause, message-caused ones (`event`,
 * `restart`, `exit-rule`) have one; a waitUntil's `condition` comes before its timeout. A step is entered
 * at most once per instance (a later arrival ends its path), so "the record into the step" is unique.
 */
export function timingProblems(lines: string[], defs: Definitions, maxLifetime: number): string[] {
  const problems: string[] = [];
  for (const [instance, list] of groupByInstance(lines.map((l) => JSON.parse(l) as Transition))) {
    const j = defs.journeys.find((x) => x.id === list[0]!.journey);
    if (j === undefined) continue;
    const entered = new Map<string, number>(); // step → when the path there arrived (or last restarted)
    const entryAt = Date.parse(list[0]!.at);
    for (const r of list) {
      const where = `${instance}#${r.seq} ${r.from}→${r.to} (${r.reason}) at ${r.at}`;
      const at = Date.parse(r.at);
      const step = j.steps.find((s) => s.id === r.from);
      const since = r.from === null ? undefined : entered.get(r.from);
      const expect = (due: number): void => {
        if (at !== due) problems.push(`${where}: due at ${new Date(due).toISOString()}`);
      };
      if ((r.reason === 'wait' || r.reason === 'timeout' || r.reason === 'exit-after' || r.reason === 'expired') && r.cause !== null) problems.push(`${where}: a timer's record has a cause`);
      if ((r.reason === 'event' || r.reason === 'restart' || r.reason === 'exit-rule') && r.cause === null) problems.push(`${where}: no cause`);
      if (r.reason === 'exit-after') expect(entryAt + (j.exit.after ?? Number.NaN));
      if (r.reason === 'expired') expect(entryAt + maxLifetime);
      if (step !== undefined && since !== undefined) {
        if (r.reason === 'wait' && step.type === 'wait') expect(since + step.duration);
        if (r.reason === 'timeout' && step.type === 'waitFor') expect(since + step.timeout);
        if (r.reason === 'timeout' && step.type === 'waitUntil') {
          if (step.timeout === null) problems.push(`${where}: timeout of a waitUntil without timeout`);
          else expect(since + step.timeout);
        }
        if (r.reason === 'condition' && step.type === 'waitUntil' && step.timeout !== null && at > since + step.timeout) problems.push(`${where}: condition after the timeout`);
      }
      if (r.to.startsWith('$')) continue;
      if (r.reason === 'restart') entered.set(r.to, at);
      else if (entered.has(r.to)) problems.push(`${where}: ${r.to} entered twice in one instance`);
      else entered.set(r.to, at);
    }
  }
  return problems;
}

/** A scalar key value (spec §4.1: objects, lists, null and missing count as missing). */
function scalarKey(props: JsonObject, path: string[]): Json | undefined {
  const v = getPath(props, path);
  return v === null || v === undefined || typeof v === 'object' ? undefined : v;
}

/**
 * What a message matched (spec §4.1, §4.2): an `event`/`restart` record leaving a waitFor step is the
 * first branch (in listed order) whose event, `where` and `sameKey` match the message; an `exit-rule`
 * exit has a matching rule; an event entry's trigger has the entry event and matches its `where`. The
 * message is found by its messageId (records of messages without one are left out); `where` filters are
 * evaluated with the engine's operator matcher (the operators have their own unit tests).
 */
export function matchProblems(lines: string[], defs: Definitions, raw: RawMessage[]): string[] {
  const problems: string[] = [];
  // (user, messageId, clock) → the first message processed there.
  const byCause = new Map<string, Message>();
  let clock = Number.NEGATIVE_INFINITY;
  for (const m of raw) {
    const p = parseMessage(JSON.parse(JSON.stringify(m)));
    if (!p.ok) continue;
    clock = Math.max(clock, p.message.timestamp);
    if (p.message.userId === null || p.message.messageId === null) continue;
    const key = `${p.message.userId}|${p.message.messageId}|${new Date(clock).toISOString()}`;
    if (!byCause.has(key)) byCause.set(key, p.message);
  }
  for (const [instance, list] of groupByInstance(lines.map((l) => JSON.parse(l) as Transition))) {
    const j = defs.journeys.find((x) => x.id === list[0]!.journey);
    if (j === undefined) continue;
    const entry = j.entry;
    const first = list[0]!;
    const trigger = entry.kind === 'event' ? first.context[entry.event] : undefined;
    const instanceKey = entry.kind === 'event' && entry.key !== null && isObject(trigger) ? scalarKey(trigger, entry.key) : undefined;
    const keyOk = (sameKey: boolean, props: JsonObject): boolean => {
      if (!sameKey || entry.kind !== 'event' || entry.key === null) return true;
      const v = scalarKey(props, entry.key);
      return v !== undefined && v === instanceKey;
    };
    if (entry.kind === 'event' && entry.key !== null && isObject(trigger) && trigger.$truncated === true) continue; // the key is not visible
    for (const r of list) {
      if (r.cause === null || r.cause.messageId === null) continue;
      const msg = byCause.get(`${r.userId}|${r.cause.messageId}|${r.at}`);
      if (msg === undefined) continue; // causeProblems reports it
      const where = `${instance}#${r.seq} ${r.from}→${r.to} (${r.reason})`;
      if (r.reason === 'entry' && entry.kind === 'event') {
        if (msg.event !== entry.event || !matchesWhere(entry.where, msg.properties, msg.timestamp)) problems.push(`${where}: the trigger ${msg.event} does not match the entry`);
      }
      const step = j.steps.find((s) => s.id === r.from);
      if ((r.reason === 'event' || r.reason === 'restart') && step?.type === 'waitFor') {
        const b = step.branches.find((x) => x.event === msg.event && matchesWhere(x.where, msg.properties, msg.timestamp) && keyOk(x.sameKey, msg.properties));
        if (b === undefined) problems.push(`${where}: no branch of ${step.id} matches ${msg.event} ${JSON.stringify(msg.properties)}`);
        else if (b.restart ? r.reason !== 'restart' : r.reason !== 'event' || r.to !== b.next) problems.push(`${where}: the first matching branch is ${b.event}${b.restart ? ' (restart)' : ` → ${b.next}`}`);
      }
      if (r.reason === 'exit-rule' && !j.exit.events.some((x) => x.event === msg.event && matchesWhere(x.where, msg.properties, msg.timestamp) && keyOk(x.sameKey, msg.properties))) {
        problems.push(`${where}: no exit rule matches ${msg.event} ${JSON.stringify(msg.properties)} (instance key ${JSON.stringify(instanceKey ?? null)})`);
      }
    }
  }
  return problems;
}

function isObject(v: Json | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
