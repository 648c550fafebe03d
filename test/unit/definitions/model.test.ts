// Valid files load into the exact model of src/definitions/model.ts: durations in milliseconds, dates in
// epoch milliseconds, defaults filled in (spec §4.1-§4.3, §6), `next` resolved, stable signatures.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { loadDefinitions, validatePaths, type Condition, type Definitions, type Journey, type Step } from '../../../src/definitions';
import { DESTINATIONS, FIXTURES, topology, yaml } from './helpers';

const S = 1000;
const H = 3600 * S;
const D = 24 * H;

/** Written here from the rule (first 16 hex digits of SHA-256 of the canonical JSON of {event, where}), not taken from the code. */
function sig(event: string, where: Record<string, Record<string, unknown>>): string {
  const canonical = (v: unknown): string =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? `{${Object.keys(v)
          .sort()
          .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
          .join(',')}}`
      : Array.isArray(v)
        ? `[${v.map(canonical).join(',')}]`
        : JSON.stringify(v);
  return createHash('sha256').update(canonical({ event, where })).digest('hex').slice(0, 16);
}

function load(text: string): Definitions {
  return loadDefinitions(topology({ 'j.journey.yaml': text, 'destinations.yaml': DESTINATIONS }));
}

function only(defs: Definitions): Journey {
  const [j] = defs.journeys;
  if (j === undefined || defs.journeys.length !== 1) throw new Error('expected one journey');
  return j;
}

describe('the valid fixture folder', () => {
  const dir = join(FIXTURES, 'valid');
  const defs = loadDefinitions(dir);
  const journey = (id: string): Journey => {
    const j = defs.journeys.find((x) => x.id === id);
    if (j === undefined) throw new Error(id);
    return j;
  };

  test('cart-abandonment (the example of spec §4)', () => {
    expect(journey('cart-abandonment')).toEqual<Journey>({
      id: 'cart-abandonment',
      name: 'Cart abandonment',
      description: null,
      version: 3,
      status: 'live',
      migrate: null,
      entry: {
        kind: 'event',
        event: 'Product Added',
        where: [{ path: ['cart_id'], predicate: [{ op: 'exists', value: true }] }],
        when: { kind: 'audience', audience: 'shoppers' },
        key: ['cart_id'],
        reentry: 'always',
        reentryAfter: null,
      },
      exit: {
        after: 7 * D,
        condition: { kind: 'trait', trait: 'plan', predicate: [{ op: 'equals', value: 'paid' }] },
        events: [{ event: 'Order Completed', where: [], sameKey: true }],
        send: { to: ['crm'], event: 'Journey Exited', traits: [] },
      },
      steps: [
        {
          id: 'hold',
          type: 'waitFor',
          branches: [
            // A restart branch names no next: it resolves like any branch (the following step); the engine loops on `restart`.
            { event: 'Cart Modified', where: [], sameKey: true, next: 'nudge', restart: true, alias: null },
            { event: 'Order Completed', where: [], sameKey: true, next: 'end', restart: false, alias: null },
          ],
          timeout: 2 * H,
          onTimeout: 'nudge',
        },
        { id: 'nudge', type: 'send', send: { to: ['crm', 'warehouse'], event: 'Cart Abandoned', traits: [] }, next: 'end' },
      ],
      file: join(dir, 'cart-abandonment.journey.yaml'),
    });
  });

  test('welcome: condition entry, every step type, defaults', () => {
    expect(journey('welcome')).toEqual<Journey>({
      id: 'welcome',
      name: null,
      description: 'Onboarding for new sign-ups',
      version: 1,
      status: 'live',
      migrate: null,
      entry: {
        kind: 'condition',
        condition: {
          kind: 'all',
          of: [
            { kind: 'performed', event: 'Signed Up', where: [], window: { kind: 'within', span: D }, min: 1, max: null, signature: sig('Signed Up', {}) },
            { kind: 'not', of: { kind: 'trait', trait: 'unsubscribed', predicate: [{ op: 'equals', value: true }] } },
          ],
        },
        historical: true,
        reentry: 'after-exit',
        reentryAfter: 30 * D,
      },
      exit: {
        after: 90 * D,
        condition: null,
        events: [{ event: 'Account Closed', where: [{ path: ['reason'], predicate: [{ op: 'notIn', value: ['test'] }] }], sameKey: false }],
        send: null,
      },
      steps: [
        { id: 'pause', type: 'wait', duration: H, next: 'activated' },
        {
          id: 'activated',
          type: 'waitUntil',
          condition: {
            kind: 'performed',
            event: 'Project Created',
            where: [{ path: ['template'], predicate: [{ op: 'startsWith', value: 'demo' }] }],
            window: null,
            min: 1,
            max: null,
            signature: sig('Project Created', { template: { startsWith: 'demo' } }),
          },
          timeout: 3 * D,
          onTimeout: 'tips',
          next: 'route',
        },
        { id: 'tips', type: 'send', send: { to: ['email'], event: 'tips', traits: ['first_name'] }, next: 'route' },
        {
          id: 'route',
          type: 'split',
          branches: [{ when: { kind: 'context', path: 'Project Created.template', predicate: [{ op: 'endsWith', value: '-pro' }] }, next: 'pro' }],
          else: 'ab',
        },
        { id: 'pro', type: 'send', send: { to: ['crm'], event: 'Pro Template Used', traits: [] }, next: 'end' },
        {
          id: 'ab',
          type: 'random',
          branches: [
            { percent: 40, next: 'variant-a' },
            { percent: 60, next: 'variant-b' },
          ],
          sticky: false,
        },
        {
          id: 'variant-a',
          type: 'branch',
          branches: [
            { when: { kind: 'trait', trait: 'signup_date', predicate: [{ op: 'withinLast', value: 7 * D }] }, next: 'variant-b' },
            {
              when: { kind: 'performed', event: 'Invite Sent', where: [], window: { kind: 'between', from: 14 * D, to: 7 * D }, min: 0, max: 3, signature: sig('Invite Sent', {}) },
              next: 'end',
            },
          ],
        },
        { id: 'variant-b', type: 'send', send: { to: ['warehouse'], event: 'variant-b', traits: [] }, next: 'end' },
      ],
      file: join(dir, 'B-welcome.journey.yaml'),
    });
  });

  test('repeat-buyer: every operator, dates, paused, migrate, no key', () => {
    expect(journey('repeat-buyer')).toEqual<Journey>({
      id: 'repeat-buyer',
      name: null,
      description: null,
      version: 2,
      status: 'paused',
      migrate: { 'old-wait': 'cooldown' },
      entry: {
        kind: 'event',
        event: 'Order Completed',
        where: [
          { path: ['total'], predicate: [{ op: 'gte', value: 20 }, { op: 'lt', value: 1000 }] },
          { path: ['currency'], predicate: [{ op: 'equals', value: 'EUR' }] },
          { path: ['items'], predicate: [{ op: 'contains', value: 'gift-card' }] },
          { path: ['coupon'], predicate: [{ op: 'notEquals', value: 'STAFF' }, { op: 'notContains', value: 'test' }] },
          { path: ['placed_at'], predicate: [{ op: 'before', value: Date.UTC(2027, 0, 1) }, { op: 'after', value: Date.UTC(2026, 0, 1) }] },
          { path: ['product', 'sku'], predicate: [{ op: 'in', value: ['A1', 2] }] },
        ],
        when: {
          kind: 'any',
          of: [
            { kind: 'performed', event: 'Order Completed', where: [], window: { kind: 'within', span: 365 * D }, min: 0, max: 0, signature: sig('Order Completed', {}) },
            { kind: 'trait', trait: 'renewal_date', predicate: [{ op: 'withinNext', value: 30 * D }] },
          ],
        },
        key: null,
        reentry: 'once',
        reentryAfter: null,
      },
      exit: { after: null, condition: null, events: [], send: null },
      steps: [
        { id: 'cooldown', type: 'wait', duration: 14 * D, next: 'again' },
        {
          id: 'again',
          type: 'waitFor',
          branches: [
            { event: 'Order Completed', where: [{ path: ['total'], predicate: [{ op: 'gt', value: 100 }] }], sameKey: false, next: 'thanks', restart: false, alias: 'big-order' },
            { event: 'Order Completed', where: [{ path: ['total'], predicate: [{ op: 'lte', value: 100 }] }], sameKey: false, next: 'thanks', restart: false, alias: null },
          ],
          timeout: 30 * D,
          onTimeout: 'thanks',
        },
        { id: 'thanks', type: 'send', send: { to: ['email'], event: 'Thanks', traits: [] }, next: 'end' },
      ],
      file: join(dir, 'repeat-buyer.journey.yaml'),
    });
  });

  test('destinations: webhook options as written or defaulted; kafka', () => {
    expect([...defs.destinations.values()]).toEqual([
      {
        id: 'crm', type: 'webhook', format: 'segment-track', url: 'https://crm.example.com/hooks/journeys', secretEnv: 'CRM_WEBHOOK_SECRET',
        batchSize: 100, lingerMs: 50, timeoutMs: 5000, maxAttempts: 3, concurrency: 2, ratePerSecond: 2.5, headers: { 'X-Team': 'growth' },
      },
      { id: 'warehouse', type: 'kafka', format: 'transition', topic: 'journey-events' },
      {
        id: 'email', type: 'webhook', format: 'segment-identify', url: 'http://127.0.0.1:9/email', secretEnv: null,
        batchSize: 1, lingerMs: 0, timeoutMs: 10000, maxAttempts: 5, concurrency: 4, ratePerSecond: null, headers: {},
      },
    ]);
  });

  test('audiences', () => {
    expect([...defs.audiences.values()]).toEqual([
      { id: 'vip', condition: { kind: 'trait', trait: 'plan', predicate: [{ op: 'in', value: ['gold', 'platinum'] }] } },
      {
        id: 'shoppers',
        condition: {
          kind: 'any',
          of: [
            { kind: 'performed', event: 'Product Added', where: [], window: { kind: 'within', span: 30 * D }, min: 1, max: null, signature: sig('Product Added', {}) },
            { kind: 'audience', audience: 'vip' },
          ],
        },
      },
    ]);
  });
});

describe('defaults and resolution', () => {
  const steps = (text: string): Step[] => only(load(text)).steps;

  test('performed counts: none → at least 1; atMost alone → from 0; atLeast alone → no maximum; exactly → both', () => {
    const j = only(
      load(yaml`
        journey: j
        entry:
          condition:
            all:
              - { performed: A }
              - { performed: A, atMost: 2 }
              - { performed: A, atLeast: 3 }
              - { performed: A, atLeast: 1, atMost: 4 }
              - { performed: A, exactly: 0 }
        steps: [{ id: a, wait: 1h }]`),
    );
    const of = j.entry.kind === 'condition' && j.entry.condition.kind === 'all' ? j.entry.condition.of : [];
    expect(of.map((c) => (c.kind === 'performed' ? [c.min, c.max] : null))).toEqual([[1, null], [0, 2], [3, null], [1, 4], [0, 0]]);
    expect(j.entry).toMatchObject({ reentry: 'once', historical: false, reentryAfter: null });
  });

  test('event entry defaults: reentry always, no key, sameKey false; with a key, sameKey true', () => {
    const plain = only(load('journey: j\nentry: { event: A }\nexit: { events: [{ event: B }] }\nsteps: [{ id: a, waitFor: { events: [{ event: C }], timeout: 1h } }]\n'));
    expect(plain.entry).toEqual({ kind: 'event', event: 'A', where: [], when: null, key: null, reentry: 'always', reentryAfter: null });
    expect(plain.exit.events[0]?.sameKey).toBe(false);
    expect(plain.steps[0]).toMatchObject({ branches: [{ sameKey: false, next: 'end' }], onTimeout: 'end' });
    const keyed = only(load('journey: j\nentry: { event: A, key: order.id }\nexit: { events: [{ event: B }] }\nsteps: [{ id: a, waitFor: { events: [{ event: C }], timeout: 1h } }]\n'));
    expect(keyed.entry).toMatchObject({ key: ['order', 'id'] });
    expect(keyed.exit.events[0]?.sameKey).toBe(true);
    expect(keyed.steps[0]).toMatchObject({ branches: [{ sameKey: true }] });
  });

  test('next: the following step, end after the last; split else end; waitUntil without timeout', () => {
    expect(
      steps(yaml`
        journey: j
        entry: { event: A }
        steps:
          - { id: a, wait: 30s }
          - id: b
            split: { branches: [{ when: { trait: x, exists: true }, next: c }] }
          - id: c
            waitUntil: { condition: { trait: x, exists: false } }
          - { id: d, send: { to: [crm] } }`),
    ).toEqual<Step[]>([
      { id: 'a', type: 'wait', duration: 30 * S, next: 'b' },
      { id: 'b', type: 'split', branches: [{ when: { kind: 'trait', trait: 'x', predicate: [{ op: 'exists', value: true }] }, next: 'c' }], else: 'end' },
      { id: 'c', type: 'waitUntil', condition: { kind: 'trait', trait: 'x', predicate: [{ op: 'exists', value: false }] }, timeout: null, onTimeout: 'd', next: 'd' },
      { id: 'd', type: 'send', send: { to: ['crm'], event: 'd', traits: [] }, next: 'end' },
    ]);
  });

  test('random sticky defaults to true; durations in every unit', () => {
    const [r, ...waits] = steps(yaml`
      journey: j
      entry: { event: A }
      steps:
        - id: r
          random: { branches: [{ percent: 1, next: s }, { percent: 99, next: s }] }
        - { id: s, wait: 45s }
        - { id: m, wait: 15m }
        - { id: h, wait: 2h }
        - { id: d, wait: 7d }
        - { id: w, wait: 2w }`);
    expect(r).toMatchObject({ type: 'random', sticky: true });
    expect(waits.map((w) => (w.type === 'wait' ? w.duration : null))).toEqual([45 * S, 15 * 60 * S, 2 * H, 7 * D, 14 * D]);
  });

  test('ids written as unquoted digits are the slugs written (YAML reads them as integers); an empty name is a name', () => {
    const defs = loadDefinitions(topology({
      'j.journey.yaml': yaml`
        journey: 2024
        name: ''
        entry: { event: A }
        migrate: { 01: 2 }
        steps:
          - { id: 01, wait: 1h, next: 2 }
          - { id: 2, send: { to: [7] } }
          - { id: 3, send: { to: [7] } }`,
      'destinations.yaml': 'destinations:\n  - { id: 7, type: kafka, topic: t, format: transition }\n',
    }));
    const j = only(defs);
    expect([j.id, j.name, j.migrate]).toEqual(['2024', '', { '01': '2' }]);
    expect(j.steps.map((s) => [s.id, 'next' in s ? s.next : null])).toEqual([['01', '2'], ['2', '3'], ['3', 'end']]);
    expect([...defs.destinations.keys()]).toEqual(['7']);
    // Numbers that are no slugs stay refused: a sign, a float.
    const bad = validatePaths([topology({ 'k.journey.yaml': 'journey: -1\nentry: { event: A }\nsteps: [{ id: 1.5, wait: 1h }]\n' })]);
    expect(bad.map((p) => [p.line, p.message])).toEqual([
      [1, expect.stringContaining('journey must be a lowercase slug')],
      [3, expect.stringContaining('id must be a lowercase slug')],
    ]);
  });

  test('version defaults to 1 and status to live; a date without zone is UTC', () => {
    const j = only(load('journey: j\nentry: { event: A, when: { trait: t, before: 2026-03-01T10:30 } }\nsteps: [{ id: a, wait: 1h }]\n'));
    expect([j.version, j.status]).toEqual([1, 'live']);
    expect((j.entry as { when: Condition }).when).toEqual({ kind: 'trait', trait: 't', predicate: [{ op: 'before', value: Date.UTC(2026, 2, 1, 10, 30) }] });
  });
});

describe('performed signatures', () => {
  const leaf = (text: string): Condition => {
    const j = only(load(`journey: j\nentry:\n  condition: ${text}\nsteps: [{ id: a, wait: 1h }]\n`));
    if (j.entry.kind !== 'condition') throw new Error('condition entry');
    return j.entry.condition;
  };
  const signatureOf = (text: string): string => {
    const c = leaf(text);
    return c.kind === 'performed' ? c.signature : '';
  };

  test('the same event and filter, written in any key order or as a bare value, give the same signature', () => {
    const a = signatureOf('{ performed: Order Completed, where: { total: { gt: 100, lt: 500 }, currency: EUR } }');
    expect(signatureOf('{ where: { currency: { equals: EUR }, total: { lt: 500, gt: 100 } }, performed: Order Completed }')).toBe(a);
    // Counts and windows are not part of it: one history serves every leaf on the same event and filter.
    expect(signatureOf('{ performed: Order Completed, where: { currency: EUR, total: { lt: 500, gt: 100 } }, atLeast: 3, within: 7d }')).toBe(a);
    expect(a).toBe(sig('Order Completed', { currency: { equals: 'EUR' }, total: { gt: 100, lt: 500 } }));
    expect(a).toMatch(/^[0-9a-f]{16}$/);
  });

  test('a different event or filter gives another signature', () => {
    const a = signatureOf('{ performed: Order Completed, where: { total: { gt: 100 } } }');
    expect(signatureOf('{ performed: Order Completed, where: { total: { gt: 101 } } }')).not.toBe(a);
    expect(signatureOf('{ performed: Order Placed, where: { total: { gt: 100 } } }')).not.toBe(a);
    expect(signatureOf('{ performed: Order Completed }')).not.toBe(a);
    expect(signatureOf('{ performed: Order Completed, where: { total: "100" } }')).not.toBe(signatureOf('{ performed: Order Completed, where: { total: 100 } }'));
    // A property named __proto__ is a filter like any other (it was lost, sharing the unfiltered leaf's history).
    expect(signatureOf('{ performed: Order Completed, where: { __proto__: 1 } }')).not.toBe(signatureOf('{ performed: Order Completed }'));
    expect(signatureOf('{ performed: Order Completed, where: { __proto__: 1 } }')).not.toBe(signatureOf('{ performed: Order Completed, where: { __proto__: 2 } }'));
  });

  test('a value written as a mapping keeps a __proto__ key as a key', () => {
    const c = leaf('{ trait: t, equals: { __proto__: 5 } }');
    const value = c.kind === 'trait' ? c.predicate[0]?.value : undefined;
    expect(JSON.stringify(value)).toBe('{"__proto__":5}');
  });
});
