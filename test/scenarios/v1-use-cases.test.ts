// Segment Journeys V1 (audience-based) use cases U1–U7 (reference segment-journeys.md §4.1), each on its
// journey file in topologies/. Expectations are derived from the spec by hand: condition entry on a
// false→true change (§4.1), waits and splits (§4.2), records (§5).
import { at, scenarios } from './harness';

scenarios('u1-repeat-purchase', (make) => {
  const J = 'u1-repeat-purchase';

  test('one-time purchaser: 14-day delay, still one order, Email branch → email offer; the branch keeps waiting until the exit', () => {
    const s = make();
    s.identify('ada', at(0, '10:00'), { first_name: 'Ada', email: 'ada@example.com', most_frequent_utm_source: 'Email' });
    const order = s.track('ada', 'Order Completed', at(0, '12:00'), { order_id: 'o-1', total: 42.5, currency: 'EUR' });
    s.advanceTo(at(31));
    expect(s.lines()).toEqual([
      `ada/${J}/1 null→delay-14d entry ${at(0, '12:00')}`,
      `ada/${J}/1 delay-14d→no-new-transactions wait ${at(14, '12:00')}`,
      `ada/${J}/1 no-new-transactions→utm-source condition ${at(14, '12:00')}`,
      `ada/${J}/1 utm-source→email-offer branch ${at(14, '12:00')}`,
      // The forked path ends; the path waiting at the multi-branch step is still live (§4.2), hence $end.
      `ada/${J}/1 email-offer→$end end ${at(14, '12:00')}`,
      `ada/${J}/1 utm-source→$exit exit-after ${at(30, '12:00')}`,
    ]);
    const [entry] = s.records();
    expect(entry).toMatchObject({ cause: { messageId: order, event: 'Order Completed' }, context: {} });
    const offer = s.record(`ada/${J}/1`, 'email-offer');
    expect(offer.send).toEqual({ to: ['email'], event: 'Repeat Purchase Offer', traits: { first_name: 'Ada', email: 'ada@example.com' } });
    expect(offer.cause).toBeNull();
    expect(s.record(`ada/${J}/1`, '$exit').sent).toEqual(['email-offer']);
  });

  test('a second order during the 14-day delay: the condition never holds again, no send, exit after 30 days with sent []', () => {
    const s = make();
    s.identify('bob', at(0, '09:00'), { most_frequent_utm_source: 'SMS', phone: '+15550100' });
    s.track('bob', 'Order Completed', at(0, '12:00'), { order_id: 'o-2', total: 19 });
    s.track('bob', 'Order Completed', at(3, '08:00'), { order_id: 'o-3', total: 25 });
    s.advanceTo(at(40));
    expect(s.lines()).toEqual([
      `bob/${J}/1 null→delay-14d entry ${at(0, '12:00')}`,
      `bob/${J}/1 delay-14d→no-new-transactions wait ${at(14, '12:00')}`,
      `bob/${J}/1 no-new-transactions→$exit exit-after ${at(30, '12:00')}`,
    ]);
    expect(s.sends()).toEqual([]);
    expect(s.record(`bob/${J}/1`, '$exit').sent).toEqual([]);
  });

  test('multi-branch is non-exclusive and real time: a trait computed later takes its branch then; both branches taken completes', () => {
    const s = make();
    s.identify('cy', at(0, '09:00'), { first_name: 'Cy', phone: '+15550101' });
    s.track('cy', 'Order Completed', at(0, '12:00'), { order_id: 'o-4' });
    s.advanceTo(at(15)); // at the branch since day 14, no branch true: waiting gives no record
    const emailTrait = s.identify('cy', at(16, '08:00'), { most_frequent_utm_source: 'Email' });
    s.identify('cy', at(20, '08:00'), { most_frequent_utm_source: 'SMS' });
    s.advanceTo(at(40));
    expect(s.lines()).toEqual([
      `cy/${J}/1 null→delay-14d entry ${at(0, '12:00')}`,
      `cy/${J}/1 delay-14d→no-new-transactions wait ${at(14, '12:00')}`,
      `cy/${J}/1 no-new-transactions→utm-source condition ${at(14, '12:00')}`,
      `cy/${J}/1 utm-source→email-offer branch ${at(16, '08:00')}`,
      `cy/${J}/1 email-offer→$end end ${at(16, '08:00')}`,
      // The last untaken branch is taken by the waiting path itself, which then ends the instance.
      `cy/${J}/1 utm-source→sms-offer branch ${at(20, '08:00')}`,
      `cy/${J}/1 sms-offer→$complete end ${at(20, '08:00')}`,
    ]);
    expect(s.record(`cy/${J}/1`, 'sms-offer').send).toEqual({ to: ['sms'], event: 'Repeat Purchase Offer', traits: { first_name: 'Cy', phone: '+15550101' } });
    // Moved by an identify: the cause names its messageId and no event (§5).
    expect(s.record(`cy/${J}/1`, 'email-offer').cause).toEqual({ messageId: emailTrait, event: null });
  });

  test('two orders in the same second: the first makes the entry condition true (entry), the second ends any chance of a send', () => {
    const s = make();
    s.track('dee', 'Order Completed', at(0, '10:00'), { order_id: 'o-5' });
    s.track('dee', 'Order Completed', at(0, '10:00'), { order_id: 'o-6' });
    s.advanceTo(at(40));
    expect(s.lines()).toEqual([
      `dee/${J}/1 null→delay-14d entry ${at(0, '10:00')}`,
      `dee/${J}/1 delay-14d→no-new-transactions wait ${at(14, '10:00')}`,
      `dee/${J}/1 no-new-transactions→$exit exit-after ${at(30, '10:00')}`,
    ]);
  });
});

scenarios('u2-low-recency-winback', (make) => {
  const J = 'u2-low-recency-winback';
  const ENTRY = at(180, '10:00'); // 180 days after the last order (day 0, 10:00): "0 orders within 180d" turns true

  test('high CLV: enters by time 180 days after the last order, email + ads, 1 day later a campaign click → follow-up', () => {
    const s = make();
    s.identify('bo', at(0, '09:00'), { first_name: 'Bo', customer_lifetime_value: 250 });
    s.track('bo', 'Order Completed', at(0, '10:00'), { order_id: 'o-1', total: 120 });
    s.advanceTo(at(181, '12:00'));
    const click = s.page('bo', 'Spring collection', at(181, '15:00'), { url: 'https://shop.example.com/spring', utm_campaign: 'winback', utm_source: 'email' });
    s.advanceTo(at(220));
    expect(s.lines()).toEqual([
      `bo/${J}/1 null→clv-over-100 entry ${ENTRY}`,
      `bo/${J}/1 clv-over-100→high-value-winback split ${ENTRY}`,
      `bo/${J}/1 high-value-winback→delay-1d next ${ENTRY}`,
      `bo/${J}/1 delay-1d→clicked-campaign wait ${at(181, '10:00')}`,
      `bo/${J}/1 clicked-campaign→winback-follow-up condition ${at(181, '15:00')}`,
      `bo/${J}/1 winback-follow-up→$complete end ${at(181, '15:00')}`,
    ]);
    expect(s.records()[0]!.cause).toBeNull(); // entered by the passage of time
    expect(s.record(`bo/${J}/1`, 'high-value-winback').send).toEqual({ to: ['email', 'ads'], event: 'Winback Offer', traits: { first_name: 'Bo', customer_lifetime_value: 250 } });
    const followUp = s.record(`bo/${J}/1`, 'winback-follow-up');
    expect(followUp.send).toEqual({ to: ['email'], event: 'Winback Follow Up', traits: { first_name: 'Bo' } });
    expect(followUp.cause).toEqual({ messageId: click, event: 'Page Viewed' });
  });

  test('windows are relative to now: a click in the day before the delay ends passes the condition on arrival', () => {
    const s = make();
    s.identify('cal', at(0, '09:00'), { customer_lifetime_value: 500 });
    s.track('cal', 'Order Completed', at(0, '10:00'), {});
    s.advanceTo(at(180, '12:00'));
    s.page('cal', 'Winback', at(180, '20:00'), { utm_campaign: 'winback' });
    s.advanceTo(at(200));
    expect(s.lines()).toEqual([
      `cal/${J}/1 null→clv-over-100 entry ${ENTRY}`,
      `cal/${J}/1 clv-over-100→high-value-winback split ${ENTRY}`,
      `cal/${J}/1 high-value-winback→delay-1d next ${ENTRY}`,
      `cal/${J}/1 delay-1d→clicked-campaign wait ${at(181, '10:00')}`,
      `cal/${J}/1 clicked-campaign→winback-follow-up condition ${at(181, '10:00')}`,
      `cal/${J}/1 winback-follow-up→$complete end ${at(181, '10:00')}`,
    ]);
  });

  test('no campaign click (another campaign does not count): waits until the exit, sent lists the offer', () => {
    const s = make();
    s.identify('dot', at(0, '09:00'), { customer_lifetime_value: 300 });
    s.track('dot', 'Order Completed', at(0, '10:00'), {});
    s.advanceTo(at(182));
    s.page('dot', 'Sale', at(182, '09:00'), { utm_campaign: 'spring-sale' });
    s.advanceTo(at(240));
    expect(s.lines()).toEqual([
      `dot/${J}/1 null→clv-over-100 entry ${ENTRY}`,
      `dot/${J}/1 clv-over-100→high-value-winback split ${ENTRY}`,
      `dot/${J}/1 high-value-winback→delay-1d next ${ENTRY}`,
      `dot/${J}/1 delay-1d→clicked-campaign wait ${at(181, '10:00')}`,
      `dot/${J}/1 clicked-campaign→$exit exit-after ${at(210, '10:00')}`,
    ]);
    expect(s.record(`dot/${J}/1`, '$exit').sent).toEqual(['high-value-winback']);
  });

  test('low CLV (or a CLV sent as a string: type-strict) → one standard email; a later order moves the entry; never-purchasers never enter', () => {
    const s = make();
    s.identify('eli', at(0, '09:00'), { first_name: 'Eli', customer_lifetime_value: 60 });
    s.identify('fay', at(0, '09:00'), { first_name: 'Fay', customer_lifetime_value: '250' });
    s.track('eli', 'Order Completed', at(0, '10:00'), {});
    s.track('fay', 'Order Completed', at(0, '10:00'), {});
    s.track('gus', 'Order Completed', at(0, '10:00'), {});
    s.page('hal', 'Home', at(0, '10:00'));
    s.track('gus', 'Order Completed', at(100, '10:00'), {});
    s.advanceTo(at(300));
    expect(s.lines('eli')).toEqual([
      `eli/${J}/1 null→clv-over-100 entry ${ENTRY}`,
      `eli/${J}/1 clv-over-100→standard-winback split ${ENTRY}`,
      `eli/${J}/1 standard-winback→$complete end ${ENTRY}`,
    ]);
    expect(s.record(`eli/${J}/1`, 'standard-winback').send).toEqual({ to: ['email'], event: 'Winback Offer', traits: { first_name: 'Eli' } });
    expect(s.lines('fay')[1]).toBe(`fay/${J}/1 clv-over-100→standard-winback split ${ENTRY}`);
    expect(s.lines('gus')[0]).toBe(`gus/${J}/1 null→clv-over-100 entry ${at(280, '10:00')}`);
    expect(s.lines('hal')).toEqual([]);
  });
});

scenarios('u3-trial-to-paid', (make) => {
  const J = 'u3-trial-to-paid';

  test('converted during the 5-day delay → welcome email + support; not converted → nurture with ads', () => {
    const s = make();
    s.identify('acme-admin', at(0, '08:00'), { company: 'Acme', plan: 'trial' });
    s.identify('globex-admin', at(0, '08:00'), { company: 'Globex', plan: 'trial' });
    s.track('acme-admin', 'Trial Started', at(0, '09:00'), { trial_plan: 'business', seats: 10 });
    s.track('globex-admin', 'Trial Started', at(0, '10:00'), { trial_plan: 'team', seats: 3 });
    s.track('acme-admin', 'Subscription Started', at(2, '14:00'), { plan: 'business', mrr: 490 });
    s.identify('acme-admin', at(2, '14:01'), { plan: 'business' });
    s.advanceTo(at(10));
    expect(s.lines()).toEqual([
      `acme-admin/${J}/1 null→delay-5d entry ${at(0, '09:00')}`,
      `globex-admin/${J}/1 null→delay-5d entry ${at(0, '10:00')}`,
      `acme-admin/${J}/1 delay-5d→subscribed wait ${at(5, '09:00')}`,
      `acme-admin/${J}/1 subscribed→paid-welcome split ${at(5, '09:00')}`,
      `acme-admin/${J}/1 paid-welcome→$complete end ${at(5, '09:00')}`,
      `globex-admin/${J}/1 delay-5d→subscribed wait ${at(5, '10:00')}`,
      `globex-admin/${J}/1 subscribed→trial-nurture split ${at(5, '10:00')}`,
      `globex-admin/${J}/1 trial-nurture→$complete end ${at(5, '10:00')}`,
    ]);
    expect(s.record(`acme-admin/${J}/1`, 'paid-welcome').send).toEqual({ to: ['email', 'support'], event: 'Paid Welcome', traits: { company: 'Acme', plan: 'business' } });
    expect(s.record(`globex-admin/${J}/1`, 'trial-nurture').send).toEqual({ to: ['email', 'support', 'ads'], event: 'Trial Nurture', traits: { company: 'Globex' } });
  });

  test('already subscribed before the trial: never enters; a second trial does not re-enter (once)', () => {
    const s = make();
    s.track('initech', 'Subscription Started', at(0, '08:00'), { plan: 'team' });
    s.track('initech', 'Trial Started', at(0, '09:00'), { trial_plan: 'business' });
    s.track('hooli', 'Trial Started', at(0, '09:00'), {});
    s.advanceTo(at(6));
    s.track('hooli', 'Trial Started', at(40), {});
    s.advanceTo(at(50));
    expect(s.lines('initech')).toEqual([]);
    expect(s.lines('hooli').filter((l) => l.includes(' entry '))).toEqual([`hooli/${J}/1 null→delay-5d entry ${at(0, '09:00')}`]);
  });
});

scenarios('u4-onboarding', (make) => {
  const J = 'u4-onboarding';

  test('tutorial done within the hour → onboarding (email, support, in-app); not done → the same plus ads', () => {
    const s = make();
    s.identify('kim', at(0, '09:59'), { first_name: 'Kim' });
    s.track('kim', 'Account Created', at(0, '10:00'), { signup_method: 'google' });
    s.track('lee', 'Account Created', at(0, '10:00'), { signup_method: 'email' });
    s.track('kim', 'Tutorial Completed', at(0, '10:40'), { tutorial: 'getting-started' });
    s.advanceTo(at(1));
    expect(s.lines('kim')).toEqual([
      `kim/${J}/1 null→delay-1h entry ${at(0, '10:00')}`,
      `kim/${J}/1 delay-1h→tutorial-done wait ${at(0, '11:00')}`,
      `kim/${J}/1 tutorial-done→onboarded split ${at(0, '11:00')}`,
      `kim/${J}/1 onboarded→$complete end ${at(0, '11:00')}`,
    ]);
    expect(s.lines('lee')).toEqual([
      `lee/${J}/1 null→delay-1h entry ${at(0, '10:00')}`,
      `lee/${J}/1 delay-1h→tutorial-done wait ${at(0, '11:00')}`,
      `lee/${J}/1 tutorial-done→tutorial-nudge split ${at(0, '11:00')}`,
      `lee/${J}/1 tutorial-nudge→$complete end ${at(0, '11:00')}`,
    ]);
    expect(s.record(`kim/${J}/1`, 'onboarded').send).toEqual({ to: ['email', 'support', 'inapp'], event: 'Onboarding Next Steps', traits: { first_name: 'Kim' } });
    expect(s.record(`lee/${J}/1`, 'tutorial-nudge').send).toEqual({ to: ['email', 'support', 'inapp', 'ads'], event: 'Finish The Tutorial', traits: {} });
  });

  test('a tutorial completed at the very instant the delay ends comes after it (§3): the split sees no tutorial', () => {
    const s = make();
    s.track('max', 'Account Created', at(0, '10:00'), {});
    s.track('max', 'Tutorial Completed', at(0, '11:00'), {});
    expect(s.lines()).toEqual([
      `max/${J}/1 null→delay-1h entry ${at(0, '10:00')}`,
      `max/${J}/1 delay-1h→tutorial-done wait ${at(0, '11:00')}`,
      `max/${J}/1 tutorial-done→tutorial-nudge split ${at(0, '11:00')}`,
      `max/${J}/1 tutorial-nudge→$complete end ${at(0, '11:00')}`,
    ]);
  });
});

scenarios('u5-paid-subscription', (make) => {
  const J = 'u5-paid-subscription';

  test('free trial: welcome after 1 h; upgraded within 7 days → thanks; not upgraded → upgrade offer with ads', () => {
    const s = make();
    s.identify('nia', at(0, '09:00'), { first_name: 'Nia' });
    s.track('nia', 'Subscription Started', at(0, '10:00'), { subscription_plan_type: 'free', publication: 'The Daily' });
    s.track('oz', 'Subscription Started', at(0, '10:30'), { subscription_plan_type: 'free', publication: 'The Daily' });
    s.track('nia', 'Subscription Started', at(3, '18:00'), { subscription_plan_type: 'paid', price: 9.99 });
    s.advanceTo(at(10));
    expect(s.lines('nia')).toEqual([
      `nia/${J}/1 null→delay-1h entry ${at(0, '10:00')}`,
      `nia/${J}/1 delay-1h→free-welcome wait ${at(0, '11:00')}`,
      `nia/${J}/1 free-welcome→delay-7d next ${at(0, '11:00')}`,
      `nia/${J}/1 delay-7d→upgraded wait ${at(7, '11:00')}`,
      `nia/${J}/1 upgraded→paid-thanks split ${at(7, '11:00')}`,
      `nia/${J}/1 paid-thanks→$complete end ${at(7, '11:00')}`,
    ]);
    expect(s.lines('oz')).toEqual([
      `oz/${J}/1 null→delay-1h entry ${at(0, '10:30')}`,
      `oz/${J}/1 delay-1h→free-welcome wait ${at(0, '11:30')}`,
      `oz/${J}/1 free-welcome→delay-7d next ${at(0, '11:30')}`,
      `oz/${J}/1 delay-7d→upgraded wait ${at(7, '11:30')}`,
      `oz/${J}/1 upgraded→upgrade-offer split ${at(7, '11:30')}`,
      `oz/${J}/1 upgrade-offer→$complete end ${at(7, '11:30')}`,
    ]);
    expect(s.record(`nia/${J}/1`, 'free-welcome').send).toEqual({ to: ['email'], event: 'Free Subscription Welcome', traits: { first_name: 'Nia' } });
    expect(s.record(`nia/${J}/1`, 'paid-thanks').send).toEqual({ to: ['email'], event: 'Paid Subscription Thanks', traits: { first_name: 'Nia' } });
    expect(s.record(`oz/${J}/1`, 'upgrade-offer').send).toEqual({ to: ['email', 'ads'], event: 'Upgrade Offer', traits: {} });
  });

  test('a paid subscription without a free one, or plan type "Free" (case-sensitive), does not enter', () => {
    const s = make();
    s.track('pam', 'Subscription Started', at(0, '10:00'), { subscription_plan_type: 'paid' });
    s.track('quin', 'Subscription Started', at(0, '10:00'), { subscription_plan_type: 'Free' });
    s.advanceTo(at(10));
    expect(s.lines()).toEqual([]);
  });
});

scenarios('u6-re-engagement', (make) => {
  const J = 'u6-re-engagement';
  const ENTRY = at(60, '10:00'); // 60 days after the last page view (day 0, 10:00)

  test('paid subscriber, no page view for 60 days: category branch (Engineering), later Marketing too → complete', () => {
    const s = make();
    s.identify('rae', at(0, '09:00'), { first_name: 'Rae' });
    s.page('rae', 'How we built our CI', at(0, '10:00'), { category: 'Engineering' });
    s.track('rae', 'Subscription Started', at(1, '10:00'), { subscription_plan_type: 'paid' });
    s.identify('rae', at(2, '10:00'), { user_favorite_article_category: 'Engineering' });
    s.advanceTo(at(65));
    s.identify('rae', at(70, '08:00'), { user_favorite_article_category: 'Marketing' });
    expect(s.lines()).toEqual([
      `rae/${J}/1 null→paid-subscriber entry ${ENTRY}`,
      `rae/${J}/1 paid-subscriber→favorite-category split ${ENTRY}`,
      `rae/${J}/1 favorite-category→engineering-picks branch ${ENTRY}`,
      `rae/${J}/1 engineering-picks→$end end ${ENTRY}`,
      `rae/${J}/1 favorite-category→marketing-picks branch ${at(70, '08:00')}`,
      `rae/${J}/1 marketing-picks→$complete end ${at(70, '08:00')}`,
    ]);
    expect(s.records()[0]!.cause).toBeNull();
    expect(s.record(`rae/${J}/1`, 'engineering-picks').send).toEqual({ to: ['email', 'ads'], event: 'Engineering Picks', traits: { first_name: 'Rae' } });
  });

  test('paid subscriber without a favourite category waits at the multi-branch until the exit', () => {
    const s = make();
    s.page('sal', 'Home', at(0, '10:00'));
    s.track('sal', 'Subscription Started', at(1, '10:00'), { subscription_plan_type: 'paid' });
    s.advanceTo(at(100));
    expect(s.lines()).toEqual([
      `sal/${J}/1 null→paid-subscriber entry ${ENTRY}`,
      `sal/${J}/1 paid-subscriber→favorite-category split ${ENTRY}`,
      `sal/${J}/1 favorite-category→$exit exit-after ${at(90, '10:00')}`,
    ]);
    expect(s.record(`sal/${J}/1`, '$exit').sent).toEqual([]);
  });

  test('not a paid subscriber → come-back email; a later page view moves the entry; a user who never read never enters', () => {
    const s = make();
    s.page('tom', 'Home', at(0, '10:00'));
    s.page('uma', 'Home', at(0, '10:00'));
    s.track('vic', 'Signed Up', at(0, '10:00'), {});
    s.page('uma', 'Blog', at(30, '10:00'));
    s.advanceTo(at(100));
    expect(s.lines('tom')).toEqual([
      `tom/${J}/1 null→paid-subscriber entry ${ENTRY}`,
      `tom/${J}/1 paid-subscriber→come-back split ${ENTRY}`,
      `tom/${J}/1 come-back→$complete end ${ENTRY}`,
    ]);
    expect(s.record(`tom/${J}/1`, 'come-back').send).toEqual({ to: ['email'], event: 'We Miss You', traits: {} });
    expect(s.lines('uma')[0]).toBe(`uma/${J}/1 null→paid-subscriber entry ${at(90, '10:00')}`);
    expect(s.lines('vic')).toEqual([]);
  });
});

scenarios('u7-cart-abandonment', (make) => {
  const J = 'u7-cart-abandonment';
  const cart = { cart_id: 'cart-1', product_id: 'sku-42', price: 79.0, quantity: 1 };

  test('cart abandoner: ads after 1 h; an ad click within the last day → email + ads; no click → email reminder', () => {
    const s = make();
    s.identify('wen', at(0, '09:00'), { first_name: 'Wen' });
    s.track('wen', 'Product Added', at(0, '10:00'), cart);
    s.track('xia', 'Product Added', at(0, '10:00'), { ...cart, cart_id: 'cart-2' });
    s.page('wen', 'Cart', at(1, '09:00'), { utm_source: 'facebook', utm_medium: 'paid-social' });
    s.page('xia', 'Home', at(1, '09:00'), { utm_source: 'newsletter' });
    s.advanceTo(at(3));
    expect(s.lines('wen')).toEqual([
      `wen/${J}/1 null→delay-1h entry ${at(0, '10:00')}`,
      `wen/${J}/1 delay-1h→retarget wait ${at(0, '11:00')}`,
      `wen/${J}/1 retarget→delay-1d next ${at(0, '11:00')}`,
      `wen/${J}/1 delay-1d→clicked-ad wait ${at(1, '11:00')}`,
      `wen/${J}/1 clicked-ad→ad-responder split ${at(1, '11:00')}`,
      `wen/${J}/1 ad-responder→$complete end ${at(1, '11:00')}`,
    ]);
    expect(s.lines('xia').slice(-2)).toEqual([
      `xia/${J}/1 clicked-ad→email-reminder split ${at(1, '11:00')}`,
      `xia/${J}/1 email-reminder→$complete end ${at(1, '11:00')}`,
    ]);
    expect(s.record(`wen/${J}/1`, 'retarget').send).toEqual({ to: ['ads'], event: 'Cart Abandoned', traits: {} });
    expect(s.record(`wen/${J}/1`, 'ad-responder').send).toEqual({ to: ['email', 'ads'], event: 'Cart Reminder', traits: { first_name: 'Wen' } });
    expect(s.record(`xia/${J}/1`, 'email-reminder').send).toEqual({ to: ['email'], event: 'Cart Reminder', traits: {} });
  });

  test('V1 has no exit on purchase: an order during the delay still reaches the ad step (funnel leakage)', () => {
    const s = make();
    s.track('yan', 'Product Added', at(0, '10:00'), cart);
    s.track('yan', 'Order Completed', at(0, '10:30'), { order_id: 'o-1', cart_id: 'cart-1' });
    s.advanceTo(at(3));
    expect(s.sends('yan')).toEqual([`yan/${J}/1 retarget→ads`, `yan/${J}/1 email-reminder→email`]);
  });

  test('an order in the last day keeps a cart adder out until the order leaves the 1-day window (by time)', () => {
    const s = make();
    s.track('zed', 'Order Completed', at(0, '09:00'), { order_id: 'o-2' });
    s.track('zed', 'Product Added', at(0, '10:00'), cart);
    s.advanceTo(at(1, '12:00'));
    expect(s.lines('zed').slice(0, 1)).toEqual([`zed/${J}/1 null→delay-1h entry ${at(1, '09:00')}`]);
    expect(s.records('zed')[0]!.cause).toBeNull();
  });
});

// Engage Premier channel use cases U8–U12 (reference §4.2).

scenarios('u8-loyalty-email', (make) => {
  const J = 'u8-loyalty-email';

  test('3 orders above 100 within 30 days enter; 7 days later refunders get the survey, the others the 35OFF promo', () => {
    const s = make();
    s.identify('lou', at(0, '09:00'), { first_name: 'Lou' });
    s.track('lou', 'Order Completed', at(0, '10:00'), { order_id: 'o-1', price: 150 });
    s.track('max', 'Order Completed', at(0, '10:00'), { order_id: 'o-2', price: 200 });
    s.track('max', 'Order Completed', at(1, '10:00'), { order_id: 'o-3', price: 200 });
    s.track('max', 'Order Completed', at(2, '10:00'), { order_id: 'o-4', price: 200 });
    s.track('lou', 'Order Completed', at(5, '10:00'), { order_id: 'o-5', price: 90 }); // not above 100
    s.track('lou', 'Order Completed', at(6, '10:00'), { order_id: 'o-6', price: 120 });
    s.track('max', 'Order Refunded', at(5, '12:00'), { order_id: 'o-3' });
    s.track('lou', 'Order Completed', at(10, '10:00'), { order_id: 'o-7', price: 101 });
    s.advanceTo(at(30));
    expect(s.lines('lou')).toEqual([
      `lou/${J}/1 null→delay-7d entry ${at(10, '10:00')}`,
      `lou/${J}/1 delay-7d→refunded wait ${at(17, '10:00')}`,
      `lou/${J}/1 refunded→promo-35off split ${at(17, '10:00')}`,
      `lou/${J}/1 promo-35off→$complete end ${at(17, '10:00')}`,
    ]);
    expect(s.record(`lou/${J}/1`, 'promo-35off').send).toEqual({ to: ['email'], event: 'Loyalty Promo 35OFF', traits: { first_name: 'Lou' } });
    expect(s.lines('max')).toEqual([
      `max/${J}/1 null→delay-7d entry ${at(2, '10:00')}`,
      `max/${J}/1 delay-7d→refunded wait ${at(9, '10:00')}`,
      `max/${J}/1 refunded→refund-survey split ${at(9, '10:00')}`,
      `max/${J}/1 refund-survey→$complete end ${at(9, '10:00')}`,
    ]);
  });

  test('three big orders spread over more than 30 days never enter', () => {
    const s = make();
    for (const day of [0, 20, 40]) s.track('ned', 'Order Completed', at(day, '10:00'), { price: 150 });
    s.advanceTo(at(80));
    expect(s.lines()).toEqual([]);
  });
});

scenarios('u9-cart-abandonment-by-channel', (make) => {
  const J = 'u9-cart-abandonment-by-channel';

  test('both opt-ins: email and SMS reminders (non-exclusive); the "no opt-in" branch never holds, so the path waits until the exit', () => {
    const s = make();
    s.identify('ola', at(0, '09:00'), { first_name: 'Ola', email_opt_in: true, sms_opt_in: true });
    s.track('ola', 'Product Added', at(0, '10:00'), { product_id: 'sku-1', cart_id: 'c-1' });
    s.advanceTo(at(10));
    expect(s.lines()).toEqual([
      `ola/${J}/1 null→delay-4h entry ${at(0, '10:00')}`,
      `ola/${J}/1 delay-4h→purchased wait ${at(0, '14:00')}`,
      `ola/${J}/1 purchased→channel split ${at(0, '14:00')}`,
      `ola/${J}/1 channel→email-reminder branch ${at(0, '14:00')}`,
      `ola/${J}/1 email-reminder→$end end ${at(0, '14:00')}`,
      `ola/${J}/1 channel→sms-reminder branch ${at(0, '14:00')}`,
      `ola/${J}/1 sms-reminder→$end end ${at(0, '14:00')}`,
      `ola/${J}/1 channel→$exit exit-after ${at(7, '10:00')}`,
    ]);
    expect(s.record(`ola/${J}/1`, '$exit').sent).toEqual(['email-reminder', 'sms-reminder']);
    expect(s.record(`ola/${J}/1`, 'sms-reminder').send).toEqual({ to: ['sms'], event: 'Cart Reminder', traits: { first_name: 'Ola' } });
  });

  test('no opt-in → ad audience; an email opt-in given later takes the email branch then; a buyer ends at the split', () => {
    const s = make();
    s.track('pip', 'Product Added', at(0, '10:00'), { product_id: 'sku-2' });
    s.track('quo', 'Product Added', at(0, '10:00'), { product_id: 'sku-3' });
    s.track('quo', 'Order Completed', at(0, '12:00'), { order_id: 'o-1' });
    s.advanceTo(at(2));
    s.identify('pip', at(2, '09:00'), { email_opt_in: true });
    s.advanceTo(at(10));
    expect(s.lines('pip')).toEqual([
      `pip/${J}/1 null→delay-4h entry ${at(0, '10:00')}`,
      `pip/${J}/1 delay-4h→purchased wait ${at(0, '14:00')}`,
      `pip/${J}/1 purchased→channel split ${at(0, '14:00')}`,
      `pip/${J}/1 channel→ads-reminder branch ${at(0, '14:00')}`,
      `pip/${J}/1 ads-reminder→$end end ${at(0, '14:00')}`,
      `pip/${J}/1 channel→email-reminder branch ${at(2, '09:00')}`,
      `pip/${J}/1 email-reminder→$end end ${at(2, '09:00')}`,
      `pip/${J}/1 channel→$exit exit-after ${at(7, '10:00')}`,
    ]);
    expect(s.record(`pip/${J}/1`, '$exit').sent).toEqual(['ads-reminder', 'email-reminder']);
    expect(s.lines('quo')).toEqual([
      `quo/${J}/1 null→delay-4h entry ${at(0, '10:00')}`,
      `quo/${J}/1 delay-4h→purchased wait ${at(0, '14:00')}`,
      `quo/${J}/1 purchased→$complete end ${at(0, '14:00')}`,
    ]);
  });
});

scenarios('u10-resort-onboarding', (make) => {
  const J = 'u10-resort-onboarding';

  test('a site visit adds to ads at once, the offer after 2 days, then amenities for bookers and an SMS tour invite for the others', () => {
    const s = make();
    s.identify('rex', at(0, '09:00'), { first_name: 'Rex' });
    s.identify('sam', at(0, '09:00'), { phone: '+15550142' });
    s.page('rex', 'Resort home', at(0, '10:00'), { url: 'https://resort.example.com/' });
    s.page('sam', 'Resort home', at(0, '10:00'), { url: 'https://resort.example.com/' });
    s.track('rex', 'Order Completed', at(5, '12:00'), { order_id: 'stay-1', promo_discount: 'NORESORTFEE' });
    s.page('rex', 'Spa', at(6, '12:00')); // already entered: once
    s.advanceTo(at(20));
    expect(s.lines('rex')).toEqual([
      `rex/${J}/1 null→resort-ads entry ${at(0, '10:00')}`,
      `rex/${J}/1 resort-ads→delay-2d next ${at(0, '10:00')}`,
      `rex/${J}/1 delay-2d→exclusive-offer wait ${at(2, '10:00')}`,
      `rex/${J}/1 exclusive-offer→delay-7d next ${at(2, '10:00')}`,
      `rex/${J}/1 delay-7d→booked wait ${at(9, '10:00')}`,
      `rex/${J}/1 booked→amenities-email split ${at(9, '10:00')}`,
      `rex/${J}/1 amenities-email→$complete end ${at(9, '10:00')}`,
    ]);
    expect(s.records('rex')[0]!.send).toEqual({ to: ['ads'], event: 'Resort Visitor', traits: {} });
    expect(s.record(`rex/${J}/1`, 'exclusive-offer').send).toEqual({ to: ['email'], event: 'Exclusive Offer NORESORTFEE', traits: { first_name: 'Rex' } });
    expect(s.lines('sam').slice(-2)).toEqual([
      `sam/${J}/1 booked→tour-invite split ${at(9, '10:00')}`,
      `sam/${J}/1 tour-invite→$complete end ${at(9, '10:00')}`,
    ]);
    expect(s.record(`sam/${J}/1`, 'tour-invite').send).toEqual({ to: ['sms'], event: 'Resort Tour Invite', traits: { phone: '+15550142' } });
  });
});

scenarios('u11-low-recency-customers', (make) => {
  const J = 'u11-low-recency-customers';

  test('180 days without a purchase: re-engagement email; a purchase within 7 days → SMS survey, else SMS discount', () => {
    const s = make();
    s.identify('tia', at(0, '09:00'), { first_name: 'Tia', most_common_purchase_category: 'outdoor' });
    s.track('tia', 'Item Purchased', at(0, '10:00'), { sku: 'tent-2p' });
    s.track('uli', 'Item Purchased', at(0, '10:00'), { sku: 'mug' });
    s.advanceTo(at(182));
    s.track('tia', 'Item Purchased', at(183, '10:00'), { sku: 'stove' });
    s.advanceTo(at(200));
    expect(s.lines('tia')).toEqual([
      `tia/${J}/1 null→re-engagement-email entry ${at(180, '10:00')}`,
      `tia/${J}/1 re-engagement-email→delay-7d next ${at(180, '10:00')}`,
      `tia/${J}/1 delay-7d→purchased-again wait ${at(187, '10:00')}`,
      `tia/${J}/1 purchased-again→sms-survey split ${at(187, '10:00')}`,
      `tia/${J}/1 sms-survey→$complete end ${at(187, '10:00')}`,
    ]);
    expect(s.records('tia')[0]!.send).toEqual({
      to: ['email'], event: 'Send Re-engagement Email', traits: { first_name: 'Tia', most_common_purchase_category: 'outdoor' },
    });
    expect(s.lines('uli').slice(-2)).toEqual([
      `uli/${J}/1 purchased-again→sms-discount split ${at(187, '10:00')}`,
      `uli/${J}/1 sms-discount→$complete end ${at(187, '10:00')}`,
    ]);
  });
});

scenarios('u12-newsletter', (make) => {
  const J = 'u12-newsletter';

  test('joining the Newsletter Opt-in audience (boolean trait newsletter_opt_in) sends the newsletter once; "true" as a string is not membership', () => {
    const s = make();
    const joined = s.identify('vi', at(0, '10:00'), { newsletter_opt_in: true, first_name: 'Vi', email: 'vi@example.com' });
    s.identify('wes', at(0, '10:00'), { newsletter_opt_in: 'true' });
    s.identify('vi', at(3, '10:00'), { newsletter_opt_in: false });
    s.identify('vi', at(5, '10:00'), { newsletter_opt_in: true });
    expect(s.lines()).toEqual([
      `vi/${J}/1 null→newsletter entry ${at(0, '10:00')}`,
      `vi/${J}/1 newsletter→$complete end ${at(0, '10:00')}`,
    ]);
    expect(s.records()[0]).toMatchObject({
      cause: { messageId: joined, event: null },
      send: { to: ['email'], event: 'Newsletter', traits: { first_name: 'Vi', email: 'vi@example.com' } },
    });
  });
});
