// The key tables of spec §4.7 (journey, entry, exit, steps, conditions, destinations.yaml, audiences.yaml),
// written once. `parse` of these types is the structural check (unknown keys, key types, required keys,
// ranges, list sizes); `schema()` of the same types is `schemas/journey.schema.json`. Rules that need more
// than one object at a time (references, the step graph, defaults that depend on the journey) live in the
// builders (`journey.ts`, `conditions.ts`, `destinations.ts`, `audiences.ts`).
import { DAY, SECOND } from '../lib/duration';
import {
  bool, dictionary, duration, int, isoDate, jsonValue, keyUnion, lazy, list, located, mapped, named, num, obj, oneOf, opt, patterned, req, salvage, slug, str, tagUnion,
  type Fields, type ObjOut, type Type, type TypeOf,
} from './descriptor';

// ---------------------------------------------------------------------------------------------------
// Limits (spec §4.7)

/** Waits, timeouts, `exit.after`, `reentryAfter`. */
export const STEP_DURATION = { min: SECOND, max: 365 * DAY, minText: '1s', maxText: '365d' };
/** Condition windows (`within`, `between`) and date spans (`withinLast`, `withinNext`). */
export const WINDOW_DURATION = { min: SECOND, max: 1095 * DAY, minText: '1s', maxText: '1095d' };
export const MAX_STEPS = 200;
export const MAX_BRANCHES = 20;

export const STEP_TYPES = ['wait', 'waitFor', 'waitUntil', 'split', 'branch', 'random', 'send'] as const;
export const CONDITION_KINDS = ['all', 'any', 'not', 'performed', 'trait', 'audience', 'context'] as const;

// ---------------------------------------------------------------------------------------------------
// Small shared types

const eventName = str();
/** A dot-separated property path: `cart_id`, `product.sku`. */
const propertyPath = patterned(/^[^.]+(\.[^.]+)*$/, 'a property path (names separated by single dots, e.g. product.sku)');
const stepId = slug();
/** A step id of the same journey, or `end`. */
const target = slug();
const stepDuration = duration(STEP_DURATION);
const windowDuration = duration(WINDOW_DURATION);

// ---------------------------------------------------------------------------------------------------
// Operators (spec §4.3), shared by `where` values, `trait` and `context` leaves

export const operatorFields = {
  equals: opt(jsonValue(), 'type-strictly equal to this value'),
  notEquals: opt(jsonValue(), 'present and not type-strictly equal to this value'),
  in: opt(list(jsonValue()), 'type-strictly equal to one of these values'),
  notIn: opt(list(jsonValue()), 'present and equal to none of these values'),
  contains: opt(jsonValue(), 'a string containing this substring, or a list containing this element'),
  notContains: opt(jsonValue(), 'a string or list not containing it (false on any other value)'),
  startsWith: opt(str({ minLength: 0 }), 'a string starting with this'),
  endsWith: opt(str({ minLength: 0 }), 'a string ending with this'),
  exists: opt(bool(), 'present and not null (true), or missing or null (false)'),
  gt: opt(num(), 'a number greater than this'),
  gte: opt(num(), 'a number greater than or equal to this'),
  lt: opt(num(), 'a number less than this'),
  lte: opt(num(), 'a number less than or equal to this'),
  before: opt(isoDate(), 'a date before this ISO date'),
  after: opt(isoDate(), 'a date after this ISO date'),
  withinLast: opt(windowDuration, 'a date within this span before now (now - D < value <= now)'),
  withinNext: opt(windowDuration, 'a date within this span after now (now < value <= now + D)'),
};
export type OperatorFields = typeof operatorFields;
export const OPERATOR_NAMES = Object.keys(operatorFields) as (keyof OperatorFields)[];
const needsOperator = (what: string) => ({
  keys: OPERATOR_NAMES,
  message: `${what} needs at least one operator (${OPERATOR_NAMES.join(', ')})`,
});

const operators = obj(operatorFields, { name: 'operators', atLeastOne: needsOperator('a where value') });
export type RawOperators = TypeOf<typeof operators>;

/** A `where` value: a bare scalar (means `equals`) or operators. */
export type RawWhereValue = { kind: 'equals'; value: string | number | boolean; line: number } | { kind: 'operators'; ops: RawOperators };

const whereValue: Type<RawWhereValue> = {
  expected: 'a value (string, number, true/false) or operators like { gt: 100 }',
  parse(node, report, site) {
    if (node.t === 'map') {
      const hint = (key: string) =>
        OPERATOR_NAMES.includes(key as keyof OperatorFields)
          ? undefined
          : `unknown operator '${key}' in where value '${site.label}' (operators: ${OPERATOR_NAMES.join(', ')}; for a nested property write a dotted path like '${site.label}.${key}')`;
      const ops = operators.parseWith(node, report, site, hint);
      return ops === undefined ? undefined : { kind: 'operators', ops };
    }
    if (node.t === 'seq') {
      report.add(site.line, `where value '${site.label}' is a list: to match one of several values write { in: [...] }`);
      return undefined;
    }
    if (node.value === null) {
      report.add(site.line, `where value '${site.label}' is empty: write a value, or an operator such as { exists: true }`);
      return undefined;
    }
    return { kind: 'equals', value: node.value, line: node.line };
  },
  schema: (sb) => ({ anyOf: [{ type: ['string', 'number', 'boolean'] }, operators.schema(sb)] }),
};

export interface RawFilter {
  path: string;
  line: number;
  value: RawWhereValue;
}

/** `where: { total: { gt: 100 }, plan: pro }`: property paths to values or operators. */
const where: Type<RawFilter[]> = named(
  'where',
  () => mapped(dictionary(propertyPath, whereValue), (entries) => entries.map((e) => ({ path: e.key, line: e.line, value: e.value }))),
  'Property filter: each property path (dots for nesting) must match its value (a bare value means equals) or all of its operators.',
);

// ---------------------------------------------------------------------------------------------------
// Conditions (spec §4.3)

const count = int({ min: 0 });

const performedFields = {
  performed: req(eventName, 'the event name'),
  where: opt(where, 'only events whose properties match'),
  within: opt(windowDuration, 'count events in the last D: now - D < timestamp <= now'),
  between: opt(
    list(located(windowDuration), { min: 2, max: 2, tooFew: 'between needs two durations [D1, D2] (from D1 ago to D2 ago)', tooMany: () => 'between needs exactly two durations [D1, D2]' }),
    '[D1, D2]: from D1 ago to D2 ago (now - D1 < timestamp <= now - D2), D1 above D2',
  ),
  atLeast: opt(count, 'at least N matching events (default 1 when no count is given)'),
  atMost: opt(count, 'at most N matching events'),
  exactly: opt(count, 'exactly N matching events'),
};
const traitFields = { trait: req(str(), 'the trait name (a literal top-level key)'), ...operatorFields };
const contextFields = {
  context: req(str(), 'a context key (event name or alias) then a property path, e.g. Product Added.total'),
  ...operatorFields,
};

/** A nested condition (boxed, so that the recursive type of conditions can be written down). */
export interface ConditionRef {
  readonly raw: RawCondition;
}
type Nested<T> = { type: Type<T>; required: true; doc: string };
export type RawCondition =
  | ({ readonly kind: 'all' } & ObjOut<{ all: Nested<ConditionRef[]> }>)
  | ({ readonly kind: 'any' } & ObjOut<{ any: Nested<ConditionRef[]> }>)
  | ({ readonly kind: 'not' } & ObjOut<{ not: Nested<ConditionRef> }>)
  | ({ readonly kind: 'performed' } & ObjOut<typeof performedFields>)
  | ({ readonly kind: 'trait' } & ObjOut<typeof traitFields>)
  | ({ readonly kind: 'audience' } & ObjOut<{ audience: Nested<string> }>)
  | ({ readonly kind: 'context' } & ObjOut<typeof contextFields>);

const nested: Type<ConditionRef> = mapped(
  lazy(() => condition),
  (raw) => ({ raw }),
);

export const condition: Type<RawCondition> = named(
  'condition',
  () =>
    keyUnion(
      {
        all: obj({ all: req(list(nested, { min: 1 }), 'every condition holds') }, { name: 'an all condition' }),
        any: obj({ any: req(list(nested, { min: 1 }), 'at least one condition holds') }, { name: 'an any condition' }),
        not: obj({ not: req(nested, 'the condition does not hold') }, { name: 'a not condition' }),
        performed: obj(performedFields, {
          name: 'a performed condition',
          exclusive: [
            ['within', 'between'],
            ['exactly', 'atLeast'],
            ['exactly', 'atMost'],
          ],
        }),
        trait: obj(traitFields, { name: 'a trait condition', atLeastOne: needsOperator('a trait condition') }),
        audience: obj({ audience: req(str(), 'an audience of audiences.yaml, else the boolean trait of that name') }, { name: 'an audience condition' }),
        context: obj(contextFields, { name: 'a context condition', atLeastOne: needsOperator('a context condition') }),
      },
      { name: 'a condition', noun: (v) => `${v} condition` },
    ),
  'A tree of all/any/not over performed, trait, audience and context leaves (exactly one of these keys).',
);

// ---------------------------------------------------------------------------------------------------
// Sends

const send = obj(
  {
    to: req(list(located(slug()), {
      min: 1, tooFew: 'send.to needs at least one destination id',
      // §4.7's duplicate ids: a send goes to each destination once.
      unique: (id) => `destination '${id}' is named twice in send.to (duplicate ids: a send goes to each destination once)`,
    }), 'destination ids of destinations.yaml'),
    event: opt(eventName, 'event name of the send (default: the step id; for an exit send, Journey Exited)'),
    traits: opt(list(str()), 'trait names whose values are sent along'),
  },
  { name: 'send' },
);
export type RawSend = TypeOf<typeof send>;

// ---------------------------------------------------------------------------------------------------
// Entry and exit (spec §4.1, §4.2)

const reentryAfter = opt(stepDuration, "with reentry: after-exit, wait this long after the last exit or completion");

const entry = keyUnion(
  {
    event: obj(
      {
        event: req(eventName, 'event-triggered: each matching event may start an instance'),
        where: opt(where, 'only trigger events whose properties match'),
        when: opt(condition, 'condition checked at the trigger instant'),
        key: opt(propertyPath, 'instance key property: one live instance per key value'),
        reentry: opt(oneOf(['always', 'once', 'after-exit']), 'always (default) | once | after-exit'),
        reentryAfter,
      },
      { name: 'an event entry' },
    ),
    condition: obj(
      {
        condition: req(condition, 'audience-style: enter when this becomes true'),
        historical: opt(bool(), 'users for whom it already holds enter when the journey goes live'),
        reentry: opt(
          oneOf(['once', 'after-exit'], { always: 'a condition entry enters on a false-to-true change: use once or after-exit' }),
          'once (default) | after-exit',
        ),
        reentryAfter,
      },
      { name: 'a condition entry' },
    ),
  },
  { name: 'entry', noun: (v) => `${v} entry` },
);
export type RawEntry = TypeOf<typeof entry>;

const exitRule = obj(
  {
    event: req(eventName, 'leave when this event arrives, at any step'),
    where: opt(where, 'only events whose properties match'),
    sameKey: opt(bool(), 'only the instance whose key equals the event property (default: true when the journey has a key)'),
  },
  { name: 'an exit event' },
);

const exit = obj(
  {
    after: opt(stepDuration, 'leave this long after entry'),
    condition: opt(condition, 'leave as soon as this holds'),
    events: opt(list(exitRule), 'exit rules, checked at every step'),
    send: opt(send, 'send on any exit'),
  },
  { name: 'exit' },
);
export type RawExit = TypeOf<typeof exit>;

// ---------------------------------------------------------------------------------------------------
// Steps (spec §4.2)

const tooManyBranches = (what: string) => (n: number) => `more than ${MAX_BRANCHES} ${what} in one step (${n})`;
const stepFields = { id: req(stepId, 'step id (lowercase slug; not end)') };
const stepNext = opt(target, 'the step to continue with (default: the following step; end ends the path)');

const waitForEvent = obj(
  {
    event: req(eventName, 'the event name'),
    where: opt(where, 'only events whose properties match'),
    sameKey: opt(bool(), 'only events whose key property equals the instance key (default: true when the journey has a key)'),
    next: opt(target, 'the step to take on a match (default: the following step)'),
    restart: opt(bool(), 'loop back to the start of this step (timer restarts, context updated); not with next'),
    alias: opt(str(), 'context key for the matched event (default: the event name)'),
  },
  { name: 'a waitFor event' },
);
export type RawWaitForEvent = TypeOf<typeof waitForEvent>;

const whenBranch = obj(
  { when: req(condition, 'the branch condition'), next: req(target, 'the step this branch leads to') },
  { name: 'a branch' },
);
export type RawWhenBranch = TypeOf<typeof whenBranch>;

const randomBranch = obj(
  { percent: req(int({ min: 1, max: 99 }), 'share of users, 1 to 99 (the percents sum to 100)'), next: req(target, 'the step this branch leads to') },
  { name: 'a random branch' },
);

const step = named(
  'step',
  () =>
    keyUnion(
      {
        wait: obj({ ...stepFields, wait: req(stepDuration, 'continue after this long'), next: stepNext }, { name: 'a wait step' }),
        waitFor: obj(
          {
            ...stepFields,
            waitFor: req(
              obj(
                {
                  events: req(list(waitForEvent, { min: 1, max: MAX_BRANCHES, tooMany: tooManyBranches('waitFor events') }), 'the first matching event takes its branch'),
                  timeout: req(stepDuration, 'no match within this long takes onTimeout'),
                  onTimeout: opt(target, 'the step after a timeout (default: the following step)'),
                },
                { name: 'waitFor' },
              ),
              'wait for one of these events, up to a timeout',
            ),
          },
          { name: 'a waitFor step' },
        ),
        waitUntil: obj(
          {
            ...stepFields,
            waitUntil: req(
              obj(
                {
                  condition: req(condition, 'continue as soon as this holds (now or later)'),
                  timeout: opt(stepDuration, 'give up after this long (without it, wait until an exit)'),
                  onTimeout: opt(target, 'the step after a timeout (default: the following step)'),
                },
                { name: 'waitUntil', needs: { onTimeout: ['timeout'] } },
              ),
              'wait until a condition holds',
            ),
            next: stepNext,
          },
          { name: 'a waitUntil step' },
        ),
        split: obj(
          {
            ...stepFields,
            split: req(
              obj(
                {
                  branches: req(list(whenBranch, { min: 1, max: MAX_BRANCHES, tooMany: tooManyBranches('branches') }), 'the first branch whose condition holds wins'),
                  else: opt(target, 'the step when no branch holds (default: end)'),
                },
                { name: 'split' },
              ),
              'exclusive branches, evaluated once on arrival',
            ),
          },
          { name: 'a split step' },
        ),
        branch: obj(
          {
            ...stepFields,
            branch: req(
              obj(
                { branches: req(list(whenBranch, { min: 1, max: MAX_BRANCHES, tooMany: tooManyBranches('branches') }), 'every branch whose condition holds, now or later') },
                { name: 'branch' },
              ),
              'non-exclusive branches: the path forks into every branch that holds',
            ),
          },
          { name: 'a branch step' },
        ),
        random: obj(
          {
            ...stepFields,
            random: req(
              obj(
                {
                  branches: req(
                    list(randomBranch, { min: 2, max: MAX_BRANCHES, tooFew: 'random needs at least 2 branches whose percents sum to 100', tooMany: tooManyBranches('branches') }),
                    'percents from 1 to 99 summing to 100',
                  ),
                  sticky: opt(bool(), 'the same user always takes the same branch (default: true)'),
                },
                { name: 'random' },
              ),
              'a random branch by the bucket rule',
            ),
          },
          { name: 'a random step' },
        ),
        send: obj({ ...stepFields, send: req(send, 'hand the user to these destinations'), next: stepNext }, { name: 'a send step' }),
      },
      {
        name: 'a step',
        noun: (v) => `${v} step`,
        describe: (node) => {
          const id = node.entries.find((e) => e.key === 'id')?.value;
          return id?.t === 'scalar' && typeof id.value === 'string' ? `step '${id.value}'` : 'a step';
        },
      },
    ),
  'A step: an id and exactly one type key.',
);
export type RawStep = TypeOf<typeof step>;

/** A step that is not even of a known type; its id still counts, so references to it are not reported too. */
export interface BrokenStep {
  readonly kind: 'broken';
  readonly id: string | null;
  readonly $line: number;
}
const stepOrBroken = salvage(step, (node, site): BrokenStep => {
  const id = node.t === 'map' ? node.entries.find((e) => e.key === 'id') : undefined;
  const value = id?.value.t === 'scalar' && typeof id.value.value === 'string' ? id.value.value : null;
  return { kind: 'broken', id: value, $line: site.line };
});

// ---------------------------------------------------------------------------------------------------
// Files

const journeyFileFields = {
  journey: req(slug(), 'journey id (lowercase slug, unique across files; a persisted contract)'),
  name: opt(str({ minLength: 0 }), 'display name'),
  description: opt(str({ minLength: 0 }), 'free text'),
  version: opt(int({ min: 1 }), 'positive integer (default 1); a new version drains the old one'),
  status: opt(oneOf(['draft', 'live', 'paused', 'archived']), 'draft | live (default) | paused (no new entries) | archived (everything stops)'),
  migrate: opt(dictionary(slug(), target), 'old step id to step id of this version, for live instances of the previous version'),
  entry: req(entry, 'exactly one of event or condition'),
  exit: opt(exit, 'ways to leave the journey early'),
  steps: req(
    list(stepOrBroken, { min: 1, max: MAX_STEPS, tooFew: 'a journey needs at least one step', tooMany: (n) => `more than ${MAX_STEPS} steps (${n}): split the journey` }),
    'the steps, in order; an instance starts at the first',
  ),
} satisfies Fields;

export const journeyFile = obj(journeyFileFields, { name: 'a journey file', doc: 'A journey (`*.journey.yaml`, spec §4).' });
export type RawJourney = TypeOf<typeof journeyFile>;

const destinationCommon = {
  id: req(slug(), 'destination id (lowercase slug, unique)'),
  format: req(oneOf(['segment-track', 'segment-identify', 'transition']), 'segment-track | segment-identify | transition'),
};
const positive = (doc: string) => opt(int({ min: 1 }), doc);

const destination = tagUnion(
  'type',
  {
    webhook: obj(
      {
        ...destinationCommon,
        type: req(oneOf(['webhook']), 'HTTP POST'),
        url: req(patterned(/^https?:\/\/[^\s/?#]+[^\s]*$/i, 'an http:// or https:// URL'), 'where to POST'),
        secretEnv: opt(patterned(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name'), 'environment variable holding the HMAC-SHA256 signing secret'),
        batchSize: positive('messages per request (default 1)'),
        lingerMs: opt(int({ min: 0 }), 'how long to wait to fill a batch, in ms (default 0)'),
        timeoutMs: positive('request timeout in ms (default 10000)'),
        maxAttempts: positive('attempts before the dead-letter topic (default 5)'),
        concurrency: positive('requests in flight (default 4)'),
        ratePerSecond: opt(num({ above: 0 }), 'requests per second, fractions allowed (0.5: one every 2 s; default: unlimited)'),
        headers: opt(dictionary(str(), str({ minLength: 0 })), 'extra HTTP headers (string values)'),
      },
      { name: 'a webhook destination' },
    ),
    kafka: obj(
      {
        ...destinationCommon,
        type: req(oneOf(['kafka']), 'produce to a Kafka topic'),
        topic: req(patterned(/^[A-Za-z0-9._-]{1,249}$/, 'a Kafka topic name (letters, digits, . _ -)'), 'the topic, keyed by userId'),
      },
      { name: 'a kafka destination' },
    ),
  },
  { name: 'a destination', noun: (v) => `${v} destination` },
);
export type RawDestination = TypeOf<typeof destination>;

export const destinationsFile = obj(
  { destinations: req(list(destination), 'the destinations, by id') },
  { name: 'destinations.yaml', doc: 'Destinations (`destinations.yaml`, spec §6).' },
);

export const audiencesFile = obj(
  {
    audiences: req(
      list(obj({ id: req(slug(), 'audience id (lowercase slug, unique)'), condition: req(condition, 'membership condition (no context leaves)') }, { name: 'an audience' })),
      'named audiences',
    ),
  },
  { name: 'audiences.yaml', doc: 'Named audiences (`audiences.yaml`, spec §4).' },
);
