// The loaded, validated form of the journey files (spec §4). The loader turns YAML into these values
// (durations in milliseconds, defaults filled in, `next` resolved); the engine reads nothing else.
// Everything here is plain data: definitions can be compared, serialised and hashed.

/** A JSON value as found in messages, traits and context. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** Milliseconds. */
export type Millis = number;

/** `end` or a step id of the same journey. */
export type Target = string;
export const END: Target = 'end';

/** One operator of a `where` value, a `trait` leaf or a `context` leaf (spec §4.3). */
export type Operator =
  | { op: 'equals'; value: Json }
  | { op: 'notEquals'; value: Json }
  | { op: 'in'; value: Json[] }
  | { op: 'notIn'; value: Json[] }
  | { op: 'contains'; value: Json }
  | { op: 'notContains'; value: Json }
  | { op: 'startsWith'; value: string }
  | { op: 'endsWith'; value: string }
  | { op: 'exists'; value: boolean }
  | { op: 'gt' | 'gte' | 'lt' | 'lte'; value: number }
  /** `value` is the ISO date's epoch milliseconds. */
  | { op: 'before' | 'after'; value: Millis }
  /** `value` is the span in milliseconds. */
  | { op: 'withinLast' | 'withinNext'; value: Millis };

export type OperatorName = Operator['op'];

/** All operators must hold (at least one). */
export type Predicate = Operator[];

/** `where: { product.sku: { startsWith: A }, total: 3 }`: every property path must satisfy its predicate. */
export interface PropertyFilter {
  /** Dot-separated property path, split: `product.sku` → ['product', 'sku']. */
  path: string[];
  predicate: Predicate;
}
export type Where = PropertyFilter[];

export type EventWindow =
  | { kind: 'within'; span: Millis }
  /** `between: [from, to]`: `now - from < timestamp <= now - to`, with from > to. */
  | { kind: 'between'; from: Millis; to: Millis };

export interface PerformedLeaf {
  kind: 'performed';
  event: string;
  where: Where;
  window: EventWindow | null;
  /** Inclusive bounds; `exactly: n` loads as min = max = n; no count loads as min 1. */
  min: number;
  max: number | null;
  /**
   * Stable name of (event, where): user state keeps one history per signature, shared by every leaf
   * with the same event and filter, and it must survive a reload of the definitions.
   */
  signature: string;
}

export type Condition =
  | { kind: 'all'; of: Condition[] }
  | { kind: 'any'; of: Condition[] }
  | { kind: 'not'; of: Condition }
  | PerformedLeaf
  | { kind: 'trait'; trait: string; predicate: Predicate }
  | { kind: 'audience'; audience: string }
  /** `context: Product Added.total`: kept whole; resolved against the context keys at evaluation time. */
  | { kind: 'context'; path: string; predicate: Predicate };

export interface SendSpec {
  to: string[];
  /** Already defaulted: the step id for a `send` step, `Journey Exited` for an exit send. */
  event: string;
  traits: string[];
}

export interface EventEntry {
  kind: 'event';
  event: string;
  where: Where;
  when: Condition | null;
  /** Property path of the instance key, split on dots; null without `key`. */
  key: string[] | null;
  reentry: 'always' | 'once' | 'after-exit';
  reentryAfter: Millis | null;
}

export interface ConditionEntry {
  kind: 'condition';
  condition: Condition;
  historical: boolean;
  reentry: 'once' | 'after-exit';
  reentryAfter: Millis | null;
}

export type Entry = EventEntry | ConditionEntry;

export interface ExitRule {
  event: string;
  where: Where;
  /** Defaulted: true when the journey has a key, else false. */
  sameKey: boolean;
}

export interface Exit {
  after: Millis | null;
  condition: Condition | null;
  events: ExitRule[];
  send: SendSpec | null;
}

export interface WaitForBranch {
  event: string;
  where: Where;
  sameKey: boolean;
  /** Resolved: the following step (or `end` after the last one) when the file says nothing. */
  next: Target;
  restart: boolean;
  alias: string | null;
}

export type StepBody =
  | { type: 'wait'; duration: Millis; next: Target }
  | { type: 'waitFor'; branches: WaitForBranch[]; timeout: Millis; onTimeout: Target }
  | { type: 'waitUntil'; condition: Condition; timeout: Millis | null; onTimeout: Target; next: Target }
  | { type: 'split'; branches: { when: Condition; next: Target }[]; else: Target }
  | { type: 'branch'; branches: { when: Condition; next: Target }[] }
  | { type: 'random'; branches: { percent: number; next: Target }[]; sticky: boolean }
  | { type: 'send'; send: SendSpec; next: Target };

export type StepType = StepBody['type'];

export type Step = StepBody & { id: string };

export type JourneyStatus = 'draft' | 'live' | 'paused' | 'archived';

export interface Journey {
  id: string;
  name: string | null;
  description: string | null;
  version: number;
  status: JourneyStatus;
  migrate: Record<string, string> | null;
  entry: Entry;
  exit: Exit;
  /** In listed order; the first is where an instance starts. */
  steps: Step[];
  /** The file it came from (journeys are evaluated in file-name byte order). */
  file: string;
}

export interface Audience {
  id: string;
  condition: Condition;
}

export type DestinationFormat = 'segment-track' | 'segment-identify' | 'transition';

export type Destination =
  | {
      id: string;
      type: 'webhook';
      format: DestinationFormat;
      url: string;
      secretEnv: string | null;
      batchSize: number;
      lingerMs: number;
      timeoutMs: number;
      maxAttempts: number;
      concurrency: number;
      ratePerSecond: number | null;
      headers: Record<string, string>;
    }
  | { id: string; type: 'kafka'; format: DestinationFormat; topic: string };

/** Everything the engine needs, loaded from one topologies folder. */
export interface Definitions {
  /** Sorted by file name in byte order. */
  journeys: Journey[];
  audiences: Map<string, Audience>;
  destinations: Map<string, Destination>;
}
