// A deterministic, realistic Segment message stream for a set of journeys (used by `journeys dev`, the tests
// and the benchmarks): the events their entries,
// waits, exits and conditions name, with the key properties and traits they test, for a number of users,
// in time order (identify before track at equal timestamps, as the processor merges traits first).
import type { Condition, Definitions, Json, Predicate, Where } from '../definitions/model';

export interface Workload {
  messages: Record<string, Json>[];
  /** The last timestamp (ISO). */
  end: string;
}

export interface WorkloadOptions {
  users: number;
  messages: number;
  /** ISO start time. */
  start: string;
  /** Average gap between consecutive messages, ms. */
  stepMs: number;
  seed: number;
}

/** mulberry32: a small seeded PRNG, so the same options give the same workload. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Vocabulary {
  events: string[];
  /** Property names with candidate values. */
  properties: Map<string, Json[]>;
  traits: Map<string, Json[]>;
}

function addValues(map: Map<string, Json[]>, name: string, predicate: Predicate): void {
  const values = map.get(name) ?? [];
  for (const op of predicate) {
    if (op.op === 'equals' || op.op === 'notEquals') values.push(op.value);
    else if (op.op === 'in' || op.op === 'notIn') values.push(...op.value);
    else if (op.op === 'gt' || op.op === 'gte' || op.op === 'lt' || op.op === 'lte') values.push(op.value - 1, op.value, op.value + 1);
    else if (op.op === 'startsWith' || op.op === 'endsWith' || op.op === 'contains') values.push(typeof op.value === 'string' ? `x${op.value}x` : op.value);
    else if (op.op === 'exists') values.push('present');
  }
  map.set(name, values);
}

function vocabulary(defs: Definitions): Vocabulary {
  const events = new Set<string>();
  const properties = new Map<string, Json[]>();
  const traits = new Map<string, Json[]>();
  const where = (w: Where) => w.forEach((f) => addValues(properties, f.path.join('.'), f.predicate));
  const cond = (c: Condition | null): void => {
    if (c === null) return;
    switch (c.kind) {
      case 'all': case 'any': c.of.forEach(cond); return;
      case 'not': cond(c.of); return;
      case 'performed': events.add(c.event); where(c.where); return;
      case 'trait': addValues(traits, c.trait, c.predicate); return;
      case 'audience': traits.set(c.audience, [true, false]); return;
      case 'context': addValues(properties, c.path.split('.').slice(1).join('.'), c.predicate); return;
    }
  };
  for (const j of defs.journeys) {
    if (j.entry.kind === 'event') {
      events.add(j.entry.event);
      where(j.entry.where);
      cond(j.entry.when);
      if (j.entry.key !== null) properties.set(j.entry.key.join('.'), ['k1', 'k2', 'k3']);
    } else {
      cond(j.entry.condition);
    }
    cond(j.exit.condition);
    for (const r of j.exit.events) { events.add(r.event); where(r.where); }
    for (const s of j.steps) {
      if (s.type === 'waitFor') for (const b of s.branches) { events.add(b.event); where(b.where); }
      if (s.type === 'waitUntil') cond(s.condition);
      if (s.type === 'split' || s.type === 'branch') s.branches.forEach((b) => cond(b.when));
    }
  }
  for (const a of defs.audiences.values()) cond(a.condition);
  return { events: [...events].sort(), properties, traits };
}

function setPath(obj: Record<string, Json>, path: string, value: Json): void {
  const parts = path.split('.');
  let cur = obj;
  for (const part of parts.slice(0, -1)) {
    const next = cur[part];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) cur[part] = {};
    cur = cur[part] as Record<string, Json>;
  }
  cur[parts[parts.length - 1] as string] = value;
}

export function generateWorkload(defs: Definitions, o: WorkloadOptions): Workload {
  const rnd = prng(o.seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const vocab = vocabulary(defs);
  const propNames = [...vocab.properties.keys()].sort();
  const traitNames = [...vocab.traits.keys()].sort();
  const messages: Record<string, Json>[] = [];
  let t = Date.parse(o.start);
  // Sessions: a user sends a few messages in a row, with the same key values (a cart, an application...),
  // so waits for an event, restarts and exit rules meet the events they wait for.
  while (messages.length < o.messages) {
    const userId = `user-${Math.floor(rnd() * o.users)}`;
    const session = new Map(propNames.map((name) => [name, pick(vocab.properties.get(name) ?? ['x'])]));
    const length = 1 + Math.floor(rnd() * 8);
    // Mostly small gaps, sometimes long ones so waits and timeouts fire in between. Strictly increasing,
    // so the order is the same however the events and traits topics are merged.
    t += 1 + (rnd() < 0.01 ? Math.floor(rnd() * 12 * 3_600_000) : Math.floor(rnd() * 2 * o.stepMs));
    for (let k = 0; k < length && messages.length < o.messages; k++) {
      t += 1 + Math.floor(rnd() * o.stepMs);
      const i = messages.length;
      const timestamp = new Date(t).toISOString();
      const messageId = rnd() < 0.03 && i > 0 ? `m-${i - 1}` : `m-${i}`; // a few duplicates
      const r = rnd();
      if (r < 0.15 && traitNames.length > 0) {
        const traits: Record<string, Json> = {};
        for (let n = 0; n < 2; n++) {
          const name = pick(traitNames);
          traits[name] = rnd() < 0.1 ? null : pick(vocab.traits.get(name) ?? ['x']);
        }
        messages.push({ type: 'identify', userId, messageId, timestamp, traits });
      } else if (r < 0.2) {
        messages.push({ type: 'page', userId, messageId, timestamp, name: pick(['Home', 'Pricing', 'Docs']), properties: { utm_source: pick(['email', 'ads', 'sms']) } });
      } else {
        const properties: Record<string, Json> = { total: Math.floor(rnd() * 300) };
        for (const name of propNames) if (rnd() < 0.6) setPath(properties, name, rnd() < 0.8 ? (session.get(name) ?? 'x') : pick(vocab.properties.get(name) ?? ['x']));
        messages.push({ type: 'track', userId, messageId, timestamp, event: pick(vocab.events), properties });
      }
    }
  }
  return { messages, end: new Date(t).toISOString() };
}
