// Conditions, `where` filters and operators (spec §4.3): from their checked YAML form to the model, with
// the rules that need more than one key (`atLeast` above `atMost`, `between` order, `context` placement).
import { DAY, formatDuration } from '../lib/duration';
import { sha256Hex } from '../lib/hash';
import { setOwn } from '../lib/own';
import type { Located } from './descriptor';
import type { RawCondition, RawFilter, RawOperators } from './keys';
import type { Condition, Journey, Json, Operator, PerformedLeaf, Predicate, PropertyFilter, Where } from './model';
import type { Reporter } from './problems';

/**
 * The largest count a windowed `performed` leaf may ask for. Counting N in a window takes the latest N + 1
 * timestamps of the event, kept in one state record; 50,000 of them stay well under Kafka's 1 MiB record limit.
 */
export const MAX_WINDOWED_COUNT = 50_000;

/** Where a condition sits, for the `context` rule and for messages. */
export interface ConditionScope {
  /** `entry.when`, `exit.condition`, `step 'x'`, `audience 'vip'`. */
  place: string;
  /** `context` leaves are allowed only in `split`, `branch` and `waitUntil` steps. */
  contextAllowed: boolean;
  /** Audience names the condition mentions, with their lines (for audience cycles and unusable audiences). */
  audiences?: Located<string>[];
}

/** The model condition, or undefined when it (or a part of it) is invalid; every problem is reported. */
export function buildCondition(raw: RawCondition, report: Reporter, scope: ConditionScope): Condition | undefined {
  switch (raw.kind) {
    case 'all':
    case 'any': {
      const items = raw.kind === 'all' ? raw.all : raw.any;
      const of = (items ?? []).map((c) => buildCondition(c.raw, report, scope));
      if (!raw.$ok || !defined(of)) return undefined;
      return { kind: raw.kind, of };
    }
    case 'not': {
      const of = raw.not === undefined ? undefined : buildCondition(raw.not.raw, report, scope);
      return raw.$ok && of !== undefined ? { kind: 'not', of } : undefined;
    }
    case 'performed':
      return buildPerformed(raw, report);
    case 'trait':
      return raw.$ok ? { kind: 'trait', trait: raw.trait, predicate: toPredicate(raw) } : undefined;
    case 'audience':
      if (!raw.$ok) return undefined;
      scope.audiences?.push({ value: raw.audience, line: raw.$at.audience ?? raw.$line });
      return { kind: 'audience', audience: raw.audience };
    case 'context':
      if (!scope.contextAllowed) {
        report.add(raw.$at.context ?? raw.$line, `context conditions are only allowed in split, branch and waitUntil steps, not in ${scope.place}`);
        return undefined;
      }
      return raw.$ok ? { kind: 'context', path: raw.context, predicate: toPredicate(raw) } : undefined;
  }
}

function buildPerformed(raw: RawCondition & { kind: 'performed' }, report: Reporter): PerformedLeaf | undefined {
  let ok = raw.$ok;
  const { atLeast, atMost, exactly, between } = raw;
  if (atLeast !== undefined && atMost !== undefined && atLeast > atMost) {
    report.add(raw.$at.atLeast ?? raw.$line, `atLeast (${atLeast}) is above atMost (${atMost}): no count can satisfy both`);
    ok = false;
  }
  const windowed = raw.within !== undefined || between !== undefined;
  for (const [key, n] of [['atLeast', atLeast], ['atMost', atMost], ['exactly', exactly]] as const) {
    if (windowed && n !== undefined && n > MAX_WINDOWED_COUNT) {
      report.add(raw.$at[key] ?? raw.$line, `${key} (${n}) is above ${MAX_WINDOWED_COUNT}, the largest count in a window (the history keeps at most ${MAX_WINDOWED_COUNT + 1} timestamps per event and filter)`);
      ok = false;
    }
  }
  if (between !== undefined && between.length === 2) {
    const [d1, d2] = between;
    if (d1 !== undefined && d2 !== undefined && d1.value <= d2.value) {
      report.add(
        raw.$at.between ?? raw.$line,
        `between: [${days(d1.value)}, ${days(d2.value)}] needs D1 above D2 (it counts from D1 ago to D2 ago)${d1.value < d2.value ? `, e.g. [${days(d2.value)}, ${days(d1.value)}]` : ''}`,
      );
      ok = false;
    }
  }
  if (!ok || !raw.$ok) return undefined;
  const where = buildWhere(raw.where ?? []);
  let window: PerformedLeaf['window'] = null;
  if (raw.within !== undefined) window = { kind: 'within', span: raw.within };
  else if (between !== undefined && between[0] !== undefined && between[1] !== undefined) window = { kind: 'between', from: between[0].value, to: between[1].value };
  let min = 1;
  let max: number | null = null;
  if (exactly !== undefined) {
    min = exactly;
    max = exactly;
  } else if (atLeast !== undefined || atMost !== undefined) {
    min = atLeast ?? 0;
    max = atMost ?? null;
  }
  return { kind: 'performed', event: raw.performed, where, window, min, max, signature: signature(raw.performed, where) };
}

/** A duration as people write windows: in days when it is whole days. */
function days(ms: number): string {
  return ms % DAY === 0 ? `${ms / DAY}d` : formatDuration(ms);
}

function defined<T>(xs: (T | undefined)[]): xs is T[] {
  return xs.every((x) => x !== undefined);
}

/** The operators of a checked operator mapping (or leaf), in the order of spec §4.3. */
export function toPredicate(ops: Partial<Omit<RawOperators, '$ok' | '$line' | '$at'>>): Predicate {
  const p: Operator[] = [];
  if (ops.equals !== undefined) p.push({ op: 'equals', value: ops.equals });
  if (ops.notEquals !== undefined) p.push({ op: 'notEquals', value: ops.notEquals });
  if (ops.in !== undefined) p.push({ op: 'in', value: ops.in });
  if (ops.notIn !== undefined) p.push({ op: 'notIn', value: ops.notIn });
  if (ops.contains !== undefined) p.push({ op: 'contains', value: ops.contains });
  if (ops.notContains !== undefined) p.push({ op: 'notContains', value: ops.notContains });
  if (ops.startsWith !== undefined) p.push({ op: 'startsWith', value: ops.startsWith });
  if (ops.endsWith !== undefined) p.push({ op: 'endsWith', value: ops.endsWith });
  if (ops.exists !== undefined) p.push({ op: 'exists', value: ops.exists });
  for (const op of ['gt', 'gte', 'lt', 'lte'] as const) {
    const v = ops[op];
    if (v !== undefined) p.push({ op, value: v });
  }
  for (const op of ['before', 'after', 'withinLast', 'withinNext'] as const) {
    const v = ops[op];
    if (v !== undefined) p.push({ op, value: v });
  }
  return p;
}

/** The model filter of a checked `where` (only call with filters that parsed). */
export function buildWhere(filters: RawFilter[]): Where {
  return filters.map((f): PropertyFilter => ({
    path: f.path.split('.'),
    predicate: f.value.kind === 'equals' ? [{ op: 'equals', value: f.value.value }] : toPredicate(f.value.ops),
  }));
}

/** `{ path: { op: value } }`, the same for the same filter whatever the order it was written in. */
export function canonicalWhere(where: Where): Json {
  const out: { [key: string]: Json } = {};
  for (const f of where) {
    const ops: { [key: string]: Json } = {};
    for (const o of f.predicate) ops[o.op] = o.value;
    setOwn(out, f.path.join('.'), ops); // a property named __proto__ is a key like any other
  }
  return out;
}

/** JSON with object keys sorted at every level. */
export function canonicalJson(value: Json): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k] ?? null)}`).join(',')}}`;
}

/**
 * A performed leaf's signature: the first 16 hex digits of SHA-256 of the canonical JSON of
 * `{event, where}`. User state keeps one event history per signature, so it must not change when a file
 * is reloaded or its keys are reordered.
 */
export function signature(event: string, where: Where): string {
  const text = canonicalJson({ event, where: canonicalWhere(where) });
  return sha256Hex(text).slice(0, 16);
}

/** Every condition of a journey version: its entry's (`when` or `condition`), exit condition, waitUntil and branches. */
export function journeyConditions(j: Journey): Condition[] {
  const out: Condition[] = [];
  const entry = j.entry.kind === 'event' ? j.entry.when : j.entry.condition;
  if (entry !== null) out.push(entry);
  if (j.exit.condition !== null) out.push(j.exit.condition);
  for (const s of j.steps) {
    if (s.type === 'waitUntil') out.push(s.condition);
    if (s.type === 'split' || s.type === 'branch') for (const b of s.branches) out.push(b.when);
  }
  return out;
}

/** The `performed` leaves of conditions (not those of the audiences they name), in order. */
export function performedLeaves(conditions: Iterable<Condition>): PerformedLeaf[] {
  const out: PerformedLeaf[] = [];
  const visit = (c: Condition): void => {
    if (c.kind === 'all' || c.kind === 'any') c.of.forEach(visit);
    else if (c.kind === 'not') visit(c.of);
    else if (c.kind === 'performed') out.push(c);
  };
  for (const c of conditions) visit(c);
  return out;
}
