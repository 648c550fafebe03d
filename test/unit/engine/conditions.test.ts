// Operators and conditions (spec §4.3): type-strict comparisons, missing values, dates and windows.
import type { Condition, Json, Operator, PerformedLeaf } from '../../../src/definitions/model';
import { evaluate, getPath, matchesPredicate, nextChange, resolveContext, type EvalScope } from '../../../src/engine/conditions';
import { newUserState } from '../../../src/engine/state';
import { parseTimestamp } from '../../../src/lib/time';
import { TestDriver } from '../../helpers/test-driver';

const NOW = parseTimestamp('2026-06-01T12:00:00Z')!;
const DAY = 86_400_000;

function holds(op: Operator, value: Json | undefined, now = NOW): boolean {
  return matchesPredicate([op], value, now);
}

describe('operators', () => {
  test.each<[string, Operator, Json | undefined, boolean]>([
    ['equals same type', { op: 'equals', value: 5 }, 5, true],
    ['equals never across types', { op: 'equals', value: 5 }, '5', false],
    ['equals strings are case-sensitive', { op: 'equals', value: 'Trial' }, 'trial', false],
    ['equals deep list', { op: 'equals', value: [1, 'a'] }, [1, 'a'], true],
    ['notEquals true for another type', { op: 'notEquals', value: 5 }, '5', true],
    ['notEquals false on missing', { op: 'notEquals', value: 5 }, undefined, false],
    ['notEquals false on null', { op: 'notEquals', value: 5 }, null, false],
    ['in', { op: 'in', value: ['a', 1] }, 1, true],
    ['in type-strict', { op: 'in', value: ['1'] }, 1, false],
    ['notIn', { op: 'notIn', value: ['a'] }, 'b', true],
    ['notIn false on missing', { op: 'notIn', value: ['a'] }, undefined, false],
    ['contains substring', { op: 'contains', value: 'art' }, 'cart', true],
    ['contains list element', { op: 'contains', value: 'x' }, ['x', 'y'], true],
    ['contains element type-strict', { op: 'contains', value: '1' }, [1], false],
    ['contains false on a number', { op: 'contains', value: '1' }, 1, false],
    ['contains non-string argument on a string', { op: 'contains', value: 5 }, 'a5', false],
    ['notContains string', { op: 'notContains', value: 'z' }, 'cart', true],
    ['notContains list', { op: 'notContains', value: 'x' }, ['x'], false],
    ['notContains false on other values', { op: 'notContains', value: 'x' }, 7, false],
    ['startsWith', { op: 'startsWith', value: 'ca' }, 'cart', true],
    ['startsWith strings only', { op: 'startsWith', value: '1' }, 12, false],
    ['endsWith', { op: 'endsWith', value: 'rt' }, 'cart', true],
    ['exists true', { op: 'exists', value: true }, 0, true],
    ['exists true on null', { op: 'exists', value: true }, null, false],
    ['exists false on missing', { op: 'exists', value: false }, undefined, true],
    ['exists false on null', { op: 'exists', value: false }, null, true],
    ['exists false on present', { op: 'exists', value: false }, 'x', false],
    ['gt numbers', { op: 'gt', value: 100 }, 101, true],
    ['gt never a string', { op: 'gt', value: 100 }, '101', false],
    ['gte boundary', { op: 'gte', value: 100 }, 100, true],
    ['lt', { op: 'lt', value: 1 }, 0.5, true],
    ['lte boundary', { op: 'lte', value: 1 }, 1, true],
    ['before', { op: 'before', value: parseTimestamp('2026-01-01T00:00:00Z')! }, '2025-12-31T23:59:59Z', true],
    ['before is strict', { op: 'before', value: parseTimestamp('2026-01-01T00:00:00Z')! }, '2026-01-01T00:00:00Z', false],
    ['after', { op: 'after', value: parseTimestamp('2026-01-01T00:00:00Z')! }, '2026-01-02', true],
    ['after on a non-date', { op: 'after', value: 0 }, 'soon', false],
    ['withinLast includes now', { op: 'withinLast', value: DAY }, '2026-06-01T12:00:00Z', true],
    ['withinLast excludes the span start', { op: 'withinLast', value: DAY }, '2026-05-31T12:00:00Z', false],
    ['withinLast excludes the future', { op: 'withinLast', value: DAY }, '2026-06-01T12:00:01Z', false],
    ['withinNext includes now + span', { op: 'withinNext', value: DAY }, '2026-06-02T12:00:00Z', true],
    ['withinNext excludes now', { op: 'withinNext', value: DAY }, '2026-06-01T12:00:00Z', false],
  ])('%s', (_name, op, value, expected) => {
    expect(holds(op, value)).toBe(expected);
  });

  test('several operators must all hold', () => {
    const age: Operator[] = [{ op: 'gte', value: 18 }, { op: 'lt', value: 65 }];
    expect(matchesPredicate(age, 30, NOW)).toBe(true);
    expect(matchesPredicate(age, 65, NOW)).toBe(false);
  });

  test('missing or null fails every operator except exists: false', () => {
    const ops: Operator[] = [
      { op: 'equals', value: null }, { op: 'notEquals', value: 1 }, { op: 'notIn', value: [1] }, { op: 'notContains', value: 'a' },
      { op: 'gt', value: 0 }, { op: 'exists', value: true }, { op: 'withinLast', value: DAY },
    ];
    for (const op of ops) {
      expect(holds(op, undefined)).toBe(false);
      expect(holds(op, null)).toBe(false);
    }
  });
});

describe('paths and context', () => {
  test('property paths use dots', () => {
    expect(getPath({ product: { sku: 'A1' } }, ['product', 'sku'])).toBe('A1');
    expect(getPath({ product: 'x' }, ['product', 'sku'])).toBeUndefined();
  });

  test('context path: the longest matching key, then a property path', () => {
    const ctx: [string, Record<string, Json>][] = [
      ['Cart', { total: 1 }],
      ['Cart.Modified', { total: 2 }],
    ];
    expect(resolveContext(ctx, 'Cart.Modified.total')).toBe(2);
    expect(resolveContext(ctx, 'Cart.total')).toBe(1);
    expect(resolveContext(ctx, 'Cart')).toEqual({ total: 1 });
    expect(resolveContext(ctx, 'Order.total')).toBeUndefined();
  });
});

describe('performed windows', () => {
  const leaf = (window: PerformedLeaf['window'], min = 1, max: number | null = null): PerformedLeaf =>
    ({ kind: 'performed', event: 'Order Completed', where: [], window, min, max, signature: 's' });

  function scopeWith(ts: number[], now: number): EvalScope {
    const state = newUserState('u', now);
    state.history.s = { n: ts.length, ts };
    return { state, now, context: null, audiences: new Map() };
  }

  test('within D counts now - D < ts <= now', () => {
    const within: Condition = leaf({ kind: 'within', span: DAY });
    expect(evaluate(within, scopeWith([NOW - DAY], NOW))).toBe(false);
    expect(evaluate(within, scopeWith([NOW - DAY + 1], NOW))).toBe(true);
    expect(evaluate(within, scopeWith([NOW + 1], NOW))).toBe(false);
  });

  test('between [D1, D2] counts now - D1 < ts <= now - D2', () => {
    const between: Condition = leaf({ kind: 'between', from: 7 * DAY, to: DAY });
    expect(evaluate(between, scopeWith([NOW - DAY], NOW))).toBe(true);
    expect(evaluate(between, scopeWith([NOW - DAY + 1], NOW))).toBe(false);
    expect(evaluate(between, scopeWith([NOW - 7 * DAY], NOW))).toBe(false);
  });

  test('no window counts every matching event since first seen', () => {
    const ever: Condition = leaf(null, 2, 2);
    const scope = scopeWith([], NOW);
    scope.state.history.s = { n: 2, ts: [] };
    expect(evaluate(ever, scope)).toBe(true);
  });

  test('counts and the next edge, found by binary search, equal a scan of the history on 2,000 random cases', () => {
    let seed = 7;
    const rnd = (n: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed % n;
    };
    for (let c = 0; c < 2000; c++) {
      // Ascending timestamps with repeats, around NOW; a window of either kind, edges landing on timestamps too.
      const ts = Array.from({ length: rnd(40) }, () => NOW - rnd(20) * 3_600_000).sort((a, b) => a - b);
      const window: PerformedLeaf['window'] = rnd(2) === 0 ? { kind: 'within', span: (1 + rnd(10)) * 3_600_000 } : { kind: 'between', from: (6 + rnd(10)) * 3_600_000, to: (1 + rnd(5)) * 3_600_000 };
      const from = window.kind === 'within' ? window.span : window.from;
      const to = window.kind === 'within' ? 0 : window.to;
      const now = NOW - rnd(8) * 3_600_000;
      const scanned = ts.filter((t) => t > now - from && t <= now - to).length;
      expect([evaluate(leaf(window, scanned, scanned), scopeWith(ts, now)), evaluate(leaf(window, scanned + 1), scopeWith(ts, now))]).toEqual([true, false]);
      const edges = ts.flatMap((t) => [t + to, t + from]).filter((e) => e > now);
      expect(nextChange(leaf(window), scopeWith(ts, now))).toBe(edges.length === 0 ? null : Math.min(...edges));
    }
  });

  test('"0 times within 180 days" flips exactly 180 days after the last order', () => {
    const none: Condition = leaf({ kind: 'within', span: 180 * DAY }, 0, 0);
    const last = NOW - 10 * DAY;
    const scope = scopeWith([NOW - 20 * DAY, last], NOW);
    expect(evaluate(none, scope)).toBe(false);
    // The earliest change is the older order leaving the window; the condition turns true when the last one does.
    expect(nextChange(none, scope)).toBe(NOW - 20 * DAY + 180 * DAY);
    const at = last + 180 * DAY;
    expect(evaluate(none, { ...scope, now: at - 1 })).toBe(false);
    expect(evaluate(none, { ...scope, now: at })).toBe(true);
  });

  test('a trait date with withinLast flips when its span ends', () => {
    const state = newUserState('u', NOW);
    state.traits.trial_started = '2026-06-01T00:00:00Z';
    const cond: Condition = { kind: 'trait', trait: 'trial_started', predicate: [{ op: 'withinLast', value: 7 * DAY }] };
    const scope: EvalScope = { state, now: NOW, context: null, audiences: new Map() };
    expect(evaluate(cond, scope)).toBe(true);
    expect(nextChange(cond, scope)).toBe(parseTimestamp('2026-06-08T00:00:00Z'));
  });

  test('audience: the named audience, else the boolean trait', () => {
    const state = newUserState('u', NOW);
    state.traits.vip = true;
    state.traits.big = true; // a trait of a defined audience's name does not count: the definition decides
    const spend: Condition = { kind: 'trait', trait: 'spend', predicate: [{ op: 'gt', value: 100 }] };
    const audiences = new Map([['big', { id: 'big', condition: spend }]]);
    const scope: EvalScope = { state, now: NOW, context: null, audiences };
    expect(evaluate({ kind: 'audience', audience: 'vip' }, scope)).toBe(true);
    expect(evaluate({ kind: 'audience', audience: 'big' }, scope)).toBe(false);
    state.traits.spend = 150;
    expect(evaluate({ kind: 'audience', audience: 'big' }, scope)).toBe(true);
    state.traits.other = 'true';
    expect(evaluate({ kind: 'audience', audience: 'other' }, scope)).toBe(false);
  });
});

describe('windowed counts beyond the default history of 10,000 timestamps', () => {
  const journey = (n: number) => `journey: j
entry:
  event: Go
steps:
  - id: route
    split:
      branches:
        - { when: { performed: Click, atLeast: ${n + 1}, within: 1d }, next: more }
        - { when: { performed: Click, exactly: ${n}, within: 1d }, next: exact }
  - id: more
    wait: 1h
    next: end
  - id: exact
    wait: 1h
    next: end
`;
  const route = (n: number, clicks: number): string | undefined => {
    const d = TestDriver.fromYaml(journey(n));
    const start = parseTimestamp('2026-03-01T00:00:00Z')!;
    for (let i = 0; i < clicks; i++) d.track('u', 'Click', new Date(start + i * 5000).toISOString());
    d.track('u', 'Go', '2026-03-01T20:00:00Z');
    return d.transitions().find((t) => t.reason === 'split')?.to;
  };

  test('a count of 12,000 in a window sees every event: the history keeps as many as the largest count needs', () => {
    expect(route(12_000, 12_001)).toBe('more');
    expect(route(12_000, 12_000)).toBe('exact');
    expect(route(12_000, 11_999)).toBeUndefined();
  });

  test('a between window still counts an old event after more newer ones than the history cap', () => {
    const d = TestDriver.fromYaml(`journey: j
entry:
  event: Go
  when: { performed: Buy, between: [60d, 30d] }
steps:
  - id: s
    wait: 1h
`, { historyCap: 5 });
    d.track('u', 'Buy', '2026-07-01T10:00:00Z');
    for (let i = 0; i < 20; i++) d.track('u', 'Buy', `2026-07-31T10:00:${String(i).padStart(2, '0')}Z`);
    d.track('u', 'Go', '2026-08-01T10:00:00Z'); // the 1 July buy is in (2 June, 2 July]; the 20 others too recent
    expect(d.lines()).toEqual(['u/j/1 null→s entry 2026-08-01T10:00:00.000Z']);
  });
});
