// Random journeys and Segment message streams for property tests (fast-check arbitraries).
//
// Journeys are built as plain objects, written as YAML to a temp folder and loaded with the real
// `loadDefinitions`, so the validator checks every generated file: the generator must never produce an
// invalid one. Every step type appears (wait, waitFor with branches/restart/alias/where/sameKey, waitUntil
// with and without timeout, split, branch, random, send), both entry kinds with key and re-entry modes,
// exit rules, exit.condition, exit.after and exit sends; conditions with performed windows, traits,
// audiences and context leaves (only in split/branch/waitUntil). The step graph is acyclic because every
// `next` points forward, and every step is reachable (a repair pass points the step before an unreachable
// one at it). Durations are short (30m to 2d) so that timers and window edges fall inside a generated
// stream; with a small `maxLifetime` every instance is closed once the clock is far enough ahead.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { loadDefinitions } from '../../src/definitions';
import type { Definitions } from '../../src/definitions/model';
import type { EngineOptions } from '../../src/engine/engine';
import { DEFAULT_DESTINATIONS } from './test-driver';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Events the journeys use and the streams send (`Page Viewed` comes from `page` messages). */
export const EVENTS = ['Start', 'Product Added', 'Cart Modified', 'Order Completed', 'Page Viewed', 'Visit'] as const;
/** waitFor aliases (context keys besides event names). */
export const ALIASES = ['latest', 'first'] as const;
/** Ids of DEFAULT_DESTINATIONS (test-driver.ts). */
export const DESTINATION_IDS = ['email', 'sms', 'crm', 'ads', 'support', 'inapp'] as const;
export const AUDIENCES_YAML = `audiences:
  - id: buyers
    condition: { performed: Order Completed, within: 1d }
  - id: engaged
    condition:
      any:
        - { performed: Page Viewed, atLeast: 2, within: 6h }
        - { audience: buyers }
`;
/** Named audiences of AUDIENCES_YAML, plus `vip`, a plain boolean trait. */
const AUDIENCE_NAMES = ['buyers', 'engaged', 'vip'] as const;
/** Where message times start. */
export const BASE_TIME = Date.UTC(2026, 2, 1);

const STEP_DURATIONS = ['30m', '1h', '2h', '6h', '1d'] as const;
const WINDOWS = ['30m', '1h', '2h', '6h', '1d', '2d'] as const;
const BETWEENS = [['2d', '1d'], ['1d', '1h'], ['6h', '30m'], ['2h', '1h']] as const;
const TRAIT_NAMES = ['plan', 'vip', 'age', 'renewal'] as const;

type Obj = { [key: string]: unknown };

/** The value `percent`% of the time, else null. */
function maybe<T>(arb: fc.Arbitrary<T>, percent: number): fc.Arbitrary<T | null> {
  return fc.oneof({ weight: 100 - percent, arbitrary: fc.constant(null) }, { weight: percent, arbitrary: arb });
}

// ---------------------------------------------------------------------------------------------------
// Property filters and conditions

/** Per property path, filters one can put in a `where` (at most one per path). */
const WHERE_OPTIONS: Record<string, unknown[]> = {
  total: [{ gt: 50 }, { lte: 100 }, { gte: 10, lt: 150 }, 75],
  cart_id: ['c1', { in: ['c2', 1] }, { exists: true }, { notEquals: 'c1' }, 1],
  plan: [{ notEquals: 'paid' }, { in: ['trial', 'free'] }, { exists: false }],
  due: [{ withinLast: '1d' }, { withinNext: '2h' }, { after: '2026-03-02' }, { before: '2026-03-02T12:00:00Z' }],
  tags: [{ contains: 'sale' }, { notContains: 'vip' }],
  page_name: [{ startsWith: 'Ch' }, { endsWith: 'out' }],
  'product.sku': [{ endsWith: '1' }, 'sku-2'],
};

export const whereArb: fc.Arbitrary<Obj> = fc
  .uniqueArray(fc.constantFrom(...Object.keys(WHERE_OPTIONS)), { minLength: 1, maxLength: 2 })
  .chain((paths) => fc.tuple(...paths.map((p) => fc.constantFrom(...(WHERE_OPTIONS[p] ?? [])).map((v) => [p, v] as const))))
  .map((entries) => Object.fromEntries(entries));

const countArb: fc.Arbitrary<Obj> = fc.oneof(
  fc.constant({}),
  fc.integer({ min: 0, max: 3 }).map((n) => ({ atLeast: n })),
  fc.integer({ min: 0, max: 2 }).map((n) => ({ atMost: n })),
  fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })).map(([a, b]) => ({ atLeast: a, atMost: a + b })),
  fc.integer({ min: 0, max: 2 }).map((n) => ({ exactly: n })),
);

const windowArb: fc.Arbitrary<Obj> = fc.oneof(
  { weight: 1, arbitrary: fc.constant({}) },
  { weight: 3, arbitrary: fc.constantFrom(...WINDOWS).map((w) => ({ within: w })) },
  { weight: 2, arbitrary: fc.constantFrom(...BETWEENS).map((b) => ({ between: [...b] })) },
);

const performedArb: fc.Arbitrary<Obj> = fc
  .record({ event: fc.constantFrom(...EVENTS), where: maybe(whereArb, 30), window: windowArb, count: countArb })
  .map(({ event, where, window, count }) => ({ performed: event, ...(where === null ? {} : { where }), ...window, ...count }));

const traitArb: fc.Arbitrary<Obj> = fc.constantFrom<Obj>(
  { trait: 'plan', equals: 'paid' },
  { trait: 'plan', in: ['trial', 'free'] },
  { trait: 'plan', exists: false },
  { trait: 'vip', equals: true },
  { trait: 'age', gte: 18, lt: 65 },
  { trait: 'age', gt: 40 },
  { trait: 'renewal', withinNext: '1d' },
  { trait: 'renewal', withinLast: '6h' },
  { trait: 'renewal', before: '2026-03-02T00:00:00Z' },
  { trait: 'tags', contains: 'sale' },
);

const audienceArb: fc.Arbitrary<Obj> = fc.constantFrom(...AUDIENCE_NAMES).map((a) => ({ audience: a }));

const contextArb: fc.Arbitrary<Obj> = fc
  .tuple(
    fc.constantFrom<string>(...EVENTS, ...ALIASES),
    fc.constantFrom<[string, Obj]>(
      ['total', { gt: 50 }],
      ['total', { exists: true }],
      ['cart_id', { equals: 'c1' }],
      ['cart_id', { exists: false }],
      ['due', { withinNext: '2h' }],
      ['due', { withinLast: '1d' }],
      ['tags', { contains: 'sale' }],
      ['product.sku', { startsWith: 'sku' }],
    ),
  )
  .map(([key, [path, ops]]) => ({ context: `${key}.${path}`, ...ops }));

/** A condition tree of at most `depth` levels of all/any/not; context leaves only when allowed. */
export function conditionArb(contextAllowed: boolean, depth = 2): fc.Arbitrary<Obj> {
  const leaves: fc.WeightedArbitrary<Obj>[] = [
    { weight: 4, arbitrary: performedArb },
    { weight: 3, arbitrary: traitArb },
    { weight: 1, arbitrary: audienceArb },
  ];
  if (contextAllowed) leaves.push({ weight: 3, arbitrary: contextArb });
  const leaf = fc.oneof(...leaves);
  if (depth <= 0) return leaf;
  const sub = conditionArb(contextAllowed, depth - 1);
  return fc.oneof(
    { weight: 4, arbitrary: leaf },
    { weight: 1, arbitrary: fc.array(sub, { minLength: 1, maxLength: 3 }).map((of) => ({ all: of })) },
    { weight: 1, arbitrary: fc.array(sub, { minLength: 1, maxLength: 3 }).map((of) => ({ any: of })) },
    { weight: 1, arbitrary: sub.map((c) => ({ not: c })) },
  );
}

// ---------------------------------------------------------------------------------------------------
// Steps, with targets as slots resolved once the step's place in the list is known

/** A `next`-like reference: `pick` chooses among the later steps and `end`; `omit` writes nothing when the default would say the same. */
interface Slot {
  $slot: true;
  pick: number;
  omit: boolean;
}
const slotArb: fc.Arbitrary<Slot> = fc.record({ $slot: fc.constant(true as const), pick: fc.nat(), omit: fc.boolean() });
/** A `next` that the schema requires (branch/random/split branches). */
const requiredSlotArb: fc.Arbitrary<Slot> = slotArb.map((s) => ({ ...s, omit: false }));

function isSlot(v: unknown): v is Slot {
  return typeof v === 'object' && v !== null && (v as { $slot?: unknown }).$slot === true;
}

const sendBodyArb: fc.Arbitrary<Obj> = fc
  .record({
    to: fc.uniqueArray(fc.constantFrom(...DESTINATION_IDS), { minLength: 1, maxLength: 2 }),
    event: maybe(fc.constantFrom('Nudge', 'Welcome Sent'), 40),
    traits: maybe(fc.subarray([...TRAIT_NAMES], { minLength: 1 }), 50),
  })
  .map(({ to, event, traits }) => ({ to, ...(event === null ? {} : { event }), ...(traits === null ? {} : { traits }) }));

/** One waitFor event draft; `sameKey` is dropped later when the journey has no key. */
const waitForEventArb = fc.record({
  where: maybe(whereArb, 40),
  sameKey: maybe(fc.boolean(), 40),
  restart: fc.boolean(),
  alias: maybe(fc.constantFrom(...ALIASES), 30),
  next: slotArb,
});

type StepDraft = { kind: string; body: Obj };

const waitArb: fc.Arbitrary<StepDraft> = fc
  .record({ wait: fc.constantFrom(...STEP_DURATIONS), next: slotArb })
  .map((body) => ({ kind: 'wait', body }));

const waitForArb: fc.Arbitrary<StepDraft> = fc
  .record({
    events: fc.uniqueArray(fc.constantFrom(...EVENTS), { minLength: 1, maxLength: 3 }),
    drafts: fc.array(waitForEventArb, { minLength: 4, maxLength: 4 }),
    twin: fc.boolean(),
    timeout: fc.constantFrom(...STEP_DURATIONS),
    onTimeout: slotArb,
  })
  .map(({ events, drafts, twin, timeout, onTimeout }) => {
    const list: Obj[] = events.map((event, i) => {
      const d = drafts[i]!;
      return {
        event,
        ...(d.where === null ? {} : { where: d.where }),
        ...(d.sameKey === null ? {} : { sameKey: d.sameKey }),
        ...(d.alias === null ? {} : { alias: d.alias }),
        ...(d.restart ? { restart: true } : { next: d.next }),
      };
    });
    if (twin) {
      // The same event twice, allowed because both have different where filters; they overlap, so the
      // order of the branches decides (the first matching one wins).
      const first = list[0]!;
      first.where = { total: { gt: 50 } };
      const d = drafts[3]!;
      list.push({ event: first.event, where: { total: { gte: 10 } }, ...(d.restart ? { restart: true } : { next: d.next }) });
    }
    return { kind: 'waitFor', body: { waitFor: { events: list, timeout, onTimeout } } };
  });

const waitUntilArb: fc.Arbitrary<StepDraft> = fc
  .record({ condition: conditionArb(true), timeout: maybe(fc.constantFrom(...STEP_DURATIONS), 60), onTimeout: slotArb, next: slotArb })
  .map(({ condition, timeout, onTimeout, next }) => ({
    kind: 'waitUntil',
    body: { waitUntil: { condition, ...(timeout === null ? {} : { timeout, onTimeout }) }, next },
  }));

const whenBranchesArb = fc.array(fc.record({ when: conditionArb(true, 1), next: requiredSlotArb }), { minLength: 1, maxLength: 3 });

const splitArb: fc.Arbitrary<StepDraft> = fc
  .record({ branches: whenBranchesArb, else: maybe(slotArb, 60) })
  .map(({ branches, else: otherwise }) => ({ kind: 'split', body: { split: { branches, ...(otherwise === null ? {} : { else: otherwise }) } } }));

const branchArb: fc.Arbitrary<StepDraft> = whenBranchesArb.map((branches) => ({ kind: 'branch', body: { branch: { branches } } }));

const randomArb: fc.Arbitrary<StepDraft> = fc
  .record({ cuts: fc.uniqueArray(fc.integer({ min: 1, max: 99 }), { minLength: 1, maxLength: 2 }), nexts: fc.array(requiredSlotArb, { minLength: 3, maxLength: 3 }), sticky: maybe(fc.boolean(), 50) })
  .map(({ cuts, nexts, sticky }) => {
    const edges = [0, ...[...cuts].sort((a, b) => a - b), 100];
    const branches = edges.slice(1).map((e, i) => ({ percent: e - edges[i]!, next: nexts[i]! }));
    return { kind: 'random', body: { random: { branches, ...(sticky === null ? {} : { sticky }) } } };
  });

const sendArb: fc.Arbitrary<StepDraft> = fc.record({ send: sendBodyArb, next: slotArb }).map((body) => ({ kind: 'send', body }));

export const stepDraftArb: fc.Arbitrary<StepDraft> = fc.oneof(
  { weight: 2, arbitrary: waitArb },
  { weight: 4, arbitrary: waitForArb },
  { weight: 3, arbitrary: waitUntilArb },
  { weight: 2, arbitrary: splitArb },
  { weight: 2, arbitrary: branchArb },
  { weight: 2, arbitrary: randomArb },
  { weight: 3, arbitrary: sendArb },
);

/** Every slot of a draft, in document order, with whether its default is the following step (else `end`). */
function slotsOf(value: unknown, out: { slot: Slot; holder: Obj; key: string; defaultFollowing: boolean }[] = [], key = '', holder: Obj | null = null): typeof out {
  if (isSlot(value)) {
    if (holder !== null) out.push({ slot: value, holder, key, defaultFollowing: key !== 'else' });
    return out;
  }
  if (Array.isArray(value)) value.forEach((v) => slotsOf(v, out, '', null));
  else if (typeof value === 'object' && value !== null) for (const [k, v] of Object.entries(value as Obj)) slotsOf(v, out, k, value as Obj);
  return out;
}

/** Resolves the slots: forward targets only, every step reachable, defaults written or left out. */
function resolveSteps(drafts: StepDraft[], hasKey: boolean): Obj[] {
  const n = drafts.length;
  const ids = drafts.map((_, i) => `s${i}`);
  const steps = drafts.map((d, i): Obj => ({ id: ids[i], ...structuredClone(d.body) }));
  const slots = steps.map((s) => slotsOf(s));
  // Targets: index of a later step, or n for `end`.
  const targets = slots.map((list, i) => list.map(({ slot }) => i + 1 + (slot.pick % (n - i))));
  // Repair reachability: step k is reachable only through earlier steps (edges point forward), so if it
  // is not, point a slot of step k - 1 (reachable by induction, every slot ≥ k) at it.
  const reached = new Set([0]);
  for (let k = 1; k < n; k++) {
    const prior = targets.slice(0, k).some((ts, i) => reached.has(i) && ts.includes(k));
    if (!prior) {
      const ts = targets[k - 1]!;
      ts[0] = k; // every step has at least one slot
    }
    reached.add(k);
  }
  steps.forEach((step, i) => {
    slots[i]!.forEach(({ slot, holder, key, defaultFollowing }, s) => {
      const t = targets[i]![s]!;
      const name = t >= n ? 'end' : ids[t]!;
      const defaultName = defaultFollowing ? (i + 1 >= n ? 'end' : ids[i + 1]!) : 'end';
      if (slot.omit && name === defaultName) delete holder[key];
      else holder[key] = name;
    });
    if (!hasKey) stripSameKey(step);
  });
  return steps;
}

function stripSameKey(value: unknown): void {
  if (Array.isArray(value)) value.forEach(stripSameKey);
  else if (typeof value === 'object' && value !== null) {
    delete (value as Obj).sameKey;
    Object.values(value as Obj).forEach(stripSameKey);
  }
}

// ---------------------------------------------------------------------------------------------------
// Journeys

const eventEntryArb = fc
  .record({
    event: fc.constantFrom(...EVENTS),
    where: maybe(whereArb, 25),
    when: maybe(conditionArb(false, 1), 20),
    key: fc.boolean(),
    reentry: maybe(fc.constantFrom('always', 'once', 'after-exit'), 60),
    reentryAfter: maybe(fc.constantFrom(...STEP_DURATIONS), 50),
  })
  .map(({ event, where, when, key, reentry, reentryAfter }) => ({
    event,
    ...(where === null ? {} : { where }),
    ...(when === null ? {} : { when }),
    ...(key ? { key: 'cart_id' } : {}),
    ...(reentry === null ? {} : { reentry }),
    ...(reentry === 'after-exit' && reentryAfter !== null ? { reentryAfter } : {}),
  }));

const conditionEntryArb = fc
  .record({
    condition: conditionArb(false),
    historical: maybe(fc.boolean(), 30),
    afterExit: fc.boolean(),
    reentryAfter: fc.constantFrom('1h', '6h', '1d'),
  })
  .map(({ condition, historical, afterExit, reentryAfter }) => ({
    condition,
    ...(historical === null ? {} : { historical }),
    ...(afterExit ? { reentry: 'after-exit', reentryAfter } : {}),
  }));

const exitArb = fc.record({
  after: maybe(fc.constantFrom('2h', '6h', '1d', '2d'), 40),
  condition: maybe(conditionArb(false, 1), 30),
  events: maybe(
    fc.array(fc.record({ event: fc.constantFrom(...EVENTS), where: maybe(whereArb, 40), sameKey: maybe(fc.boolean(), 40) }), { minLength: 1, maxLength: 2 }),
    50,
  ),
  send: maybe(sendBodyArb, 30),
});

export interface JourneyDoc {
  /** File name (sets the evaluation order). */
  file: string;
  doc: Obj;
}

function journeyArb(id: string): fc.Arbitrary<JourneyDoc> {
  return fc
    .record({
      entry: fc.oneof({ weight: 3, arbitrary: eventEntryArb.map((e) => ({ kind: 'event' as const, e })) }, { weight: 1, arbitrary: conditionEntryArb.map((e) => ({ kind: 'condition' as const, e })) }),
      exit: exitArb,
      steps: fc.array(stepDraftArb, { minLength: 1, maxLength: 7 }),
      version: maybe(fc.integer({ min: 1, max: 3 }), 50),
      status: maybe(fc.constantFrom('live', 'paused', 'draft'), 15),
      name: maybe(fc.constantFrom('A journey', 'Cart: abandonment'), 30),
      prefix: fc.constantFrom('a', 'B', 'c', 'z'),
    })
    .map(({ entry, exit, steps, version, status, name, prefix }) => {
      const hasKey = entry.kind === 'event' && 'key' in entry.e;
      const exitDoc: Obj = {};
      if (exit.after !== null) exitDoc.after = exit.after;
      if (exit.condition !== null) exitDoc.condition = exit.condition;
      if (exit.events !== null) {
        exitDoc.events = exit.events.map((r) => ({
          event: r.event,
          ...(r.where === null ? {} : { where: r.where }),
          ...(hasKey && r.sameKey !== null ? { sameKey: r.sameKey } : {}),
        }));
      }
      if (exit.send !== null) exitDoc.send = exit.send;
      // A condition entry with re-entry needs exit.after.
      if (entry.kind === 'condition' && entry.e.reentry === 'after-exit' && exitDoc.after === undefined) exitDoc.after = '6h';
      const doc: Obj = {
        journey: id,
        ...(name === null ? {} : { name }),
        ...(version === null ? {} : { version }),
        ...(status === null ? {} : { status }),
        entry: entry.e,
        ...(Object.keys(exitDoc).length === 0 ? {} : { exit: exitDoc }),
        steps: resolveSteps(steps, hasKey),
      };
      return { file: `${prefix}-${id}.journey.yaml`, doc };
    });
}

/** 1 to `max` journeys with distinct ids and file names. */
export function journeysArb(max = 3): fc.Arbitrary<JourneyDoc[]> {
  return fc
    .integer({ min: 1, max })
    .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => journeyArb(`j${i}`))))
    .map((docs) => docs.map((d, i) => ({ ...d, file: `${d.file.replace(/\.journey\.yaml$/, '')}-${i}.journey.yaml` })));
}

export function journeyYaml(doc: JourneyDoc): string {
  return stringify(doc.doc);
}

/** Writes the journeys, DEFAULT_DESTINATIONS and AUDIENCES_YAML to a fresh temp folder. */
export function writeJourneys(docs: JourneyDoc[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'journeys-prop-'));
  writeFileSync(join(dir, 'destinations.yaml'), DEFAULT_DESTINATIONS);
  writeFileSync(join(dir, 'audiences.yaml'), AUDIENCES_YAML);
  for (const d of docs) writeFileSync(join(dir, d.file), journeyYaml(d));
  return dir;
}

/** Loads generated journeys through the real loader (throws with the validator's messages if one is invalid). */
export function loadJourneys(docs: JourneyDoc[]): Definitions {
  const dir = writeJourneys(docs);
  try {
    return loadDefinitions(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------------
// Segment message streams

export type RawMessage = { [key: string]: unknown };

const propertiesArb: fc.Arbitrary<Obj> = fc
  .record(
    {
      cart_id: fc.oneof({ weight: 6, arbitrary: fc.constantFrom<unknown>('c1', 'c2') }, { weight: 1, arbitrary: fc.constantFrom<unknown>(1, '1', { nested: true }) }),
      total: fc.integer({ min: 0, max: 200 }),
      plan: fc.constantFrom('trial', 'paid', 'free'),
      due: fc.integer({ min: -2 * 24, max: 4 * 24 }).map((h) => new Date(BASE_TIME + h * HOUR).toISOString()),
      tags: fc.subarray(['sale', 'vip', 'new']),
      product: fc.constantFrom({ sku: 'sku-1' }, { sku: 'sku-2' }, { sku: 3 }),
    },
    { requiredKeys: ['cart_id', 'total'] },
  )
  // Now and then without the key property.
  .chain((p) => fc.integer({ min: 0, max: 9 }).map((k) => (k > 0 ? p : Object.fromEntries(Object.entries(p).filter(([name]) => name !== 'cart_id')))));

const traitsArb: fc.Arbitrary<Obj> = fc.record(
  {
    plan: fc.constantFrom<unknown>('trial', 'paid', 'free', null),
    vip: fc.constantFrom<unknown>(true, false, null),
    age: fc.integer({ min: 10, max: 80 }),
    renewal: fc.integer({ min: 0, max: 5 * 24 }).map((h) => new Date(BASE_TIME + h * HOUR).toISOString()),
    tags: fc.subarray(['sale', 'vip']),
  },
  { requiredKeys: [] },
);

interface MessageDraft {
  user: number;
  kind: 'track' | 'page' | 'identify' | 'screen' | 'group' | 'alias';
  event: string;
  properties: Obj;
  traits: Obj;
  /** Minutes after the previous message's clock time. */
  step: number;
  /** Minutes before the clock (an out-of-order message), or 0. */
  late: number;
  idMode: 'none' | 'new' | 'dup';
  dupOf: number;
  offset: boolean;
  /** User u2 sends big properties (2 bytes a character in UTF-8) now and then, so that contexts reach the 64 KiB limit (spec §4.4). */
  blob: number;
}

const messageDraftArb: fc.Arbitrary<MessageDraft> = fc.record({
  // 3 users; index 3 is a message without userId.
  user: fc.oneof({ weight: 20, arbitrary: fc.integer({ min: 0, max: 2 }) }, { weight: 1, arbitrary: fc.constant(3) }),
  kind: fc.oneof(
    { weight: 14, arbitrary: fc.constant('track' as const) },
    { weight: 3, arbitrary: fc.constant('identify' as const) },
    { weight: 2, arbitrary: fc.constant('page' as const) },
    { weight: 1, arbitrary: fc.constantFrom('screen' as const, 'group' as const, 'alias' as const) },
  ),
  event: fc.constantFrom(...EVENTS.filter((e) => e !== 'Page Viewed')),
  properties: propertiesArb,
  traits: traitsArb,
  // Many steps are exact multiples of 30 minutes, so messages land on timer instants.
  step: fc.oneof(fc.constantFrom(0, 30, 60, 120, 360), fc.integer({ min: 0, max: 180 })),
  late: fc.oneof({ weight: 8, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 600 }) }),
  idMode: fc.oneof(
    { weight: 3, arbitrary: fc.constant('none' as const) },
    { weight: 8, arbitrary: fc.constant('new' as const) },
    { weight: 1, arbitrary: fc.constant('dup' as const) },
  ),
  dupOf: fc.nat(),
  offset: fc.boolean(),
  blob: fc.constantFrom(0, 0, 0, 17000, 25000, 40000),
});

function isoWithOffset(ms: number, offset: boolean): string {
  if (!offset) return new Date(ms).toISOString();
  // The same instant written in +02:00.
  const local = new Date(ms + 2 * HOUR).toISOString().replace('Z', '');
  return `${local}+02:00`;
}

/** Segment messages in (mostly) increasing time, as raw JSON objects. */
export function messagesArb(maxLength = 40): fc.Arbitrary<RawMessage[]> {
  return fc.array(messageDraftArb, { maxLength, size: 'max' }).map((drafts) => {
    let clock = BASE_TIME;
    const ids: string[] = [];
    return drafts.map((d, i): RawMessage => {
      clock += d.step * MINUTE;
      const ts = clock - d.late * MINUTE;
      const msg: RawMessage = { type: d.kind, timestamp: isoWithOffset(ts, d.offset) };
      if (d.user < 3) msg.userId = `u${d.user}`;
      if (d.idMode === 'new' || (d.idMode === 'dup' && ids.length === 0)) {
        const id = `m${i}`;
        ids.push(id);
        msg.messageId = id;
      } else if (d.idMode === 'dup') {
        msg.messageId = ids[d.dupOf % ids.length];
      }
      switch (d.kind) {
        case 'track':
          msg.event = d.event;
          msg.properties = d.user === 2 && d.blob > 0 ? { ...structuredClone(d.properties), blob: 'é'.repeat(d.blob) } : structuredClone(d.properties);
          break;
        case 'page':
        case 'screen':
          msg.name = d.user % 2 === 0 ? 'Checkout' : 'Home';
          msg.properties = structuredClone(d.properties);
          break;
        case 'identify':
          msg.traits = structuredClone(d.traits);
          break;
        default:
          break;
      }
      return msg;
    });
  });
}

/** The latest timestamp of a stream (BASE_TIME when empty). */
export function lastTime(messages: RawMessage[]): number {
  let t = BASE_TIME;
  for (const m of messages) t = Math.max(t, Date.parse(String(m.timestamp)));
  return t;
}

// ---------------------------------------------------------------------------------------------------
// Whole cases

export interface Case {
  journeys: JourneyDoc[];
  messages: RawMessage[];
  options: Pick<EngineOptions, 'maxLifetime' | 'maxInstances'>;
  /** Far past every wait, timeout, exit.after and the lifetime of anything entered by the last message. */
  until: number;
}

/** The `--max-lifetime` of generated cases: every instance is closed at most this long after entry. */
export const MAX_LIFETIME = 3 * DAY;

export function caseArb(maxMessages = 40, maxJourneys = 3): fc.Arbitrary<Case> {
  return fc
    .record({ journeys: journeysArb(maxJourneys), messages: messagesArb(maxMessages), maxInstances: fc.oneof(fc.constant(100), fc.integer({ min: 1, max: 3 })) })
    .map(({ journeys, messages, maxInstances }) => ({
      journeys,
      messages,
      options: { maxLifetime: MAX_LIFETIME, maxInstances },
      until: lastTime(messages) + MAX_LIFETIME + 2 * DAY,
    }));
}
