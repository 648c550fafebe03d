// Segment Journeys V1 behavioural examples L1–L8 (reference segment-journeys.md §4.3, edge cases §3), each
// on its journey file(s) in topologies/. Expectations from the spec: condition entry and re-entry
// (§4.1), waitUntil, branch forks and the bucket rule (§4.2, §4.5), exits and records (§4, §5).
import type { Scenario } from './harness';
import { at, bucket, scenarios } from './harness';

/** Lines of one user in one journey. */
const of = (s: Scenario, userId: string, journey: string): string[] => s.lines(userId).filter((l) => l.startsWith(`${userId}/${journey}/`));

scenarios(['l1-funnel-leakage', 'l2-funnel-recheck'], (make) => {
  const L1 = 'l1-funnel-leakage';
  const L2 = 'l2-funnel-recheck';

  test('a purchase during the 5-day wait: L1 still sends the cart offer (leak), L2 re-checks and the customer leaves at the exit', () => {
    const s = make();
    s.identify('pat', at(0, '08:00'), { newsletter_subscribed: true, first_name: 'Pat' });
    s.identify('quinn', at(0, '08:00'), { newsletter_subscribed: true, first_name: 'Quinn' });
    s.track('pat', 'Email Opened', at(0, '09:00'), { campaign: 'march-newsletter' });
    s.track('quinn', 'Email Opened', at(0, '09:00'), { campaign: 'march-newsletter' });
    s.track('pat', 'Product Added', at(0, '10:00'), { product_id: 'sku-1', cart_id: 'c-1', price: 30 });
    s.track('quinn', 'Product Added', at(0, '10:00'), { product_id: 'sku-2', cart_id: 'c-2', price: 45 });
    s.track('pat', 'Order Completed', at(2, '12:00'), { order_id: 'o-1', cart_id: 'c-1', total: 30 });
    s.advanceTo(at(20));
    const offered = (journey: string, user: string) => [
      `${user}/${journey}/1 null→delay-5d entry ${at(0, '10:00')}`,
      `${user}/${journey}/1 delay-5d→in-audience-a wait ${at(5, '10:00')}`,
      `${user}/${journey}/1 in-audience-a→cart-offer condition ${at(5, '10:00')}`,
      `${user}/${journey}/1 cart-offer→$complete end ${at(5, '10:00')}`,
    ];
    expect(of(s, 'pat', L1)).toEqual(offered(L1, 'pat'));
    expect(of(s, 'pat', L2)).toEqual([
      `pat/${L2}/1 null→delay-5d entry ${at(0, '10:00')}`,
      `pat/${L2}/1 delay-5d→in-audience-a wait ${at(5, '10:00')}`,
      // The order leaves the 7-day window only on day 9; the 7-day exit comes first.
      `pat/${L2}/1 in-audience-a→$exit exit-after ${at(7, '10:00')}`,
    ]);
    expect(s.record(`pat/${L2}/1`, '$exit').sent).toEqual([]);
    expect(of(s, 'quinn', L1)).toEqual(offered(L1, 'quinn'));
    expect(of(s, 'quinn', L2)).toEqual(offered(L2, 'quinn'));
    expect(s.record(`quinn/${L2}/1`, 'cart-offer').send).toEqual({ to: ['email'], event: 'Cart Offer', traits: { first_name: 'Quinn' } });
  });

  test('not yet in Audience A after the wait: both wait at the condition and advance when an email open makes it true', () => {
    const s = make();
    s.identify('rory', at(0, '08:00'), { newsletter_subscribed: true });
    s.track('rory', 'Product Added', at(0, '10:00'), { product_id: 'sku-3' });
    s.advanceTo(at(5, '12:00'));
    const open = s.track('rory', 'Email Opened', at(6, '08:00'), { campaign: 'cart-digest' });
    s.advanceTo(at(20));
    for (const journey of [L1, L2]) {
      expect(of(s, 'rory', journey)).toEqual([
        `rory/${journey}/1 null→delay-5d entry ${at(0, '10:00')}`,
        `rory/${journey}/1 delay-5d→in-audience-a wait ${at(5, '10:00')}`,
        `rory/${journey}/1 in-audience-a→cart-offer condition ${at(6, '08:00')}`,
        `rory/${journey}/1 cart-offer→$complete end ${at(6, '08:00')}`,
      ]);
      expect(s.record(`rory/${journey}/1`, 'cart-offer').cause).toEqual({ messageId: open, event: 'Email Opened' });
    }
  });
});

scenarios('l3-re-entry', (make) => {
  const J = 'l3-re-entry';

  test('exit 7 days after entry; qualifying again before exit + 30 d does not count; still qualifying at exit + 30 d re-enters then', () => {
    const s = make();
    s.identify('uri', at(0, '08:00'), { first_name: 'Uri' });
    s.track('uri', 'Product Added', at(0, '10:00'), { product_id: 'sku-1' });
    s.advanceTo(at(19));
    s.track('uri', 'Product Added', at(20, '10:00'), { product_id: 'sku-2' }); // qualifies, but before day 37
    s.track('uri', 'Product Added', at(35, '09:00'), { product_id: 'sku-3' }); // qualifies until day 42
    s.advanceTo(at(39, '12:00'));
    const order = s.track('uri', 'Order Completed', at(40, '10:00'), { order_id: 'o-1' });
    s.advanceTo(at(80));
    expect(s.lines()).toEqual([
      `uri/${J}/1 null→delay-1h entry ${at(0, '10:00')}`,
      `uri/${J}/1 delay-1h→cart-reminder wait ${at(0, '11:00')}`,
      `uri/${J}/1 cart-reminder→delay-2d next ${at(0, '11:00')}`,
      `uri/${J}/1 delay-2d→retarget wait ${at(2, '11:00')}`,
      `uri/${J}/1 retarget→purchased next ${at(2, '11:00')}`,
      `uri/${J}/1 purchased→$exit exit-after ${at(7, '10:00')}`,
      `uri/${J}/2 null→delay-1h entry ${at(37, '10:00')}`,
      `uri/${J}/2 delay-1h→cart-reminder wait ${at(37, '11:00')}`,
      `uri/${J}/2 cart-reminder→delay-2d next ${at(37, '11:00')}`,
      `uri/${J}/2 delay-2d→retarget wait ${at(39, '11:00')}`,
      `uri/${J}/2 retarget→purchased next ${at(39, '11:00')}`,
      `uri/${J}/2 purchased→thank-you condition ${at(40, '10:00')}`,
      `uri/${J}/2 thank-you→$complete end ${at(40, '10:00')}`,
    ]);
    expect(s.record(`uri/${J}/1`, '$exit').sent).toEqual(['cart-reminder', 'retarget']);
    expect(s.record(`uri/${J}/1`, 'cart-reminder').send).toEqual({ to: ['email'], event: 'Cart Reminder', traits: { first_name: 'Uri' } });
    expect(s.record(`uri/${J}/1`, 'retarget').send).toEqual({ to: ['ads'], event: 'Cart Abandoned', traits: {} });
    expect(s.record(`uri/${J}/2`, 'delay-1h').cause).toBeNull(); // the re-entry timer, not a message
    expect(s.record(`uri/${J}/2`, 'thank-you').cause).toEqual({ messageId: order, event: 'Order Completed' });
  });

  test('not qualifying at exit + 30 d: no re-entry then; the next false→true change after it enters', () => {
    const s = make();
    s.track('val', 'Product Added', at(0, '10:00'), { product_id: 'sku-1' });
    s.advanceTo(at(45));
    const add = s.track('val', 'Product Added', at(50, '10:00'), { product_id: 'sku-9' });
    expect(s.lines().filter((l) => l.includes(' entry ') || l.includes('$exit'))).toEqual([
      `val/${J}/1 null→delay-1h entry ${at(0, '10:00')}`,
      `val/${J}/1 purchased→$exit exit-after ${at(7, '10:00')}`,
      `val/${J}/2 null→delay-1h entry ${at(50, '10:00')}`,
    ]);
    expect(s.record(`val/${J}/2`, 'delay-1h').cause).toEqual({ messageId: add, event: 'Product Added' });
  });
});

scenarios('l4-step-analytics', (make) => {
  const J = 'l4-step-analytics';
  const users = Array.from({ length: 100 }, (_, i) => `visitor-${String(i).padStart(3, '0')}`);

  test('100 → 50 → 25: 50 % / 50 % of the previous step, 50 % / 25 % of the entry step; completed and exited are exclusive', () => {
    const s = make();
    for (const u of users) s.page(u, 'Pricing', at(0, '10:00'), { url: 'https://example.com/pricing', path: '/pricing' });
    for (const u of users.slice(0, 50)) s.track(u, 'Trial Started', at(1, '10:00'), { plan: 'team' });
    for (const u of users.slice(0, 25)) s.track(u, 'Subscription Started', at(2, '10:00'), { plan: 'team' });
    s.advanceTo(at(31));
    const recs = s.records();
    const count = (pred: (to: string, reason: string) => boolean) => recs.filter((t) => pred(t.to, t.reason)).length;
    const entered = count((_, reason) => reason === 'entry');
    const step2 = count((to) => to === 'trial-welcome');
    const step3 = count((to) => to === 'paid-welcome');
    expect([entered, step2, step3]).toEqual([100, 50, 25]);
    expect([step2 / entered, step3 / step2]).toEqual([0.5, 0.5]); // previous-step base
    expect([step2 / entered, step3 / entered]).toEqual([0.5, 0.25]); // entry-step base
    expect(count((to) => to === '$complete')).toBe(25);
    expect(count((to) => to === '$exit')).toBe(75);
    expect(s.lines('visitor-000')).toEqual([
      `visitor-000/${J}/1 null→wait-for-trial entry ${at(0, '10:00')}`,
      `visitor-000/${J}/1 wait-for-trial→trial-welcome condition ${at(1, '10:00')}`,
      `visitor-000/${J}/1 trial-welcome→wait-for-subscription next ${at(1, '10:00')}`,
      `visitor-000/${J}/1 wait-for-subscription→paid-welcome condition ${at(2, '10:00')}`,
      `visitor-000/${J}/1 paid-welcome→$complete end ${at(2, '10:00')}`,
    ]);
    expect(s.lines('visitor-030').at(-1)).toBe(`visitor-030/${J}/1 wait-for-subscription→$exit exit-after ${at(30, '10:00')}`);
    expect(s.record(`visitor-030/${J}/1`, '$exit').sent).toEqual(['trial-welcome']);
    expect(s.lines('visitor-099')).toEqual([
      `visitor-099/${J}/1 null→wait-for-trial entry ${at(0, '10:00')}`,
      `visitor-099/${J}/1 wait-for-trial→$exit exit-after ${at(30, '10:00')}`,
    ]);
    expect(s.record(`visitor-000/${J}/1`, 'paid-welcome').send).toEqual({ to: ['email', 'crm', 'warehouse'], event: 'Paid Welcome', traits: {} });
  });
});

scenarios('l5-randomized-split', (make) => {
  const J = 'l5-randomized-split';
  const armOf = (b: number): string => (b < 40 ? 'email-offer' : b < 80 ? 'sms-offer' : 'control');
  const users = Array.from({ length: 1000 }, (_, i) => `member-${String(i).padStart(4, '0')}`);

  test('1,000 high-risk users: bucket rule per user (sticky), shares within 5 points of 40/40/20; re-entry takes the same branch', () => {
    const s = make();
    for (const u of users) s.identify(u, at(0, '10:00'), { churn_risk: 'high' });
    s.advanceTo(at(38));
    const picks = s.records().filter((t) => t.reason === 'random');
    const first = new Map(picks.filter((t) => t.instance.endsWith('/1')).map((t) => [t.userId, t.to]));
    const second = new Map(picks.filter((t) => t.instance.endsWith('/2')).map((t) => [t.userId, t.to]));
    expect([first.size, second.size]).toEqual([1000, 1000]);
    for (const u of users) expect([u, first.get(u), second.get(u)]).toEqual([u, armOf(bucket(`${J}:experiment:${u}`)), armOf(bucket(`${J}:experiment:${u}`))]);
    const share = (arm: string) => [...first.values()].filter((x) => x === arm).length / 1000;
    expect(Math.abs(share('email-offer') - 0.4)).toBeLessThanOrEqual(0.05);
    expect(Math.abs(share('sms-offer') - 0.4)).toBeLessThanOrEqual(0.05);
    expect(Math.abs(share('control') - 0.2)).toBeLessThanOrEqual(0.05);
    const u = users[0]!;
    const arm = armOf(bucket(`${J}:experiment:${u}`));
    expect(s.lines(u)).toEqual([
      `${u}/${J}/1 null→experiment entry ${at(0, '10:00')}`,
      `${u}/${J}/1 experiment→${arm} random ${at(0, '10:00')}`,
      `${u}/${J}/1 ${arm}→measure next ${at(0, '10:00')}`,
      `${u}/${J}/1 measure→$complete end ${at(7, '10:00')}`,
      // Re-entry 30 days after the completion, still at high risk: same branch (sticky).
      `${u}/${J}/2 null→experiment entry ${at(37, '10:00')}`,
      `${u}/${J}/2 experiment→${arm} random ${at(37, '10:00')}`,
      `${u}/${J}/2 ${arm}→measure next ${at(37, '10:00')}`,
    ]);
  });

  test('an order within 7 days converts the arm; no longer at risk 30 days later: no re-entry until the risk is high again', () => {
    const u = 'member-lea';
    const arm = armOf(bucket(`${J}:experiment:${u}`));
    const s = make();
    s.identify(u, at(0, '10:00'), { churn_risk: 'high', first_name: 'Lea' });
    s.track(u, 'Order Completed', at(3, '10:00'), { order_id: 'o-1', total: 64 });
    s.identify(u, at(20, '10:00'), { churn_risk: 'low' });
    s.advanceTo(at(45));
    s.identify(u, at(50, '10:00'), { churn_risk: 'high' });
    expect(s.lines(u)).toEqual([
      `${u}/${J}/1 null→experiment entry ${at(0, '10:00')}`,
      `${u}/${J}/1 experiment→${arm} random ${at(0, '10:00')}`,
      `${u}/${J}/1 ${arm}→measure next ${at(0, '10:00')}`,
      `${u}/${J}/1 measure→converted event ${at(3, '10:00')}`,
      `${u}/${J}/1 converted→$complete end ${at(3, '10:00')}`,
      `${u}/${J}/2 null→experiment entry ${at(50, '10:00')}`,
      `${u}/${J}/2 experiment→${arm} random ${at(50, '10:00')}`,
      `${u}/${J}/2 ${arm}→measure next ${at(50, '10:00')}`,
    ]);
    const sendTo: Record<string, string[]> = { 'email-offer': ['email', 'warehouse'], 'sms-offer': ['sms', 'warehouse'], control: ['warehouse'] };
    expect(s.record(`${u}/${J}/1`, arm).send?.to).toEqual(sendTo[arm]);
    const converted = s.record(`${u}/${J}/1`, 'converted');
    expect(converted.send).toEqual({ to: ['warehouse'], event: 'Retention Converted', traits: {} });
    expect(converted.context).toEqual({ 'Order Completed': { order_id: 'o-1', total: 64 } });
  });
});

scenarios(['l6-multi-branch', 'l6-multi-branch-exclusive'], (make) => {
  const MULTI = 'l6-multi-branch';
  const EXCL = 'l6-multi-branch-exclusive';

  test('registered and attended before the split: multi-branch enters both branches (survey sent once, at the first arrival); the fixed version only the attended one', () => {
    const s = make();
    s.track('ivy', 'Webinar Invited', at(0, '09:00'), { webinar_id: 'w-42' });
    s.track('jay', 'Webinar Invited', at(0, '09:00'), { webinar_id: 'w-42' });
    s.track('ivy', 'Registration Form Submitted', at(0, '12:00'), { webinar_id: 'w-42' });
    s.track('jay', 'Registration Form Submitted', at(0, '12:00'), { webinar_id: 'w-42' });
    s.track('ivy', 'Webinar Attended', at(1, '17:00'), { webinar_id: 'w-42', minutes: 48 });
    s.advanceTo(at(20));
    expect(of(s, 'ivy', MULTI)).toEqual([
      `ivy/${MULTI}/1 null→delay-2d entry ${at(0, '09:00')}`,
      `ivy/${MULTI}/1 delay-2d→follow-up wait ${at(2, '09:00')}`,
      // Depth first, in listed order: the forked path of the first branch runs to its end...
      `ivy/${MULTI}/1 follow-up→registered-email branch ${at(2, '09:00')}`,
      `ivy/${MULTI}/1 registered-email→webinar-survey next ${at(2, '09:00')}`,
      `ivy/${MULTI}/1 webinar-survey→$end end ${at(2, '09:00')}`,
      // ...then the waiting path takes the last branch; the survey was entered already: that path ends.
      `ivy/${MULTI}/1 follow-up→attended-email branch ${at(2, '09:00')}`,
      `ivy/${MULTI}/1 attended-email→$complete end ${at(2, '09:00')}`,
    ]);
    expect(of(s, 'ivy', EXCL)).toEqual([
      `ivy/${EXCL}/1 null→delay-2d entry ${at(0, '09:00')}`,
      `ivy/${EXCL}/1 delay-2d→follow-up wait ${at(2, '09:00')}`,
      `ivy/${EXCL}/1 follow-up→attended-email branch ${at(2, '09:00')}`,
      `ivy/${EXCL}/1 attended-email→webinar-survey next ${at(2, '09:00')}`,
      `ivy/${EXCL}/1 webinar-survey→$end end ${at(2, '09:00')}`,
      // The registration branch can never hold again for ivy: the path waits there until the exit.
      `ivy/${EXCL}/1 follow-up→$exit exit-after ${at(14, '09:00')}`,
    ]);
    // (The interleaving of different instances at one instant is free, §5: compare per journey.)
    expect(s.sends('ivy').filter((x) => x.includes(`/${MULTI}/`))).toEqual([
      `ivy/${MULTI}/1 registered-email→email`,
      `ivy/${MULTI}/1 webinar-survey→email`,
      `ivy/${MULTI}/1 attended-email→email,crm`,
    ]);
    expect(s.sends('ivy').filter((x) => x.includes(`/${EXCL}/`))).toEqual([`ivy/${EXCL}/1 attended-email→email,crm`, `ivy/${EXCL}/1 webinar-survey→email`]);
    expect(s.record(`ivy/${EXCL}/1`, '$exit').sent).toEqual(['attended-email', 'webinar-survey']);
    for (const journey of [MULTI, EXCL]) {
      expect(s.sends('jay').filter((x) => x.includes(`/${journey}/`))).toEqual([`jay/${journey}/1 registered-email→email`, `jay/${journey}/1 webinar-survey→email`]);
      expect(of(s, 'jay', journey).at(-1)).toBe(`jay/${journey}/1 follow-up→$exit exit-after ${at(14, '09:00')}`);
      expect(s.record(`jay/${journey}/1`, '$exit').sent).toEqual(['registered-email', 'webinar-survey']);
    }
  });

  test('branch conditions stay real time: registering after the split was reached, then attending, takes both in both versions', () => {
    const s = make();
    s.track('kit', 'Webinar Invited', at(0, '09:00'), { webinar_id: 'w-42' });
    s.advanceTo(at(3));
    s.track('kit', 'Registration Form Submitted', at(3, '10:00'), { webinar_id: 'w-42' });
    s.track('kit', 'Webinar Attended', at(4, '10:00'), { webinar_id: 'w-42' });
    s.advanceTo(at(20));
    for (const journey of [MULTI, EXCL]) {
      expect(of(s, 'kit', journey)).toEqual([
        `kit/${journey}/1 null→delay-2d entry ${at(0, '09:00')}`,
        `kit/${journey}/1 delay-2d→follow-up wait ${at(2, '09:00')}`,
        `kit/${journey}/1 follow-up→registered-email branch ${at(3, '10:00')}`,
        `kit/${journey}/1 registered-email→webinar-survey next ${at(3, '10:00')}`,
        `kit/${journey}/1 webinar-survey→$end end ${at(3, '10:00')}`,
        `kit/${journey}/1 follow-up→attended-email branch ${at(4, '10:00')}`,
        `kit/${journey}/1 attended-email→$complete end ${at(4, '10:00')}`,
      ]);
    }
  });
});

scenarios('l7-historical-trait', (make) => {
  const J = 'l7-historical-trait';

  test('"Part of Audience ABC" sees a trait set before the journey started; a later trait change advances then', () => {
    const s = make();
    s.identify('abe', at(0, '08:00'), { account_type: 'ABC', first_name: 'Abe' });
    s.identify('dax', at(0, '08:00'), { account_type: 'XYZ' });
    s.track('abe', 'Order Completed', at(0, '10:00'), { order_id: 'o-1' });
    s.track('cal', 'Order Completed', at(0, '10:00'), { order_id: 'o-2' });
    s.track('dax', 'Order Completed', at(0, '10:00'), { order_id: 'o-3' });
    s.advanceTo(at(2));
    s.identify('cal', at(3, '12:00'), { account_type: 'ABC' });
    s.advanceTo(at(40));
    expect(s.lines('abe')).toEqual([
      `abe/${J}/1 null→delay-1d entry ${at(0, '10:00')}`,
      `abe/${J}/1 delay-1d→part-of-abc wait ${at(1, '10:00')}`,
      `abe/${J}/1 part-of-abc→abc-offer condition ${at(1, '10:00')}`,
      `abe/${J}/1 abc-offer→$complete end ${at(1, '10:00')}`,
    ]);
    expect(s.record(`abe/${J}/1`, 'abc-offer').send).toEqual({ to: ['email', 'crm'], event: 'ABC Offer', traits: { account_type: 'ABC' } });
    expect(s.lines('cal').slice(2)).toEqual([
      `cal/${J}/1 part-of-abc→abc-offer condition ${at(3, '12:00')}`,
      `cal/${J}/1 abc-offer→$complete end ${at(3, '12:00')}`,
    ]);
    expect(s.lines('dax')).toEqual([
      `dax/${J}/1 null→delay-1d entry ${at(0, '10:00')}`,
      `dax/${J}/1 delay-1d→part-of-abc wait ${at(1, '10:00')}`,
      `dax/${J}/1 part-of-abc→$exit exit-after ${at(30, '10:00')}`,
    ]);
  });
});

scenarios('l8-ad-suppression', (make) => {
  const J = 'l8-ad-suppression';

  test('targeted at entry, converted on the goal (two ad lists); a non-converter stays targeted until the instance expires', () => {
    const s = make();
    for (const [i, time] of ['10:00', '10:05', '10:10'].entries()) {
      s.track('fin', 'Product Viewed', at(0, time), { product_id: `sku-${i}` });
      s.track('gia', 'Product Viewed', at(0, time), { product_id: `sku-${i}` });
      if (i < 2) s.track('hux', 'Product Viewed', at(0, time), { product_id: `sku-${i}` });
    }
    s.track('fin', 'Order Completed', at(2, '10:00'), { order_id: 'o-1' });
    s.advanceTo(at(400));
    expect(s.lines('fin')).toEqual([
      `fin/${J}/1 null→targeted entry ${at(0, '10:10')}`,
      `fin/${J}/1 targeted→goal-order next ${at(0, '10:10')}`,
      `fin/${J}/1 goal-order→converted condition ${at(2, '10:00')}`,
      `fin/${J}/1 converted→$complete end ${at(2, '10:00')}`,
    ]);
    expect(s.record(`fin/${J}/1`, 'targeted').send).toEqual({ to: ['ads'], event: 'Ad Audience Targeted', traits: {} });
    expect(s.record(`fin/${J}/1`, 'converted').send).toEqual({ to: ['ads', 'warehouse'], event: 'Ad Audience Converted', traits: {} });
    expect(s.lines('gia')).toEqual([
      `gia/${J}/1 null→targeted entry ${at(0, '10:10')}`,
      `gia/${J}/1 targeted→goal-order next ${at(0, '10:10')}`,
      `gia/${J}/1 goal-order→$exit expired ${at(365, '10:10')}`,
    ]);
    expect(s.record(`gia/${J}/1`, '$exit').sent).toEqual(['targeted']);
    expect(s.lines('hux')).toEqual([]);
    // The ad platform sees two lists, the boolean traits named by the step keys (segment-identify, spec §6),
    // and targets "targeted AND NOT converted"; the expiry tells it gia left the targeted list.
    const TARGETED = 'j_o_l8_ad_suppression__targeted';
    const CONVERTED = 'j_o_l8_ad_suppression__converted';
    const ads = (u: string) => s.delivered('ads', u).map((m) => [m.id, m.body.type, m.body.traits]);
    expect(ads('fin')).toEqual([
      [s.record(`fin/${J}/1`, 'targeted').id, 'identify', { [TARGETED]: true }],
      [s.record(`fin/${J}/1`, 'converted').id, 'identify', { [CONVERTED]: true }],
    ]);
    const expiry = s.record(`gia/${J}/1`, '$exit');
    expect(ads('gia')).toEqual([
      [s.record(`gia/${J}/1`, 'targeted').id, 'identify', { [TARGETED]: true }],
      [`${expiry.id}-exit`, 'identify', { [TARGETED]: false }],
    ]);
    // The warehouse (transition format) gets the converted record as is.
    expect(s.delivered('warehouse', 'fin').map((m) => m.body)).toEqual([expect.objectContaining({ to: 'converted', reason: 'condition', instance: `fin/${J}/1` })]);
  });
});
