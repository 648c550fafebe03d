// One journey file, from its checked YAML form to the model (spec §4): defaults filled in, `next`
// resolved, durations in milliseconds, and the rules that span keys or steps (entry and re-entry rules,
// `sameKey`, step ids and references, waitFor overlaps, random percents, the step graph).
import type { Located } from './descriptor';
import { buildCondition, buildWhere, canonicalJson, canonicalWhere, type ConditionScope } from './conditions';
import { checkGraph, type Edge, type GraphStep } from './graph';
import type { BrokenStep, RawCondition, RawEntry, RawExit, RawJourney, RawSend, RawStep, RawWaitForEvent } from './keys';
import {
  END, type Condition, type Entry, type Exit, type ExitRule, type Journey, type SendSpec, type Step, type Target, type WaitForBranch,
} from './model';
import { didYouMean, type Reporter } from './problems';

/** Names a journey refers to outside its file, checked once every file of the folder is read. */
export interface JourneyRefs {
  /** `send.to` and `exit.send.to` entries. */
  destinations: Located<string>[];
  /** `audience` leaves of its conditions. */
  audiences: Located<string>[];
}

export interface BuiltJourney {
  /** The id, when it could be read (for duplicate checks across files). */
  id: Located<string> | null;
  /** The model, only when the file has no problem. */
  journey: Journey | null;
  refs: JourneyRefs;
}

/** Builds the model of one journey file, reporting every problem into `report`. */
export function buildJourney(raw: RawJourney, file: string, report: Reporter): BuiltJourney {
  const before = report.count;
  const refs: JourneyRefs = { destinations: [], audiences: [] };
  const id = raw.journey === undefined ? null : { value: raw.journey, line: raw.$at.journey ?? raw.$line };
  // Written, even if invalid (reported there): sameKey is then allowed.
  const hasKey = raw.entry?.kind === 'event' && raw.entry.$at.key !== undefined;
  const cx: Context = { report, refs, hasKey, entryRead: raw.entry !== undefined, ids: new Set(), following: END, badRefs: 0 };

  const entry = raw.entry === undefined ? undefined : buildEntry(raw.entry, raw.exit, cx);
  const exit = raw.exit === undefined ? emptyExit() : buildExit(raw.exit, cx);
  const steps = buildSteps(raw.steps ?? [], cx);
  for (const m of raw.migrate ?? []) {
    if (m.value !== END && !cx.ids.has(m.value)) {
      report.add(m.line, `migrate maps '${m.key}' to '${m.value}', which is not a step of this file${didYouMean(m.value, cx.ids)}`);
    }
  }

  if (report.count !== before || !raw.$ok || entry === undefined || exit === undefined || steps === undefined) {
    return { id, journey: null, refs };
  }
  const journey: Journey = {
    id: raw.journey,
    name: raw.name ?? null,
    description: raw.description ?? null,
    version: raw.version ?? 1,
    status: raw.status ?? 'live',
    migrate: raw.migrate === undefined ? null : Object.fromEntries(raw.migrate.map((m) => [m.key, m.value])),
    entry,
    exit,
    steps,
    file,
  };
  return { id, journey, refs };
}

interface Context {
  report: Reporter;
  refs: JourneyRefs;
  /** The journey has `entry.key`: `sameKey` defaults to true, and is allowed at all. */
  hasKey: boolean;
  /** The entry could be read (it is there, with one kind): else whether it has a key is unknown. */
  entryRead: boolean;
  /** Every step id of the file (also of steps that are otherwise broken). */
  ids: Set<string>;
  /** The step after the one being built, or `end`. */
  following: Target;
  /** A reference named no step: the graph is then unknown, and not checked. */
  badRefs: number;
}

// ---------------------------------------------------------------------------------------------------
// Entry and exit

function condition(raw: RawCondition | undefined, cx: Context, place: string, contextAllowed = false): Condition | undefined {
  if (raw === undefined) return undefined;
  const scope: ConditionScope = { place, contextAllowed, audiences: cx.refs.audiences };
  return buildCondition(raw, cx.report, scope);
}

function buildEntry(raw: RawEntry, rawExit: RawExit | undefined, cx: Context): Entry | undefined {
  const { report } = cx;
  if (raw.reentryAfter !== undefined && raw.reentry !== 'after-exit') {
    report.add(raw.$at.reentryAfter ?? raw.$line, "reentryAfter needs reentry: after-exit (it is the wait after the last exit or completion)");
  }
  if (raw.kind === 'event') {
    const when = condition(raw.when, cx, 'entry.when');
    if (!raw.$ok || (raw.when !== undefined && when === undefined)) return undefined;
    return {
      kind: 'event',
      event: raw.event,
      where: buildWhere(raw.where ?? []),
      when: when ?? null,
      key: raw.key === undefined ? null : raw.key.split('.'),
      reentry: raw.reentry ?? 'always',
      reentryAfter: raw.reentryAfter ?? null,
    };
  }
  const cond = condition(raw.condition, cx, 'entry.condition');
  if (raw.reentry === 'after-exit') {
    const missing = [rawExit?.$at.after === undefined ? 'exit.after' : null, raw.$at.reentryAfter === undefined ? 'reentryAfter' : null].filter((m) => m !== null);
    if (missing.length > 0) {
      report.add(
        raw.$at.reentry ?? raw.$line,
        `reentry: after-exit on a condition entry needs both exit.after and reentryAfter (missing ${missing.join(' and ')})`,
      );
    }
  }
  if (!raw.$ok || cond === undefined) return undefined;
  return { kind: 'condition', condition: cond, historical: raw.historical ?? false, reentry: raw.reentry ?? 'once', reentryAfter: raw.reentryAfter ?? null };
}

function emptyExit(): Exit {
  return { after: null, condition: null, events: [], send: null };
}

function checkSameKey(sameKey: boolean | undefined, line: number | undefined, cx: Context): void {
  // An entry missing or of no clear kind is reported as such; whether sameKey is allowed then is not known.
  if (sameKey !== undefined && cx.entryRead && !cx.hasKey) {
    cx.report.add(line ?? 1, 'sameKey needs an instance key: this journey has no entry.key (add one, or remove sameKey)');
  }
}

function buildExit(raw: RawExit, cx: Context): Exit | undefined {
  const cond = condition(raw.condition, cx, 'exit.condition');
  const events: (ExitRule | undefined)[] = (raw.events ?? []).map((e) => {
    checkSameKey(e.sameKey, e.$at.sameKey, cx);
    return e.$ok ? { event: e.event, where: buildWhere(e.where ?? []), sameKey: e.sameKey ?? cx.hasKey } : undefined;
  });
  const send = raw.send === undefined ? null : buildSend(raw.send, 'Journey Exited', cx);
  if (!raw.$ok || (raw.condition !== undefined && cond === undefined) || send === undefined || !all(events)) return undefined;
  return { after: raw.after ?? null, condition: cond ?? null, events, send };
}

function buildSend(raw: RawSend, defaultEvent: string, cx: Context): SendSpec | undefined {
  for (const to of raw.to ?? []) cx.refs.destinations.push(to);
  if (!raw.$ok) return undefined;
  return { to: raw.to.map((t) => t.value), event: raw.event ?? defaultEvent, traits: raw.traits ?? [] };
}

function all<T>(xs: (T | undefined)[]): xs is T[] {
  return xs.every((x) => x !== undefined);
}

// ---------------------------------------------------------------------------------------------------
// Steps

function buildSteps(raws: (RawStep | BrokenStep)[], cx: Context): Step[] | undefined {
  const { report } = cx;
  const firstLine = new Map<string, number>();
  let duplicates = false;
  let reserved = false;
  for (const raw of raws) {
    const id = raw.id;
    if (id === null || id === undefined) continue;
    const line = raw.kind === 'broken' ? raw.$line : (raw.$at.id ?? raw.$line);
    const first = firstLine.get(id);
    if (first !== undefined) {
      report.add(line, `duplicate step id '${id}' (first at line ${first}): step ids must be unique in a journey`);
      duplicates = true;
    } else {
      firstLine.set(id, line);
    }
    if (id === END) {
      report.add(line, "'end' is reserved (next: end ends the path) and cannot be a step id");
      reserved = true;
    }
  }
  cx.ids = new Set(firstLine.keys());
  cx.ids.delete(END);

  const steps: (Step | undefined)[] = [];
  const graph: GraphStep[] = [];
  raws.forEach((raw, i) => {
    const next = raws[i + 1];
    cx.following = next?.id ?? END;
    if (raw.kind === 'broken') {
      steps.push(undefined);
      return;
    }
    const edges: Edge[] = [];
    steps.push(buildStep(raw, cx, edges));
    if (raw.id !== undefined) graph.push({ id: raw.id, line: raw.$at.id ?? raw.$line, edges });
  });
  if (!all(steps)) return undefined;
  // The graph is only checked when every step and successor is known, so that one mistake is not
  // reported again as a cycle or an unreachable step.
  if (!duplicates && !reserved && cx.badRefs === 0 && !report.partial && graph.length === steps.length) checkGraph(graph, report);
  return steps;
}

/** Checks a step reference and returns it, or the default when the file names none. */
function target(value: string | undefined, line: number | undefined, label: string, fallback: Target, cx: Context, from: string | undefined, edges: Edge[] | null): Target {
  const to = value ?? fallback;
  if (value !== undefined && value !== END && !cx.ids.has(value)) {
    cx.report.add(line ?? 1, `unknown step '${value}' in ${label}${didYouMean(value, cx.ids)}`);
    cx.badRefs++;
  }
  if (edges !== null && from !== undefined) edges.push({ from, to, line: line ?? 1 });
  return to;
}

function buildStep(raw: RawStep, cx: Context, edges: Edge[]): Step | undefined {
  const { report } = cx;
  const id = raw.id;
  const stepLine = raw.$at.id ?? raw.$line;
  const place = `step '${id ?? '?'}'`;
  const t = (value: string | undefined, line: number | undefined, label: string, fallback: Target = cx.following, edge = true): Target =>
    target(value, line ?? stepLine, label, fallback, cx, id, edge ? edges : null);

  switch (raw.kind) {
    case 'wait': {
      const next = t(raw.next, raw.$at.next, 'next');
      return raw.$ok ? { id: raw.id, type: 'wait', duration: raw.wait, next } : undefined;
    }
    case 'send': {
      const next = t(raw.next, raw.$at.next, 'next');
      const send = raw.send === undefined ? undefined : buildSend(raw.send, id ?? '', cx);
      return raw.$ok && send !== undefined ? { id: raw.id, type: 'send', send, next } : undefined;
    }
    case 'waitUntil': {
      const body = raw.waitUntil;
      const cond = condition(body?.condition, cx, place, true);
      const next = t(raw.next, raw.$at.next, 'next');
      const onTimeout = t(body?.onTimeout, body?.$at.onTimeout, 'onTimeout', cx.following, body?.timeout !== undefined);
      if (!raw.$ok || cond === undefined) return undefined;
      return { id: raw.id, type: 'waitUntil', condition: cond, timeout: raw.waitUntil.timeout ?? null, onTimeout, next };
    }
    case 'waitFor': {
      const body = raw.waitFor;
      const branches = (body?.events ?? []).map((e) => buildWaitForBranch(e, cx, t));
      checkOverlaps(body?.events ?? [], report);
      const onTimeout = t(body?.onTimeout, body?.$at.onTimeout, 'onTimeout');
      if (!raw.$ok || !raw.waitFor.$ok || !all(branches)) return undefined;
      return { id: raw.id, type: 'waitFor', branches, timeout: raw.waitFor.timeout, onTimeout };
    }
    case 'split':
    case 'branch': {
      const body = raw.kind === 'split' ? raw.split : raw.branch;
      const branches = (body?.branches ?? []).map((b) => {
        const when = condition(b.when, cx, place, true);
        const next = t(b.next, b.$at.next, 'next');
        return b.$ok && when !== undefined ? { when, next } : undefined;
      });
      if (raw.kind === 'split') {
        const otherwise = t(raw.split?.else, raw.split?.$at.else, 'else', END);
        if (!raw.$ok || !all(branches)) return undefined;
        return { id: raw.id, type: 'split', branches, else: otherwise };
      }
      if (!raw.$ok || !all(branches)) return undefined;
      return { id: raw.id, type: 'branch', branches };
    }
    case 'random': {
      const body = raw.random;
      const branches = (body?.branches ?? []).map((b) => {
        const next = t(b.next, b.$at.next, 'next');
        return b.$ok ? { percent: b.percent, next } : undefined;
      });
      if (body?.$ok === true && all(branches)) {
        const sum = branches.reduce((s, b) => s + b.percent, 0);
        if (sum !== 100) report.add(body.$at.branches ?? body.$line, `random percents sum to ${sum}: they must sum to 100`);
      }
      if (!raw.$ok || !all(branches)) return undefined;
      return { id: raw.id, type: 'random', branches, sticky: raw.random.sticky ?? true };
    }
  }
}

function buildWaitForBranch(
  e: RawWaitForEvent,
  cx: Context,
  t: (value: string | undefined, line: number | undefined, label: string, fallback?: Target, edge?: boolean) => Target,
): WaitForBranch | undefined {
  checkSameKey(e.sameKey, e.$at.sameKey, cx);
  const restart = e.restart ?? false;
  if (restart && e.next !== undefined) {
    cx.report.add(e.$at.next ?? e.$line, 'a restart: true event cannot have next (a restart loops back to this step): remove next or restart');
  }
  // A restart loops back to the step itself: not an edge of the step graph.
  const next = t(e.next, e.$at.next, 'next', undefined, !restart);
  if (!e.$ok) return undefined;
  return { event: e.event, where: buildWhere(e.where ?? []), sameKey: e.sameKey ?? cx.hasKey, next, restart, alias: e.alias ?? null };
}

/** Two events of one waitFor may name the same event only if both have where filters, and they differ. */
function checkOverlaps(events: RawWaitForEvent[], report: Reporter): void {
  const seen: { event: string; filter: string | null; line: number }[] = [];
  for (const e of events) {
    if (!e.$ok) continue;
    const where = buildWhere(e.where ?? []);
    const filter = where.length === 0 ? null : canonicalJson(canonicalWhere(where));
    const clash = seen.find((s) => s.event === e.event && (s.filter === null || filter === null || s.filter === filter));
    if (clash !== undefined) {
      const why = clash.filter === null || filter === null ? 'both need where filters, and different ones' : 'their where filters are the same';
      report.add(e.$line, `waitFor events overlap: '${e.event}' is also at line ${clash.line} (the same event may appear twice only with different where filters; ${why})`);
    }
    seen.push({ event: e.event, filter, line: e.$line });
  }
}
