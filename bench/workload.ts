// The benchmark's input: Segment messages of a shop's users over a few weeks, in time order, written as
// JSON lines. Seeded, so every run reads the same bytes. Users come in sessions (an identify on a
// user's first session and now and then later, Session Started, page views, product views, and for some
// a cart: Product Added, Cart Modified, Checkout Started, Order Completed); activity is skewed (a few users
// have many sessions). A small share of messages is sent twice with the same messageId (client retries).
import { closeSync, openSync, writeSync } from 'node:fs';
import { prng } from '../src/demo/workload';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const DAY = 24 * 60 * MINUTE;

export interface WorkloadOptions {
  users: number;
  events: number;
  days: number;
  /** Start of the simulated period (epoch ms). */
  start: number;
  seed: number;
}

export const DEFAULT_WORKLOAD: WorkloadOptions = { users: 100_000, events: 1_000_000, days: 21, start: Date.UTC(2026, 0, 5), seed: 20260105 };


const enum Kind {
  Identify,
  SessionStarted,
  Page,
  ProductViewed,
  ProductAdded,
  CartModified,
  CheckoutStarted,
  OrderCompleted,
}

const FIRST_NAMES = ['Ada', 'Grace', 'Alan', 'Linus', 'Barbara', 'Ken', 'Margaret', 'Dennis'];
const PLANS = ['free', 'free', 'trial', 'trial', 'basic', 'gold', 'platinum'];
const COUNTRIES = ['US', 'DE', 'FR', 'CA', 'GB', 'US', 'DE'];
const CATEGORIES = ['shoes', 'bags', 'shirts', 'hats'];
const PAGES = ['Home', 'Search', 'Category', 'Product', 'Cart', 'Checkout'];

export interface WorkloadSummary {
  users: number;
  messages: number;
  bytes: number;
  duplicates: number;
  from: string;
  to: string;
}

/** Writes the workload to `file` as JSON lines, in time order. */
export function writeWorkload(file: string, opts: WorkloadOptions = DEFAULT_WORKLOAD): WorkloadSummary {
  const rnd = prng(opts.seed);
  const n = opts.events;
  const time = new Float64Array(n);
  const user = new Int32Array(n);
  const kind = new Uint8Array(n);
  const session = new Int32Array(n);
  const dup = new Uint8Array(n);
  let count = 0;
  let sessions = 0;
  let duplicates = 0;
  const span = opts.days * DAY;

  const push = (t: number, u: number, k: Kind, s: number, isDup = 0): boolean => {
    if (count >= n) return false;
    time[count] = t;
    user[count] = u;
    kind[count] = k;
    session[count] = s;
    dup[count] = isDup;
    count++;
    return true;
  };

  const addSession = (u: number, first: boolean): void => {
    const s = sessions++;
    let t = opts.start + Math.floor(rnd() * span);
    const step = (): number => (t += SECOND * (5 + Math.floor(rnd() * 240)));
    const emit = (k: Kind): boolean => {
      const at = step();
      if (!push(at, u, k, s)) return false;
      // A client retry: the same message again a few seconds later.
      if (rnd() < 0.003 && push(at + SECOND * (1 + Math.floor(rnd() * 10)), u, k, s, 1)) duplicates++;
      return true;
    };
    if ((first || rnd() < 0.05) && !emit(Kind.Identify)) return;
    if (!emit(Kind.SessionStarted)) return;
    const pages = 1 + Math.floor(rnd() * 4);
    for (let i = 0; i < pages; i++) if (!emit(Kind.Page)) return;
    const views = Math.floor(rnd() * 4);
    for (let i = 0; i < views; i++) if (!emit(Kind.ProductViewed)) return;
    if (rnd() < 0.35) {
      if (!emit(Kind.ProductAdded)) return;
      const mods = Math.floor(rnd() * 3);
      for (let i = 0; i < mods; i++) if (!emit(Kind.CartModified)) return;
      if (rnd() < 0.5) {
        if (!emit(Kind.CheckoutStarted)) return;
        if (rnd() < 0.65 && !emit(Kind.OrderCompleted)) return;
      }
    }
  };

  for (let u = 0; u < opts.users && count < n; u++) addSession(u, true);
  // Skewed activity: low user numbers come back much more often.
  while (count < n) addSession(Math.floor(opts.users * rnd() ** 3), false);

  // Time order (ties by generation order, so a session's events stay in order).
  const order = new Uint32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  order.sort((a, b) => (time[a] as number) - (time[b] as number) || a - b);

  const fd = openSync(file, 'w');
  let bytes = 0;
  let chunk: string[] = [];
  let chunkLen = 0;
  const flush = (): void => {
    const text = chunk.join('');
    bytes += Buffer.byteLength(text);
    writeSync(fd, text);
    chunk = [];
    chunkLen = 0;
  };
  const hash = (x: number): number => {
    let h = Math.imul(x ^ 0x9e3779b9, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    return (h ^ (h >>> 16)) >>> 0;
  };
  for (let idx = 0; idx < count; idx++) {
    const i = order[idx] as number;
    const u = user[i] as number, s = session[i] as number, k = kind[i] as Kind, t = time[i] as number;
    // A duplicate reuses the original's id: the original is the message just before it in its session.
    const orig = dup[i] === 1 ? i - 1 : i;
    const msg: Record<string, unknown> = { userId: `user-${u}`, messageId: `m-${orig.toString(36)}`, timestamp: new Date(t).toISOString() };
    const h = hash(orig);
    const cart = `cart-${s.toString(36)}`;
    const total = 20 + (hash(s) % 400);
    switch (k) {
      case Kind.Identify: {
        const traits: Record<string, unknown> = {
          first_name: FIRST_NAMES[h % FIRST_NAMES.length],
          plan: PLANS[hash(u + (h % 3)) % PLANS.length],
          country: COUNTRIES[hash(u) % COUNTRIES.length],
          // 40% signed up during the period (around this message), the others long before.
          signup_date: new Date(hash(u) % 10 < 4 ? t - (h % DAY) : opts.start - (1 + (hash(u) % 300)) * DAY).toISOString(),
        };
        if (h % 50 === 0) traits.unsubscribed = true;
        Object.assign(msg, { type: 'identify', traits });
        break;
      }
      case Kind.SessionStarted:
        Object.assign(msg, { type: 'track', event: 'Session Started', properties: { referrer: h % 3 === 0 ? 'ads' : 'direct' } });
        break;
      case Kind.Page:
        Object.assign(msg, { type: 'page', name: PAGES[h % PAGES.length], properties: { path: `/p/${h % 1000}` } });
        break;
      case Kind.ProductViewed:
        Object.assign(msg, { type: 'track', event: 'Product Viewed', properties: { product_id: `p${h % 500}`, category: CATEGORIES[h % 4], price: 5 + (h % 200) } });
        break;
      case Kind.ProductAdded:
        Object.assign(msg, { type: 'track', event: 'Product Added', properties: { cart_id: cart, product_id: `p${h % 500}`, price: 5 + (h % 200), total } });
        break;
      case Kind.CartModified:
        Object.assign(msg, { type: 'track', event: 'Cart Modified', properties: { cart_id: cart, total: total + (h % 150) } });
        break;
      case Kind.CheckoutStarted:
        Object.assign(msg, { type: 'track', event: 'Checkout Started', properties: { cart_id: cart, total } });
        break;
      case Kind.OrderCompleted:
        Object.assign(msg, { type: 'track', event: 'Order Completed', properties: { cart_id: cart, order_id: `order-${s.toString(36)}`, total, currency: 'USD' } });
        break;
    }
    const line = JSON.stringify(msg) + '\n';
    chunk.push(line);
    chunkLen += line.length;
    if (chunkLen >= 1 << 20) flush();
  }
  flush();
  closeSync(fd);
  const first = order[0], last = order[count - 1];
  return {
    users: opts.users,
    messages: count,
    bytes,
    duplicates,
    from: first === undefined ? '' : new Date(time[first] as number).toISOString(),
    to: last === undefined ? '' : new Date(time[last] as number).toISOString(),
  };
}
