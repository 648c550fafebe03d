// All of topologies/ at once: a mixed stream of realistic Segment traffic that touches every example
// journey. Journeys are evaluated in file-name order and share each user's history and traits, but never
// each other's instances, so every journey must give, instance by instance, the records it gives when
// loaded alone; and `journeys simulate` (the built CLI) must print what the in-process Simulator gives.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Transition } from '../../src/engine/transition';
import { TestDriver, type RawMessage } from '../helpers/test-driver';
import { TOPOLOGIES, at, loadAllTopologies, loadJourneys, recordViolations } from './harness';

const BIN = join(__dirname, '..', '..', 'bin', 'journeys.js');
const UNTIL = at(400);

/** A few customers over a year: every journey of topologies/ gets entries. Sorted by time. */
function mixedTraffic(): RawMessage[] {
  const out: RawMessage[] = [];
  let n = 0;
  const ctx = { library: { name: 'analytics.js', version: '2.11.1' }, ip: '203.0.113.7' };
  const track = (userId: string, when: string, event: string, properties: RawMessage = {}) =>
    out.push({ type: 'track', userId, event, properties, timestamp: when, messageId: `mix-${++n}`, context: ctx });
  const identify = (userId: string, when: string, traits: RawMessage) =>
    out.push({ type: 'identify', userId, traits, timestamp: when, messageId: `mix-${++n}`, context: ctx });
  const page = (userId: string, when: string, name: string, properties: RawMessage = {}) =>
    out.push({ type: 'page', userId, name, properties, timestamp: when, messageId: `mix-${++n}`, context: ctx });

  // Ada: a shopper who browses, abandons, buys once, and ends up in most audience-style journeys.
  identify('ada', at(0, '08:00'), {
    first_name: 'Ada', email: 'ada@example.com', phone: '+15550100', most_frequent_utm_source: 'Email', newsletter_subscribed: true,
    customer_lifetime_value: 300, account_type: 'ABC', churn_risk: 'high', favorite_color: 'teal', user_favorite_article_category: 'Engineering',
  });
  track('ada', at(0, '08:30'), 'Email Opened', { campaign: 'march-newsletter' });
  page('ada', at(0, '09:00'), 'Pricing', { url: 'https://shop.example.com/pricing' });
  for (const [i, time] of ['09:10', '09:20', '09:30'].entries()) track('ada', at(0, time), 'Product Viewed', { product_id: `sku-${i}` });
  track('ada', at(0, '09:40'), 'Viewed_Product', { session_ID: 's-ada-1', product_id: 'sku-1' });
  track('ada', at(0, '09:45'), 'Product Added', { product_id: 'sku-1', cart_id: 'c-ada' });
  track('ada', at(0, '09:46'), 'Product_Added', { cart_ID: 'c-ada', productId: 'sku-1', checkout_cart: ['sku-1'] });
  track('ada', at(0, '09:50'), 'Cart_Viewed', { cart_id: 'c-ada', checkout_cart: [{ productId: 'sku-1', quantity: 1 }] });
  track('ada', at(0, '09:55'), 'Cart_Modified', { cart_id: 'c-ada', cart_ID: 'c-ada', checkout_cart: ['sku-1', 'sku-2'] });
  track('ada', at(0, '10:00'), 'Checkout_Started', { cart_id: 'c-ada', total: 120 });
  track('ada', at(0, '10:05'), 'Webinar Invited', { webinar_id: 'w-1' });
  track('ada', at(0, '12:00'), 'Registration Form Submitted', { webinar_id: 'w-1' });
  track('ada', at(0, '12:30'), 'Order Completed', { order_id: 'o-ada-0', total: 150, price: 150 });
  track('ada', at(0, '12:40'), 'Order Completed', { order_id: 'o-ada-00', total: 130, price: 130 });
  track('ada', at(1, '10:00'), 'Order Completed', { order_id: 'o-ada-1', total: 120, price: 120 });
  track('ada', at(1, '10:01'), 'Order_Purchased', { cart_id: 'c-ada', order_id: 'o-ada-1' });
  track('ada', at(1, '10:02'), 'Transaction_Completed', { transaction_id: 't-ada-1', transaction_total: 120 });
  page('ada', at(3, '09:00'), 'Blog', { utm_source: 'facebook' });
  track('ada', at(3, '10:00'), 'Order_Confirmation', { order_id: 'o-ada-2', currency: 'EUR', productId: 'sku-3', cart_ID: 'c-ada-2' });
  track('ada', at(3, '10:05'), 'Purchase_Completed', { order_id: 'o-ada-2', total: 90 });
  identify('ada', at(3, '11:00'), { newsletter_opt_in: true, email_subscription_status: 'subscribed' });
  track('ada', at(3, '11:10'), 'content_downloaded', { content_title: 'State of Data 2026' });
  track('ada', at(3, '11:20'), 'video_watched', { video_title: 'Journeys in 5 minutes', percent_watched: 90 });
  track('ada', at(3, '11:30'), 'Website_Viewed', { sessionID: 's-ada-9' });

  // Bob: a B2B trial user with an application, an appointment and a renewal.
  identify('bob', at(0, '09:00'), { first_name: 'Bob', company: 'Globex', plan: 'trial', email_subscription_status: 'subscribed' });
  track('bob', at(0, '09:05'), 'Account Created', { signup_method: 'email' });
  track('bob', at(0, '09:10'), 'Signed_Up', { signup_source: 'web' });
  track('bob', at(0, '09:15'), 'Trial Started', { trial_plan: 'business' });
  track('bob', at(0, '09:20'), 'Trial_Started', { Account_ID: 'acct-bob', account_id: 'acct-bob' });
  track('bob', at(0, '09:30'), 'Subscription Started', { subscription_plan_type: 'free' });
  track('bob', at(0, '09:40'), 'Application_Started', { Application_id: 'app-bob', product: 'loan' });
  track('bob', at(0, '09:50'), 'Renewal_Due', { subscription_id: 'sub-bob' });
  track('bob', at(0, '10:00'), 'Appointment Scheduled', { appointment_id: 'apt-bob', start_time: '2026-03-10T15:00:00Z', provider: 'Dr. Lee' });
  track('bob', at(1, '11:00'), 'Appointment Rescheduled', { appointment_id: 'apt-bob', start_time: '2026-03-11T15:00:00Z', provider: 'Dr. Kim' });
  track('bob', at(2, '09:00'), 'Tutorial Completed', {});
  track('bob', at(4, '09:00'), 'Subscription_Upgraded', { account_id: 'acct-bob', plan: 'pro' });
  track('bob', at(6, '09:00'), 'Subscription Started', { subscription_plan_type: 'paid' });
  track('bob', at(9, '09:00'), 'Subscription_Cancelled', { subscription_id: 'sub-bob', reason: 'churn' });

  // Cid: a reader who goes quiet (re-engagement) and an old customer (winback).
  identify('cid', at(0, '07:00'), { first_name: 'Cid', customer_lifetime_value: 80 });
  page('cid', at(0, '07:30'), 'Home');
  track('cid', at(0, '07:35'), 'Item Purchased', { sku: 'mug' });
  track('cid', at(0, '07:40'), 'Order Completed', { order_id: 'o-cid-1' });
  track('cid', at(0, '07:50'), 'Subscription Started', { subscription_plan_type: 'paid' });
  // Interleave the customers in time order (stable: same-instant messages keep their order).
  return out.sort((a, b) => String(a.timestamp).localeCompare(String(b.timestamp)));
}

/** Records per instance, in order (the interleaving of different instances is free, spec §5). */
function byInstance(records: readonly Transition[]): Map<string, Transition[]> {
  const map = new Map<string, Transition[]>();
  for (const t of records) map.set(t.instance, [...(map.get(t.instance) ?? []), t]);
  return map;
}

function run(driver: TestDriver, messages: readonly RawMessage[]): Transition[] {
  for (const m of messages) driver.pipe(m);
  driver.advanceTo(UNTIL);
  return driver.transitions();
}

describe('all of topologies/ at once', () => {
  const messages = mixedTraffic();
  const defs = loadAllTopologies();
  const all = run(new TestDriver(defs), messages);

  test('the traffic is in time order and every journey gets at least one entry; the records keep the spec §5 invariants', () => {
    const times = messages.map((m) => String(m.timestamp));
    expect(times).toEqual([...times].sort());
    const entered = new Set(all.filter((t) => t.reason === 'entry').map((t) => t.journey));
    expect(defs.journeys.map((j) => j.id).filter((id) => !entered.has(id))).toEqual([]);
    expect(recordViolations(all, defs)).toEqual([]);
  });

  test.each(defs.journeys.map((j) => j.id))('%s gives the same records, instance by instance, as when loaded alone', (id) => {
    const alone = run(new TestDriver(loadJourneys([id])), messages);
    expect(byInstance(all.filter((t) => t.journey === id))).toEqual(byInstance(alone));
  });

  test('journeys simulate (built CLI) over topologies/ prints the in-process records', () => {
    const dir = mkdtempSync(join(tmpdir(), 'journeys-mixed-'));
    try {
      const events = join(dir, 'events.jsonl');
      writeFileSync(events, messages.map((m) => JSON.stringify(m)).join('\n') + '\n');
      const r = spawnSync(process.execPath, [BIN, 'simulate', '--topologies', TOPOLOGIES, '--events', events, '--until', UNTIL], { encoding: 'utf8', maxBuffer: 1 << 26 });
      expect([r.status, r.stderr]).toEqual([0, '']);
      const printed = r.stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Transition);
      expect(printed).toEqual(all);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the invariant check itself catches broken records', () => {
    const good = all.filter((t) => t.journey === 'e12-cart-exit-rules');
    expect(good.length).toBeGreaterThan(2);
    const broken = good.map((t, i) => (i === 1 ? { ...t, seq: 7, send: { to: ['sms'], event: 'x', traits: {} } } : i === 2 ? { ...t, id: 'f'.repeat(64) } : t));
    const problems = recordViolations(broken, defs);
    expect(problems.some((p) => p.includes('seq 7'))).toBe(true);
    expect(problems.some((p) => p.includes('send'))).toBe(true);
    expect(problems.some((p) => p.includes('id is not SHA-256'))).toBe(true);
  });
});
