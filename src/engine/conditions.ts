// Conditions and operators (spec §4.3): evaluation at an instant, and the next instant at which the
// passage of time alone can change a condition's truth (so the engine schedules it instead of polling).
import type { Audience, Condition, Json, JsonObject, Operator, PerformedLeaf, Predicate, Where } from '../definitions/model';
import { ownValue } from '../lib/own';
import { parseDate } from '../lib/time';
import type { ContextSnapshot, UserState } from './state';

/** What a condition is evaluated against. */
export interface EvalScope {
  state: UserState;
  now: number;
  /** The instance context visible to the path (null where context leaves cannot appear). */
  context: readonly [string, ContextSnapshot][] | null;
  audiences: ReadonlyMap<string, Audience>;
}

// ---- values ---------------------------------------------------------------------------------------

/** Follows a property path; undefined when any part is missing. */
export function getPath(root: Json | undefined, path: readonly string[]): Json | undefined {
  let cur: Json | undefined = root;
  for (const part of path) {
    if (cur === null || cur === undefined || typeof cur !== 'object') return undefined;
    if (Array.isArray(cur)) {
      if (!/^(0|[1-9][0-9]*)$/.test(part)) return undefined;
      cur = cur[Number(part)];
    } else {
      cur = Object.prototype.hasOwnProperty.call(cur, part) ? cur[part] : undefined;
    }
  }
  return cur;
}

/** Type-strict deep equality: a number never equals a string. */
export function jsonEquals(a: Json | undefined, b: Json | undefined): boolean {
  if (a === b) return true;
  if (a === null || b === null || a === undefined || b === undefined) return false;
  if (typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEquals(a[i], b[i])) return false;
    return true;
  }
  const ao = a as JsonObject, bo = b as JsonObject;
  const ak = Object.keys(ao), bk = Object.keys(bo);
  if (ak.length !== bk.length) return false;
  for (const k of ak) if (!Object.prototype.hasOwnProperty.call(bo, k) || !jsonEquals(ao[k], bo[k])) return false;
  return true;
}

function dateOf(value: Json): number | null {
  return typeof value === 'string' ? parseDate(value) : null;
}

/** One operator against a present, non-null value. */
function holds(op: Operator, value: Json, now: number): boolean {
  switch (op.op) {
    case 'equals':
      return jsonEquals(value, op.value);
    case 'notEquals':
      return !jsonEquals(value, op.value);
    case 'in':
      return op.value.some((v) => jsonEquals(value, v));
    case 'notIn':
      return !op.value.some((v) => jsonEquals(value, v));
    case 'contains':
    case 'notContains': {
      let found: boolean;
      if (typeof value === 'string' && typeof op.value === 'string') found = value.includes(op.value);
      else if (Array.isArray(value)) found = value.some((v) => jsonEquals(v, op.value));
      else return false;
      return op.op === 'contains' ? found : !found;
    }
    case 'startsWith':
      return typeof value === 'string' && value.startsWith(op.value);
    case 'endsWith':
      return typeof value === 'string' && value.endsWith(op.value);
    case 'exists':
      return op.value;
    case 'gt':
      return typeof value === 'number' && value > op.value;
    case 'gte':
      return typeof value === 'number' && value >= op.value;
    case 'lt':
      return typeof value === 'number' && value < op.value;
    case 'lte':
      return typeof value === 'number' && value <= op.value;
    case 'before': {
      const d = dateOf(value);
      return d !== null && d < op.value;
    }
    case 'after': {
      const d = dateOf(value);
      return d !== null && d > op.value;
    }
    case 'withinLast': {
      const d = dateOf(value);
      return d !== null && now - op.value < d && d <= now;
    }
    case 'withinNext': {
      const d = dateOf(value);
      return d !== null && now < d && d <= now + op.value;
    }
  }
}

/** All operators hold. A missing or null value fails every operator except `exists: false`. */
export function matchesPredicate(predicate: Predicate, value: Json | undefined, now: number): boolean {
  for (const op of predicate) {
    if (value === undefined || value === null) {
      if (!(op.op === 'exists' && !op.value)) return false;
    } else if (!holds(op, value, now)) {
      return false;
    }
  }
  return true;
}

/** `where` filters; date operators are evaluated at `at` (the filtered event's own timestamp). */
export function matchesWhere(where: Where, properties: JsonObject, at: number): boolean {
  for (const f of where) if (!matchesPredicate(f.predicate, getPath(properties, f.path), at)) return false;
  return true;
}

/** Next instant after `now` at which a predicate's time-relative operators can flip for this value. */
function predicateChange(predicate: Predicate, value: Json | undefined, now: number): number | null {
  if (typeof value !== 'string') return null;
  let next: number | null = null;
  for (const op of predicate) {
    if (op.op !== 'withinLast' && op.op !== 'withinNext') continue;
    const d = parseDate(value);
    if (d === null) return null;
    // withinLast: true for now in [d, d + span); withinNext: true for now in [d - span, d).
    const edges = op.op === 'withinLast' ? [d, d + op.value] : [d - op.value, d];
    for (const e of edges) if (e > now && (next === null || e < next)) next = e;
  }
  return next;
}

// ---- context ----------------------------------------------------------------------------------------

/** `Product Added.total`: the longest context key that is the path or a dotted prefix of it, then a property path. */
export function resolveContext(context: readonly [string, ContextSnapshot][], path: string): Json | undefined {
  let best: [string, ContextSnapshot] | undefined;
  for (const entry of context) {
    const k = entry[0];
    if ((path === k || path.startsWith(k + '.')) && (best === undefined || k.length > best[0].length)) best = entry;
  }
  if (best === undefined) return undefined;
  if (best[0].length === path.length) return best[1];
  return getPath(best[1], path.slice(best[0].length + 1).split('.'));
}

// ---- performed --------------------------------------------------------------------------------------

function countPerformed(leaf: PerformedLeaf, state: UserState, now: number): number {
  const h = state.history[leaf.signature];
  if (h === undefined) return 0;
  const w = leaf.window;
  if (w === null) return h.n;
  // within D: now - D < ts <= now; between [D1, D2]: now - D1 < ts <= now - D2.
  const lo = now - (w.kind === 'within' ? w.span : w.from);
  const hi = now - (w.kind === 'within' ? 0 : w.to);
  return firstAbove(h.ts, hi) - firstAbove(h.ts, lo);
}

/**
 * The index of the first timestamp above `t` in `ts` (ascending, as the history keeps them): a binary search, so
 * a user with many events and many waiting paths costs a logarithm per evaluation, not a scan of the history.
 */
function firstAbove(ts: readonly number[], t: number): number {
  let lo = 0;
  let hi = ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((ts[mid] as number) > t) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function performedChange(leaf: PerformedLeaf, state: UserState, now: number): number | null {
  const w = leaf.window;
  const h = state.history[leaf.signature];
  if (w === null || h === undefined) return null;
  // A timestamp ts is counted for now in [ts + to, ts + from): the count changes at those edges.
  const from = w.kind === 'within' ? w.span : w.from;
  const to = w.kind === 'within' ? 0 : w.to;
  // The earliest edge after now of each kind: the first timestamp past `now - to`, and the first past `now - from`.
  const entering = h.ts[firstAbove(h.ts, now - to)];
  const leaving = h.ts[firstAbove(h.ts, now - from)];
  const a = entering === undefined ? null : entering + to;
  const b = leaving === undefined ? null : leaving + from;
  return a === null ? b : b === null ? a : Math.min(a, b);
}

// ---- conditions -------------------------------------------------------------------------------------

export function evaluate(cond: Condition, scope: EvalScope): boolean {
  switch (cond.kind) {
    case 'all':
      return cond.of.every((c) => evaluate(c, scope));
    case 'any':
      return cond.of.some((c) => evaluate(c, scope));
    case 'not':
      return !evaluate(cond.of, scope);
    case 'performed': {
      const n = countPerformed(cond, scope.state, scope.now);
      return n >= cond.min && (cond.max === null || n <= cond.max);
    }
    case 'trait':
      return matchesPredicate(cond.predicate, ownValue(scope.state.traits, cond.trait), scope.now);
    case 'audience': {
      const audience = scope.audiences.get(cond.audience);
      if (audience !== undefined) return evaluate(audience.condition, scope);
      return ownValue(scope.state.traits, cond.audience) === true;
    }
    case 'context':
      return matchesPredicate(cond.predicate, scope.context === null ? undefined : resolveContext(scope.context, cond.path), scope.now);
  }
}

/** The next instant after `scope.now` at which time alone can change the truth of `cond` (null: never). */
export function nextChange(cond: Condition, scope: EvalScope): number | null {
  switch (cond.kind) {
    case 'all':
    case 'any': {
      let next: number | null = null;
      for (const c of cond.of) {
        const t = nextChange(c, scope);
        if (t !== null && (next === null || t < next)) next = t;
      }
      return next;
    }
    case 'not':
      return nextChange(cond.of, scope);
    case 'performed':
      return performedChange(cond, scope.state, scope.now);
    case 'trait':
      return predicateChange(cond.predicate, ownValue(scope.state.traits, cond.trait), scope.now);
    case 'audience': {
      const audience = scope.audiences.get(cond.audience);
      return audience === undefined ? null : nextChange(audience.condition, scope);
    }
    case 'context':
      return scope.context === null ? null : predicateChange(cond.predicate, resolveContext(scope.context, cond.path), scope.now);
  }
}

const timeDependence = new WeakMap<Condition, boolean>();

/** Whether time alone can change the condition's truth (windows, withinLast/withinNext), so it must be watched. */
export function isTimeDependent(cond: Condition, audiences: ReadonlyMap<string, Audience>): boolean {
  const known = timeDependence.get(cond);
  if (known !== undefined) return known;
  let result: boolean;
  switch (cond.kind) {
    case 'all':
    case 'any':
      result = cond.of.some((c) => isTimeDependent(c, audiences));
      break;
    case 'not':
      result = isTimeDependent(cond.of, audiences);
      break;
    case 'performed':
      result = cond.window !== null;
      break;
    case 'trait':
    case 'context':
      result = cond.predicate.some((op) => op.op === 'withinLast' || op.op === 'withinNext');
      break;
    case 'audience': {
      const audience = audiences.get(cond.audience);
      result = audience !== undefined && isTimeDependent(audience.condition, audiences);
      break;
    }
  }
  timeDependence.set(cond, result);
  return result;
}
