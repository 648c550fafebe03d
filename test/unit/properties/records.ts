// Checks on a run's transition records that hold for every journey and input (spec §3, §4.2, §5). Each
// returns the problems found (empty when all hold), so a failing property prints all of them.
import { createHash } from 'node:crypto';
import type { Definitions, Journey, Step } from '../../../src/definitions/model';
import type { Transition } from '../../../src/engine/transition';

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
