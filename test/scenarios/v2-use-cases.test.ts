// Segment Event-Triggered Journeys (V2) use cases E2–E6 and E9–E11 (reference segment-journeys.md §4.4),
// each on its journey file in topologies/. Expectations are derived from the spec by hand: event entry
// and keys (§4.1), waitFor with restart and alias (§4.2), context (§4.4), the bucket rule (§4.5),
// records (§5).
import { at, bucket, scenarios } from './harness';

scenarios('e2-application-abandonment', (make) => {
  const J = 'e2-application-abandonment';

  test('one instance per Application_id; completing app-1 ends only app-1 (no nudge); app-2 is nudged after the hold', () => {
    const s = make();
    s.identify('cy', at(0, '09:00'), { first_name: 'Cy', email: 'cy@example.com' });
    s.track('cy', 'Application_Started', at(0, '10:00'), { Application_id: 'app-1', product: 'mortgage' });
    s.track('cy', 'Application_Started', at(0, '10:05'), { Application_id: 'app-2', product: 'credit-card' });
    s.track('cy', 'Application_Started', at(0, '10:10'), { Application_id: 'app-1', product: 'mortgage' }); // key live: ignored
    s.track('cy', 'Application_Completed', at(0, '12:00'), { product: 'mortgage' }); // no Application_id: matches nothing
    const done = s.track('cy', 'Application_Completed', at(0, '15:00'), { Application_id: 'app-1' });
    s.advanceTo(at(1, '12:00'));
    s.track('cy', 'Application_Started', at(2, '09:00'), { Application_id: 'app-1', product: 'mortgage' }); // re-entry every time
    expect(s.lines()).toEqual([
      `cy/${J}/1 null→hold-for-completion entry ${at(0, '10:00')}`,
      `cy/${J}/2 null→hold-for-completion entry ${at(0, '10:05')}`,
      `cy/${J}/1 hold-for-completion→$complete end ${at(0, '15:00')}`,
      `cy/${J}/2 hold-for-completion→nudge timeout ${at(1, '10:05')}`,
      `cy/${J}/2 nudge→$complete end ${at(1, '10:05')}`,
      `cy/${J}/3 null→hold-for-completion entry ${at(2, '09:00')}`,
    ]);
    expect(s.record(`cy/${J}/1`, '$complete').cause).toEqual({ messageId: done, event: 'Application_Completed' });
    const nudge = s.record(`cy/${J}/2`, 'nudge');
    expect(nudge.send).toEqual({ to: ['email'], event: 'Application Abandoned', traits: { first_name: 'Cy' } });
    expect(nudge.context).toEqual({ Application_Started: { Application_id: 'app-2', product: 'credit-card' } });
    expect(nudge.cause).toBeNull();
  });

  test('keys are type-strict: a completion with Application_id 7 (number) does not complete the instance of "7"', () => {
    const s = make();
    s.track('di', 'Application_Started', at(0, '10:00'), { Application_id: '7' });
    s.track('di', 'Application_Completed', at(0, '11:00'), { Application_id: 7 });
    s.advanceTo(at(2));
    expect(s.sends()).toEqual([`di/${J}/1 nudge→email`]);
  });
});

scenarios('e3-cart-viewed-abandonment', (make) => {
  const J = 'e3-cart-viewed-abandonment';
  const checkoutCart = [
    { productId: 'sku-1', name: 'Trail shoe', price: 89, quantity: 1 },
    { productId: 'sku-7', name: 'Running socks', price: 19, quantity: 2 },
  ];

  test('no checkout within 1 h → reminder carrying checkout_cart from the context; checkout within the hour → nothing', () => {
    const s = make();
    s.identify('ana', at(0, '09:00'), { first_name: 'Ana', email: 'ana@example.com' });
    s.track('ana', 'Cart_Viewed', at(0, '10:00'), { cart_id: 'c-1', checkout_cart: checkoutCart, cart_total: 127 });
    s.track('ben', 'Cart_Viewed', at(0, '10:00'), { cart_id: 'c-2', checkout_cart: [checkoutCart[0]!], cart_total: 89 });
    s.track('ana', 'Cart_Viewed', at(0, '10:20'), { cart_id: 'c-1', checkout_cart: [], cart_total: 0 }); // no key: one live instance per user
    s.track('ben', 'Checkout_Completed', at(0, '10:45'), { order_id: 'o-1', cart_id: 'c-2' });
    s.advanceTo(at(1));
    expect(s.lines('ana')).toEqual([
      `ana/${J}/1 null→hold-for-checkout entry ${at(0, '10:00')}`,
      `ana/${J}/1 hold-for-checkout→cart-reminder timeout ${at(0, '11:00')}`,
      `ana/${J}/1 cart-reminder→$complete end ${at(0, '11:00')}`,
    ]);
    const reminder = s.record(`ana/${J}/1`, 'cart-reminder');
    expect(reminder.send).toEqual({ to: ['email'], event: 'Cart Reminder', traits: { first_name: 'Ana', email: 'ana@example.com' } });
    expect(reminder.context).toEqual({ Cart_Viewed: { cart_id: 'c-1', checkout_cart: checkoutCart, cart_total: 127 } });
    expect(s.lines('ben')).toEqual([
      `ben/${J}/1 null→hold-for-checkout entry ${at(0, '10:00')}`,
      `ben/${J}/1 hold-for-checkout→$complete end ${at(0, '10:45')}`,
    ]);
  });

  test('a checkout at the very instant of the timeout comes after it (§3): the reminder is sent', () => {
    const s = make();
    s.track('cai', 'Cart_Viewed', at(0, '10:00'), { checkout_cart: checkoutCart });
    s.track('cai', 'Checkout_Completed', at(0, '11:00'), { order_id: 'o-2' });
    expect(s.lines()).toEqual([
      `cai/${J}/1 null→hold-for-checkout entry ${at(0, '10:00')}`,
      `cai/${J}/1 hold-for-checkout→cart-reminder timeout ${at(0, '11:00')}`,
      `cai/${J}/1 cart-reminder→$complete end ${at(0, '11:00')}`,
    ]);
  });
});

scenarios('e4-cart-loop-back', (make) => {
  const J = 'e4-cart-loop-back';

  test('each Cart_Modified restarts the 2 h hold; the nudge shows the latest cart; another cart keeps its own timer', () => {
    const s = make();
    s.identify('ida', at(0, '09:00'), { first_name: 'Ida' });
    s.track('ida', 'Product_Added', at(0, '10:00'), { cart_ID: 'cart-9', productId: 'sku-1', checkout_cart: ['sku-1'] });
    s.track('ida', 'Product_Added', at(0, '10:30'), { cart_ID: 'cart-10', productId: 'sku-5', checkout_cart: ['sku-5'] });
    const m1 = s.track('ida', 'Cart_Modified', at(0, '11:00'), { cart_ID: 'cart-9', checkout_cart: ['sku-1', 'sku-2'] });
    const m2 = s.track('ida', 'Cart_Modified', at(0, '12:30'), { cart_ID: 'cart-9', checkout_cart: ['sku-2'] });
    s.track('ida', 'Cart_Modified', at(0, '13:00'), { cart_ID: 'cart-77', checkout_cart: [] }); // no instance for that cart
    s.track('ida', 'Product_Added', at(0, '13:30'), { cart_ID: 'cart-9', productId: 'sku-3' }); // key live: no new instance
    s.advanceTo(at(1));
    expect(s.lines().filter((l) => l.startsWith(`ida/${J}/1 `))).toEqual([
      `ida/${J}/1 null→hold entry ${at(0, '10:00')}`,
      `ida/${J}/1 hold→hold restart ${at(0, '11:00')}`,
      `ida/${J}/1 hold→hold restart ${at(0, '12:30')}`,
      `ida/${J}/1 hold→abandonment-nudge timeout ${at(0, '14:30')}`,
      `ida/${J}/1 abandonment-nudge→$complete end ${at(0, '14:30')}`,
    ]);
    expect(s.lines().filter((l) => l.startsWith(`ida/${J}/2 `))).toEqual([
      `ida/${J}/2 null→hold entry ${at(0, '10:30')}`,
      `ida/${J}/2 hold→abandonment-nudge timeout ${at(0, '12:30')}`,
      `ida/${J}/2 abandonment-nudge→$complete end ${at(0, '12:30')}`,
    ]);
    expect(s.lines().filter((l) => l.includes(' entry '))).toHaveLength(2);
    const restarts = s.records().filter((t) => t.reason === 'restart');
    expect(restarts.map((t) => t.cause?.messageId)).toEqual([m1, m2]);
    expect(restarts[0]!.context.Cart_Modified).toEqual({ cart_ID: 'cart-9', checkout_cart: ['sku-1', 'sku-2'] });
    const nudge = s.record(`ida/${J}/1`, 'abandonment-nudge');
    expect(nudge.send).toEqual({ to: ['email', 'warehouse'], event: 'Cart Abandonment Nudge', traits: { first_name: 'Ida' } });
    expect(nudge.context).toEqual({
      Product_Added: { cart_ID: 'cart-9', productId: 'sku-1', checkout_cart: ['sku-1'] },
      Cart_Modified: { cart_ID: 'cart-9', checkout_cart: ['sku-2'] },
    });
  });

  test('Order_Confirmation for the cart completes the journey: no nudge', () => {
    const s = make();
    s.track('jo', 'Product_Added', at(0, '10:00'), { cart_ID: 'cart-5', productId: 'sku-9' });
    s.track('jo', 'Cart_Modified', at(0, '11:00'), { cart_ID: 'cart-5', checkout_cart: ['sku-9', 'sku-8'] });
    s.track('jo', 'Order_Confirmation', at(0, '12:00'), { cart_ID: 'cart-5', order_id: 'o-55', revenue: 120 });
    s.advanceTo(at(1));
    expect(s.lines()).toEqual([
      `jo/${J}/1 null→hold entry ${at(0, '10:00')}`,
      `jo/${J}/1 hold→hold restart ${at(0, '11:00')}`,
      `jo/${J}/1 hold→$complete end ${at(0, '12:00')}`,
    ]);
    expect(s.record(`jo/${J}/1`, '$complete').context.Order_Confirmation).toEqual({ cart_ID: 'cart-5', order_id: 'o-55', revenue: 120 });
  });
});

scenarios('e5-browse-abandonment', (make) => {
  const J = 'e5-browse-abandonment';

  test('two 1 h holds for Product_Added of the same session; a product added in either ends the instance without a send', () => {
    const s = make();
    s.track('kai', 'Viewed_Product', at(0, '10:00'), { session_ID: 's-1', product_id: 'sku-3' });
    s.track('lu', 'Viewed_Product', at(0, '10:00'), { session_ID: 's-2', product_id: 'sku-4' });
    s.track('mo', 'Viewed_Product', at(0, '10:00'), { session_ID: 's-3', product_id: 'sku-5' });
    s.track('mo', 'Product_Added', at(0, '10:15'), { session_ID: 's-3', product_id: 'sku-5' });
    s.track('lu', 'Product_Added', at(0, '10:30'), { session_ID: 's-other', product_id: 'sku-4' }); // another session
    s.track('lu', 'Viewed_Product', at(0, '10:40'), { session_ID: 's-2', product_id: 'sku-6' }); // same session: ignored
    s.track('kai', 'Product_Added', at(0, '11:30'), { session_ID: 's-1', product_id: 'sku-3' });
    s.advanceTo(at(1));
    expect(s.lines('kai')).toEqual([
      `kai/${J}/1 null→first-hold entry ${at(0, '10:00')}`,
      `kai/${J}/1 first-hold→second-hold timeout ${at(0, '11:00')}`,
      `kai/${J}/1 second-hold→$complete end ${at(0, '11:30')}`,
    ]);
    expect(s.lines('mo')).toEqual([
      `mo/${J}/1 null→first-hold entry ${at(0, '10:00')}`,
      `mo/${J}/1 first-hold→$complete end ${at(0, '10:15')}`,
    ]);
    expect(s.lines('lu')).toEqual([
      `lu/${J}/1 null→first-hold entry ${at(0, '10:00')}`,
      `lu/${J}/1 first-hold→second-hold timeout ${at(0, '11:00')}`,
      `lu/${J}/1 second-hold→browse-reminder timeout ${at(0, '12:00')}`,
      `lu/${J}/1 browse-reminder→$complete end ${at(0, '12:00')}`,
    ]);
    const reminder = s.record(`lu/${J}/1`, 'browse-reminder');
    expect(reminder.send).toEqual({ to: ['email', 'inapp'], event: 'Still Interested', traits: {} });
    expect(reminder.context).toEqual({ Viewed_Product: { session_ID: 's-2', product_id: 'sku-4' } });
    expect(s.sends()).toEqual([`lu/${J}/1 browse-reminder→email,inapp`]);
  });
});

scenarios('e6-trial-re-engagement', (make) => {
  const J = 'e6-trial-re-engagement';

  test('no Trial_Ended → reminder 1 after 3 days, reminder 2 after 3 more; Trial_Ended after reminder 1 stops reminder 2', () => {
    const s = make();
    s.identify('ned', at(0, '08:00'), { first_name: 'Ned' });
    s.track('ned', 'Trial_Started', at(0, '09:00'), { Account_ID: 'acct-1', plan: 'pro-trial' });
    s.track('ola', 'Trial_Started', at(0, '09:00'), { Account_ID: 'acct-2', plan: 'pro-trial' });
    s.track('pia', 'Trial_Started', at(0, '09:00'), { Account_ID: 'acct-3', plan: 'pro-trial' });
    s.track('pia', 'Trial_Ended', at(1, '09:00'), { Account_ID: 'acct-3', converted: true });
    s.track('ola', 'Trial_Ended', at(4, '12:00'), { Account_ID: 'acct-x' }); // another account: no effect
    s.track('ola', 'Trial_Ended', at(4, '12:30'), { Account_ID: 'acct-2', converted: false });
    s.advanceTo(at(10));
    expect(s.lines('ned')).toEqual([
      `ned/${J}/1 null→hold-1 entry ${at(0, '09:00')}`,
      `ned/${J}/1 hold-1→reminder-1 timeout ${at(3, '09:00')}`,
      `ned/${J}/1 reminder-1→hold-2 next ${at(3, '09:00')}`,
      `ned/${J}/1 hold-2→reminder-2 timeout ${at(6, '09:00')}`,
      `ned/${J}/1 reminder-2→$complete end ${at(6, '09:00')}`,
    ]);
    expect(s.record(`ned/${J}/1`, 'reminder-1').send).toEqual({ to: ['email'], event: 'Trial Reminder 1', traits: { first_name: 'Ned' } });
    expect(s.record(`ned/${J}/1`, 'reminder-2').send).toEqual({ to: ['email', 'inapp'], event: 'Trial Reminder 2', traits: { first_name: 'Ned' } });
    expect(s.lines('ola')).toEqual([
      `ola/${J}/1 null→hold-1 entry ${at(0, '09:00')}`,
      `ola/${J}/1 hold-1→reminder-1 timeout ${at(3, '09:00')}`,
      `ola/${J}/1 reminder-1→hold-2 next ${at(3, '09:00')}`,
      `ola/${J}/1 hold-2→$complete end ${at(4, '12:30')}`,
    ]);
    expect(s.lines('pia')).toEqual([
      `pia/${J}/1 null→hold-1 entry ${at(0, '09:00')}`,
      `pia/${J}/1 hold-1→$complete end ${at(1, '09:00')}`,
    ]);
  });
});

scenarios('e9-hold-until-aliasing', (make) => {
  const J = 'e9-hold-until-aliasing';
  const ALIAS = 'Cart_Modified - user updates cart';

  test('trigger + 4 more modifications: 4 restarts; the payload has the trigger and the aliased latest snapshot', () => {
    const s = make();
    s.identify('ria', at(0, '09:00'), { first_name: 'Ria' });
    s.track('ria', 'Cart_Modified', at(0, '10:00'), { cart_id: 'c-1', items: 1, cart_total: 20 });
    s.track('ria', 'Cart_Modified', at(0, '10:10'), { cart_id: 'c-1', items: 2, cart_total: 40 });
    s.track('ria', 'Cart_Modified', at(0, '10:15'), { cart_id: 'c-2', items: 1, cart_total: 15 }); // another cart: its own instance
    s.track('ria', 'Cart_Modified', at(0, '10:20'), { cart_id: 'c-1', items: 3, cart_total: 60 });
    s.track('ria', 'Cart_Modified', at(0, '10:30'), { cart_id: 'c-1', items: 4, cart_total: 80 });
    s.track('ria', 'Cart_Modified', at(0, '10:40'), { cart_id: 'c-1', items: 5, cart_total: 100 });
    s.advanceTo(at(1));
    expect(s.lines().filter((l) => l.startsWith(`ria/${J}/1 `))).toEqual([
      `ria/${J}/1 null→user-updates-cart entry ${at(0, '10:00')}`,
      `ria/${J}/1 user-updates-cart→user-updates-cart restart ${at(0, '10:10')}`,
      `ria/${J}/1 user-updates-cart→user-updates-cart restart ${at(0, '10:20')}`,
      `ria/${J}/1 user-updates-cart→user-updates-cart restart ${at(0, '10:30')}`,
      `ria/${J}/1 user-updates-cart→user-updates-cart restart ${at(0, '10:40')}`,
      `ria/${J}/1 user-updates-cart→cart-reminder timeout ${at(0, '11:40')}`,
      `ria/${J}/1 cart-reminder→$complete end ${at(0, '11:40')}`,
    ]);
    const reminder = s.record(`ria/${J}/1`, 'cart-reminder');
    expect(reminder.context).toEqual({
      Cart_Modified: { cart_id: 'c-1', items: 1, cart_total: 20 },
      [ALIAS]: { cart_id: 'c-1', items: 5, cart_total: 100 },
    });
    expect(reminder.send).toEqual({ to: ['email'], event: 'Cart Reminder', traits: { first_name: 'Ria' } });
    expect(s.lines().filter((l) => l.startsWith(`ria/${J}/2 `))).toEqual([
      `ria/${J}/2 null→user-updates-cart entry ${at(0, '10:15')}`,
      `ria/${J}/2 user-updates-cart→cart-reminder timeout ${at(0, '11:15')}`,
      `ria/${J}/2 cart-reminder→$complete end ${at(0, '11:15')}`,
    ]);
    expect(s.record(`ria/${J}/2`, 'cart-reminder').context).toEqual({ Cart_Modified: { cart_id: 'c-2', items: 1, cart_total: 15 } });
  });
});

scenarios('e10-data-split', (make) => {
  const J = 'e10-data-split';
  const route = (s: ReturnType<typeof make>, userId: string): string[] =>
    s.records(userId).filter((t) => t.reason === 'split').map((t) => t.to);

  test('first match in the configured order: context total > 100, then subscription status, VIP, personalisation, else default', () => {
    const s = make();
    s.identify('a', at(0, '09:00'), { email_subscription_status: 'subscribed', loyalty_tier: 'platinum' });
    s.identify('b', at(0, '09:00'), { email_subscription_status: 'unsubscribed' });
    s.identify('c', at(0, '09:00'), { loyalty_tier: 'platinum' });
    s.identify('e', at(0, '09:00'), { favorite_color: 'teal', first_name: 'Eve' });
    s.identify('f', at(0, '09:00'), { first_name: 'Fay' });
    for (const [user, total] of [['a', 150], ['b', 40], ['c', 40], ['e', 99], ['f', 100], ['g', '150']] as const) {
      s.track(user, 'Transaction_Completed', at(0, '10:00'), { transaction_id: `t-${user}`, transaction_total: total });
    }
    expect(route(s, 'a')).toEqual(['high-value']);
    expect(route(s, 'b')).toEqual(['existing-customer']);
    expect(route(s, 'c')).toEqual(['vip-path']);
    expect(route(s, 'e')).toEqual(['personalized']);
    expect(route(s, 'f')).toEqual(['everyone-else']); // 100 is not above 100; first_name without favorite_color
    expect(route(s, 'g')).toEqual(['everyone-else']); // "150" is a string: gt compares numbers only
    expect(s.lines('a')).toEqual([
      `a/${J}/1 null→route entry ${at(0, '10:00')}`,
      `a/${J}/1 route→high-value split ${at(0, '10:00')}`,
      `a/${J}/1 high-value→$complete end ${at(0, '10:00')}`,
    ]);
    expect(s.record(`a/${J}/1`, 'high-value').send).toEqual({ to: ['email', 'crm'], event: 'High Value Thank You', traits: {} });
    expect(s.record(`c/${J}/1`, 'vip-path').send).toEqual({ to: ['email', 'crm'], event: 'VIP Message', traits: { loyalty_tier: 'platinum' } });
    expect(s.record(`e/${J}/1`, 'personalized').send).toEqual({ to: ['email'], event: 'Personalized Message', traits: { first_name: 'Eve', favorite_color: 'teal' } });
    expect(s.record(`g/${J}/1`, 'everyone-else').send).toEqual({ to: ['email'], event: 'Default Message', traits: {} });
  });

  test('the VIP audience by behaviour: the 5th transaction within 90 days (the trigger itself counts) takes the VIP path', () => {
    const s = make();
    for (const day of [0, 10, 20, 30, 40]) s.track('d', 'Transaction_Completed', at(day, '10:00'), { transaction_total: 20 });
    expect(route(s, 'd')).toEqual(['everyone-else', 'everyone-else', 'everyone-else', 'everyone-else', 'vip-path']);
    expect(s.record(`d/${J}/5`, 'vip-path').send).toEqual({ to: ['email', 'crm'], event: 'VIP Message', traits: {} });
  });
});

scenarios('e11-randomized-split', (make) => {
  const J = 'e11-randomized-split';
  const branchOf = (b: number): string => (b < 40 ? 'email-welcome' : b < 80 ? 'sms-welcome' : 'control');
  const users = Array.from({ length: 1000 }, (_, i) => `user-${String(i).padStart(4, '0')}`);

  test('1,000 sign-ups: each branch follows the bucket rule (sticky: false adds the entrySeq); shares within 5 points of 40/40/20', () => {
    const s = make();
    for (const u of users) s.track(u, 'Signed_Up', at(0, '10:00'), { signup_source: 'web', plan: 'free' });
    const chosen = new Map(s.records().filter((t) => t.reason === 'random').map((t) => [t.userId, t.to]));
    expect(chosen.size).toBe(1000);
    for (const u of users) expect([u, chosen.get(u)]).toEqual([u, branchOf(bucket(`${J}:channel-test:${u}:1`))]);
    const share = (to: string) => [...chosen.values()].filter((x) => x === to).length / 1000;
    expect(Math.abs(share('email-welcome') - 0.4)).toBeLessThanOrEqual(0.05);
    expect(Math.abs(share('sms-welcome') - 0.4)).toBeLessThanOrEqual(0.05);
    expect(Math.abs(share('control') - 0.2)).toBeLessThanOrEqual(0.05);
    // Every instance: entry → random → $complete at once, the arm's send on the random record.
    for (const u of users.slice(0, 20)) {
      const arm = branchOf(bucket(`${J}:channel-test:${u}:1`));
      expect(s.lines(u)).toEqual([
        `${u}/${J}/1 null→channel-test entry ${at(0, '10:00')}`,
        `${u}/${J}/1 channel-test→${arm} random ${at(0, '10:00')}`,
        `${u}/${J}/1 ${arm}→$complete end ${at(0, '10:00')}`,
      ]);
    }
    const sendOf = (arm: string) => s.records().find((t) => t.to === arm)!.send;
    expect(sendOf('email-welcome')).toMatchObject({ to: ['email', 'warehouse'], event: 'Welcome' });
    expect(sendOf('sms-welcome')).toMatchObject({ to: ['sms', 'warehouse'], event: 'Welcome' });
    expect(sendOf('control')).toEqual({ to: ['warehouse'], event: 'Welcome Control Group', traits: {} });
  });

  test('not sticky: a user who signs up again is drawn again with entrySeq 2', () => {
    const u = users.find((x) => branchOf(bucket(`${J}:channel-test:${x}:1`)) !== branchOf(bucket(`${J}:channel-test:${x}:2`)))!;
    const s = make();
    s.track(u, 'Signed_Up', at(0, '10:00'), {});
    s.track(u, 'Signed_Up', at(5, '10:00'), {});
    expect(s.records().filter((t) => t.reason === 'random').map((t) => `${t.instance} ${t.to}`)).toEqual([
      `${u}/${J}/1 ${branchOf(bucket(`${J}:channel-test:${u}:1`))}`,
      `${u}/${J}/2 ${branchOf(bucket(`${J}:channel-test:${u}:2`))}`,
    ]);
  });
});

scenarios('e1-order-forwarding', (make) => {
  const J = 'e1-order-forwarding';

  test('every qualifying order is forwarded at once with its properties; redelivery, other currencies and orders without id are not', () => {
    const s = make();
    s.identify('xi', at(0, '09:00'), { email: 'xi@example.com', loyalty_tier: 'gold', first_name: 'Xi' });
    const order1 = { order_id: 'o-1', currency: 'USD', productId: 'sku-1', cart_ID: 'c-1', total: 50 };
    s.pipe({ type: 'track', userId: 'xi', event: 'Order_Confirmation', properties: order1, timestamp: at(0, '10:00'), messageId: 'seg-msg-1' });
    s.track('xi', 'Order_Confirmation', at(0, '10:00'), { order_id: 'o-2', currency: 'EUR', productId: 'sku-2', cart_ID: 'c-2', total: 80 });
    // Segment delivers at least once: the same message again is ignored (deduplication by messageId).
    s.pipe({ type: 'track', userId: 'xi', event: 'Order_Confirmation', properties: order1, timestamp: at(0, '10:01'), messageId: 'seg-msg-1' });
    s.track('xi', 'Order_Confirmation', at(0, '10:02'), { order_id: 'o-3', currency: 'JPY', total: 5000 });
    s.track('xi', 'Order_Confirmation', at(0, '10:03'), { currency: 'USD', total: 10 });
    expect(s.lines()).toEqual([
      `xi/${J}/1 null→forward-order entry ${at(0, '10:00')}`,
      `xi/${J}/1 forward-order→$complete end ${at(0, '10:00')}`,
      `xi/${J}/2 null→forward-order entry ${at(0, '10:00')}`,
      `xi/${J}/2 forward-order→$complete end ${at(0, '10:00')}`,
    ]);
    expect(s.records()[0]).toMatchObject({
      cause: { messageId: 'seg-msg-1', event: 'Order_Confirmation' },
      send: { to: ['crm', 'warehouse'], event: 'Order Confirmed', traits: { email: 'xi@example.com', loyalty_tier: 'gold' } },
      context: { Order_Confirmation: order1 },
    });
  });
});

scenarios('e7-multi-step-funnel', (make) => {
  const J = 'e7-multi-step-funnel';

  test('each milestone advances at once; Payment_Method loops back under its alias; a subscription sends the welcome', () => {
    const s = make();
    s.identify('yan', at(0, '09:00'), { first_name: 'Yan' });
    s.track('yan', 'Website_Viewed', at(0, '10:00'), { sessionID: 's-1', path: '/' });
    s.track('yan', 'Account_Created', at(0, '10:30'), { method: 'email' });
    s.track('yan', 'Payment_Method', at(0, '11:00'), { type: 'card', last4: '4242' });
    s.track('yan', 'Payment_Method', at(1, '09:00'), { type: 'card', last4: '1881' });
    s.track('yan', 'Trial_Started', at(1, '12:00'), { plan: 'pro' });
    s.track('yan', 'Trial_Ended', at(14, '12:00'), { plan: 'pro' });
    s.track('yan', 'Subscription Started', at(16, '09:00'), { plan: 'pro', subscription_plan_type: 'paid' });
    s.advanceTo(at(60));
    expect(s.lines()).toEqual([
      `yan/${J}/1 null→hold-account entry ${at(0, '10:00')}`,
      `yan/${J}/1 hold-account→hold-trial event ${at(0, '10:30')}`,
      `yan/${J}/1 hold-trial→hold-trial restart ${at(0, '11:00')}`,
      `yan/${J}/1 hold-trial→hold-trial restart ${at(1, '09:00')}`,
      `yan/${J}/1 hold-trial→hold-trial-end event ${at(1, '12:00')}`,
      `yan/${J}/1 hold-trial-end→hold-subscription event ${at(14, '12:00')}`,
      `yan/${J}/1 hold-subscription→subscribed event ${at(16, '09:00')}`,
      `yan/${J}/1 subscribed→$complete end ${at(16, '09:00')}`,
    ]);
    const welcome = s.record(`yan/${J}/1`, 'subscribed');
    expect(welcome.send).toEqual({ to: ['email', 'crm'], event: 'Subscription Welcome', traits: { first_name: 'Yan' } });
    expect(welcome.context).toEqual({
      Website_Viewed: { sessionID: 's-1', path: '/' },
      Account_Created: { method: 'email' },
      'Payment_Method - latest': { type: 'card', last4: '1881' },
      Trial_Started: { plan: 'pro' },
      Trial_Ended: { plan: 'pro' },
      'Subscription Started': { plan: 'pro', subscription_plan_type: 'paid' },
    });
  });

  test('a stall sends its reminder and ends; the funnel can start again only 30 days after (that instant included)', () => {
    const s = make();
    s.track('zak', 'Website_Viewed', at(0, '10:00'), { sessionID: 's-2' });
    s.track('zak', 'Website_Viewed', at(5, '10:00'), { sessionID: 's-3' });
    s.track('zak', 'Website_Viewed', at(31, '09:59'), { sessionID: 's-4' });
    s.track('zak', 'Website_Viewed', at(31, '10:00'), { sessionID: 's-5' });
    expect(s.lines()).toEqual([
      `zak/${J}/1 null→hold-account entry ${at(0, '10:00')}`,
      `zak/${J}/1 hold-account→account-reminder timeout ${at(1, '10:00')}`,
      `zak/${J}/1 account-reminder→$complete end ${at(1, '10:00')}`,
      `zak/${J}/2 null→hold-account entry ${at(31, '10:00')}`,
    ]);
    expect(s.record(`zak/${J}/1`, 'account-reminder').send).toEqual({ to: ['email'], event: 'Create Your Account', traits: {} });
  });
});

scenarios(['e8-content-downloaded-follow-up', 'e8-video-watched-follow-up'], (make) => {
  const CONTENT = 'e8-content-downloaded-follow-up';
  const VIDEO = 'e8-video-watched-follow-up';

  test('subscribed users get a follow-up carrying the content (or video) from the context; unsubscribed users do not enter', () => {
    const s = make();
    s.identify('ama', at(0, '09:00'), { email_subscription_status: 'subscribed', first_name: 'Ama' });
    s.identify('bo', at(0, '09:00'), { email_subscription_status: 'unsubscribed' });
    const ebook = { content_title: 'State of Data 2026', content_type: 'ebook', downloaded_at: '2026-03-01T10:00:00Z' };
    s.track('ama', 'content_downloaded', at(0, '10:00'), ebook);
    s.track('bo', 'content_downloaded', at(0, '10:00'), ebook);
    s.track('ama', 'video_watched', at(0, '11:00'), { video_title: 'Journeys in 5 minutes', percent_watched: 30 }); // below 50
    const video = { video_title: 'Journeys in 5 minutes', percent_watched: 80 };
    s.track('ama', 'video_watched', at(0, '11:30'), video);
    s.identify('bo', at(1, '09:00'), { email_subscription_status: 'subscribed' });
    s.track('bo', 'content_downloaded', at(1, '10:00'), ebook);
    expect(s.lines('ama')).toEqual([
      `ama/${CONTENT}/1 null→follow-up-email entry ${at(0, '10:00')}`,
      `ama/${CONTENT}/1 follow-up-email→$complete end ${at(0, '10:00')}`,
      `ama/${VIDEO}/1 null→follow-up-email entry ${at(0, '11:30')}`,
      `ama/${VIDEO}/1 follow-up-email→$complete end ${at(0, '11:30')}`,
    ]);
    expect(s.records('ama')[0]).toMatchObject({ send: { to: ['email'], event: 'Content Follow Up', traits: { first_name: 'Ama' } }, context: { content_downloaded: ebook } });
    expect(s.records('ama')[2]).toMatchObject({ send: { to: ['email'], event: 'Video Follow Up', traits: { first_name: 'Ama' } }, context: { video_watched: video } });
    expect(s.lines('bo')).toEqual([
      `bo/${CONTENT}/1 null→follow-up-email entry ${at(1, '10:00')}`,
      `bo/${CONTENT}/1 follow-up-email→$complete end ${at(1, '10:00')}`,
    ]);
  });
});

scenarios('e15-path-join', (make) => {
  const J = 'e15-path-join';

  test('VIP and everyone-else paths join at the follow-up; its context has only what the instance\'s own path collected', () => {
    const s = make();
    s.identify('cleo', at(0, '09:00'), { loyalty_tier: 'platinum', first_name: 'Cleo' });
    s.identify('dora', at(0, '09:00'), { loyalty_tier: 'platinum', first_name: 'Dora' });
    s.identify('dane', at(0, '09:00'), { first_name: 'Dane' });
    for (const u of ['cleo', 'dora', 'dane']) s.track(u, 'Purchase_Completed', at(0, '10:00'), { order_id: `o-${u}`, total: 900 });
    s.track('cleo', 'Concierge_Booked', at(0, '15:00'), { order_id: 'o-cleo', service: 'airport-transfer' });
    s.advanceTo(at(5));
    expect(s.lines('cleo')).toEqual([
      `cleo/${J}/1 null→route entry ${at(0, '10:00')}`,
      `cleo/${J}/1 route→concierge-offer split ${at(0, '10:00')}`,
      `cleo/${J}/1 concierge-offer→hold-concierge next ${at(0, '10:00')}`,
      `cleo/${J}/1 hold-concierge→post-purchase-follow-up event ${at(0, '15:00')}`,
      `cleo/${J}/1 post-purchase-follow-up→$complete end ${at(0, '15:00')}`,
    ]);
    expect(s.record(`cleo/${J}/1`, 'post-purchase-follow-up').context).toEqual({
      Purchase_Completed: { order_id: 'o-cleo', total: 900 },
      Concierge_Booked: { order_id: 'o-cleo', service: 'airport-transfer' },
    });
    expect(s.lines('dora').slice(-2)).toEqual([
      `dora/${J}/1 hold-concierge→post-purchase-follow-up timeout ${at(2, '10:00')}`,
      `dora/${J}/1 post-purchase-follow-up→$complete end ${at(2, '10:00')}`,
    ]);
    expect(s.record(`dora/${J}/1`, 'post-purchase-follow-up').context).toEqual({ Purchase_Completed: { order_id: 'o-dora', total: 900 } });
    expect(s.lines('dane')).toEqual([
      `dane/${J}/1 null→route entry ${at(0, '10:00')}`,
      `dane/${J}/1 route→post-purchase-follow-up split ${at(0, '10:00')}`,
      `dane/${J}/1 post-purchase-follow-up→$complete end ${at(0, '10:00')}`,
    ]);
    expect(s.record(`dane/${J}/1`, 'post-purchase-follow-up')).toMatchObject({
      context: { Purchase_Completed: { order_id: 'o-dane', total: 900 } },
      send: { to: ['email'], event: 'Post Purchase Follow Up', traits: { first_name: 'Dane' } },
    });
  });
});
