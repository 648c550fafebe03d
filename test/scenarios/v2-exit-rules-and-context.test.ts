// Segment Event-Triggered Journeys E12 (exit rules: cart abandonment, trial conversion, subscription renewal
// with a filtered exit) and E13 (appointment context), each on its journey file in topologies/.
// Expectations from the spec: exit rules checked at every step, mid-wait included, sameKey defaulting to
// true with a key (§4 exit, §4.2), the exit event added to the context before $exit, `send` and `sent`
// on $exit records (§5).
import { at, scenarios } from './harness';

scenarios('e12-cart-exit-rules', (make) => {
  const J = 'e12-cart-exit-rules';

  test('Order_Purchased with the same cart_id exits that cart at once (exit send with the exit event); other carts go on', () => {
    const s = make();
    s.identify('lin', at(0, '09:00'), { first_name: 'Lin', email: 'lin@example.com', phone: '+15550123' });
    s.track('lin', 'Checkout_Started', at(0, '10:00'), { cart_id: 'c-1', total: 80 });
    s.track('lin', 'Checkout_Started', at(0, '10:30'), { cart_id: 'c-2', total: 35 });
    const purchase = s.track('lin', 'Order_Purchased', at(0, '12:00'), { cart_id: 'c-2', order_id: 'o-9', revenue: 35 });
    s.track('lin', 'Order_Purchased', at(0, '13:00'), { order_id: 'o-10' }); // no cart_id: matches no instance
    s.track('lin', 'Order_Purchased', at(0, '13:30'), { cart_id: 'c-404', order_id: 'o-11' }); // another cart
    s.advanceTo(at(5));
    const one = s.lines().filter((l) => l.startsWith(`lin/${J}/1 `));
    const two = s.lines().filter((l) => l.startsWith(`lin/${J}/2 `));
    expect(two).toEqual([
      `lin/${J}/2 null→delay-1h entry ${at(0, '10:30')}`,
      `lin/${J}/2 delay-1h→email-reminder wait ${at(0, '11:30')}`,
      `lin/${J}/2 email-reminder→delay-1d next ${at(0, '11:30')}`,
      `lin/${J}/2 delay-1d→$exit exit-rule ${at(0, '12:00')}`,
    ]);
    const exit = s.record(`lin/${J}/2`, '$exit');
    expect(exit.send).toEqual({ to: ['crm', 'warehouse'], event: 'Cart Converted', traits: { email: 'lin@example.com' } });
    expect(exit.sent).toEqual(['email-reminder']);
    expect(exit.cause).toEqual({ messageId: purchase, event: 'Order_Purchased' });
    expect(exit.context).toEqual({
      Checkout_Started: { cart_id: 'c-2', total: 35 },
      Order_Purchased: { cart_id: 'c-2', order_id: 'o-9', revenue: 35 },
    });
    // Spec §6: the email destination, which email-reminder sent to, is told the user left (an Audience Exited
    // track, <stepKey>: false, messageId <id>-exit); the exit send goes to crm and warehouse (messageId = id).
    const of2 = (id: string) => s.delivered(id).filter((m) => m.id.startsWith(exit.id));
    expect(of2('email').map((m) => [m.id, m.body.type, m.body.event])).toEqual([[`${exit.id}-exit`, 'track', 'Audience Exited']]);
    expect(of2('email')[0]!.body.properties).toMatchObject({ j_o_e12_cart_exit_rules__email_reminder: false, journey_context: exit.context });
    expect(of2('crm').map((m) => [m.id, m.body.type])).toEqual([[exit.id, 'identify']]);
    expect(of2('warehouse').map((m) => [m.id, m.body.to, m.body.sent])).toEqual([[exit.id, '$exit', ['email-reminder']]]);
    expect(one).toEqual([
      `lin/${J}/1 null→delay-1h entry ${at(0, '10:00')}`,
      `lin/${J}/1 delay-1h→email-reminder wait ${at(0, '11:00')}`,
      `lin/${J}/1 email-reminder→delay-1d next ${at(0, '11:00')}`,
      `lin/${J}/1 delay-1d→sms-reminder wait ${at(1, '11:00')}`,
      `lin/${J}/1 sms-reminder→delay-2d next ${at(1, '11:00')}`,
      `lin/${J}/1 delay-2d→last-chance wait ${at(3, '11:00')}`,
      `lin/${J}/1 last-chance→$complete end ${at(3, '11:00')}`,
    ]);
    expect(s.record(`lin/${J}/1`, 'sms-reminder').send).toEqual({ to: ['sms'], event: 'Checkout Reminder', traits: { phone: '+15550123' } });
    expect(s.record(`lin/${J}/1`, 'last-chance').send).toEqual({ to: ['email', 'ads'], event: 'Checkout Last Chance', traits: { first_name: 'Lin' } });
    expect(s.record(`lin/${J}/1`, '$complete').send).toBeUndefined(); // a completion is not an exit: no exit send
  });

  test('an exit from a later wait lists every send step entered, in order', () => {
    const s = make();
    s.track('mia', 'Checkout_Started', at(0, '10:00'), { cart_id: 'c-7' });
    s.track('mia', 'Order_Purchased', at(2, '10:00'), { cart_id: 'c-7', order_id: 'o-70' });
    expect(s.lines().at(-1)).toBe(`mia/${J}/1 delay-2d→$exit exit-rule ${at(2, '10:00')}`);
    const exit = s.record(`mia/${J}/1`, '$exit');
    expect(exit.sent).toEqual(['email-reminder', 'sms-reminder']);
    expect(exit.send).toEqual({ to: ['crm', 'warehouse'], event: 'Cart Converted', traits: {} });
  });
});

scenarios('e12-trial-exit-rules', (make) => {
  const J = 'e12-trial-exit-rules';

  test('Subscription_Upgraded for the account exits mid-wait; an upgrade of another account does not', () => {
    const s = make();
    s.identify('vera', at(0, '08:00'), { company: 'Umbrella' });
    s.track('vera', 'Trial_Started', at(0, '09:00'), { account_id: 'acct-1', plan: 'pro' });
    s.track('walt', 'Trial_Started', at(0, '09:00'), { account_id: 'acct-2', plan: 'pro' });
    s.track('walt', 'Subscription_Upgraded', at(1, '09:00'), { account_id: 'acct-9', plan: 'pro' });
    s.track('vera', 'Subscription_Upgraded', at(4, '09:00'), { account_id: 'acct-1', plan: 'pro' });
    s.advanceTo(at(20));
    expect(s.lines('vera')).toEqual([
      `vera/${J}/1 null→delay-2d entry ${at(0, '09:00')}`,
      `vera/${J}/1 delay-2d→tips wait ${at(2, '09:00')}`,
      `vera/${J}/1 tips→delay-3d next ${at(2, '09:00')}`,
      `vera/${J}/1 delay-3d→$exit exit-rule ${at(4, '09:00')}`,
    ]);
    const exit = s.record(`vera/${J}/1`, '$exit');
    expect(exit.send).toEqual({ to: ['crm'], event: 'Trial Converted', traits: { company: 'Umbrella' } });
    expect(exit.sent).toEqual(['tips']);
    expect(s.lines('walt')).toEqual([
      `walt/${J}/1 null→delay-2d entry ${at(0, '09:00')}`,
      `walt/${J}/1 delay-2d→tips wait ${at(2, '09:00')}`,
      `walt/${J}/1 tips→delay-3d next ${at(2, '09:00')}`,
      `walt/${J}/1 delay-3d→upgrade-offer wait ${at(5, '09:00')}`,
      `walt/${J}/1 upgrade-offer→delay-7d next ${at(5, '09:00')}`,
      `walt/${J}/1 delay-7d→last-call wait ${at(12, '09:00')}`,
      `walt/${J}/1 last-call→$complete end ${at(12, '09:00')}`,
    ]);
    expect(s.sends('walt')).toEqual([
      `walt/${J}/1 tips→email`,
      `walt/${J}/1 upgrade-offer→email,inapp`,
      `walt/${J}/1 last-call→email,sms`,
    ]);
  });
});

scenarios('e12-renewal-exit-rules', (make) => {
  const J = 'e12-renewal-exit-rules';

  test('filtered exit: Subscription_Cancelled exits only with reason = churn; the exit send carries the exit event', () => {
    const s = make();
    s.identify('xan', at(0, '08:00'), { plan: 'annual-pro' });
    s.track('xan', 'Renewal_Due', at(0, '09:00'), { subscription_id: 'sub-1', renewal_date: '2026-03-15' });
    s.track('xan', 'Subscription_Cancelled', at(8, '09:00'), { subscription_id: 'sub-1', reason: 'downgrade' });
    const churn = s.track('xan', 'Subscription_Cancelled', at(9, '09:00'), { subscription_id: 'sub-1', reason: 'churn' });
    s.advanceTo(at(20));
    expect(s.lines()).toEqual([
      `xan/${J}/1 null→renewal-notice entry ${at(0, '09:00')}`,
      `xan/${J}/1 renewal-notice→delay-7d next ${at(0, '09:00')}`,
      `xan/${J}/1 delay-7d→renewal-reminder wait ${at(7, '09:00')}`,
      `xan/${J}/1 renewal-reminder→delay-6d next ${at(7, '09:00')}`,
      `xan/${J}/1 delay-6d→$exit exit-rule ${at(9, '09:00')}`,
    ]);
    // The first step is a send: the entry record carries it.
    expect(s.records()[0]!.send).toEqual({ to: ['email'], event: 'Renewal Notice', traits: {} });
    const exit = s.record(`xan/${J}/1`, '$exit');
    expect(exit.cause).toEqual({ messageId: churn, event: 'Subscription_Cancelled' });
    expect(exit.send).toEqual({ to: ['crm'], event: 'Renewal Journey Exited', traits: { plan: 'annual-pro' } });
    expect(exit.sent).toEqual(['renewal-notice', 'renewal-reminder']);
    expect(exit.context).toEqual({
      Renewal_Due: { subscription_id: 'sub-1', renewal_date: '2026-03-15' },
      Subscription_Cancelled: { subscription_id: 'sub-1', reason: 'churn' },
    });
  });

  test('Renewal_Successful exits; a churn of another subscription does not; without either every reminder goes out', () => {
    const s = make();
    s.track('yul', 'Renewal_Due', at(0, '09:00'), { subscription_id: 'sub-2' });
    s.track('zoe', 'Renewal_Due', at(0, '09:00'), { subscription_id: 'sub-3' });
    s.track('yul', 'Renewal_Successful', at(1, '09:00'), { subscription_id: 'sub-2', amount: 199 });
    s.track('zoe', 'Subscription_Cancelled', at(3, '09:00'), { subscription_id: 'sub-other', reason: 'churn' });
    s.advanceTo(at(20));
    expect(s.lines('yul')).toEqual([
      `yul/${J}/1 null→renewal-notice entry ${at(0, '09:00')}`,
      `yul/${J}/1 renewal-notice→delay-7d next ${at(0, '09:00')}`,
      `yul/${J}/1 delay-7d→$exit exit-rule ${at(1, '09:00')}`,
    ]);
    expect(s.record(`yul/${J}/1`, '$exit').sent).toEqual(['renewal-notice']);
    expect(s.lines('zoe')).toEqual([
      `zoe/${J}/1 null→renewal-notice entry ${at(0, '09:00')}`,
      `zoe/${J}/1 renewal-notice→delay-7d next ${at(0, '09:00')}`,
      `zoe/${J}/1 delay-7d→renewal-reminder wait ${at(7, '09:00')}`,
      `zoe/${J}/1 renewal-reminder→delay-6d next ${at(7, '09:00')}`,
      `zoe/${J}/1 delay-6d→final-reminder wait ${at(13, '09:00')}`,
      `zoe/${J}/1 final-reminder→delay-1d next ${at(13, '09:00')}`,
      `zoe/${J}/1 delay-1d→renewal-at-risk wait ${at(14, '09:00')}`,
      `zoe/${J}/1 renewal-at-risk→$complete end ${at(14, '09:00')}`,
    ]);
    expect(s.sends('zoe')).toEqual([
      `zoe/${J}/1 renewal-notice→email`,
      `zoe/${J}/1 renewal-reminder→email`,
      `zoe/${J}/1 final-reminder→email,sms`,
      `zoe/${J}/1 renewal-at-risk→support`,
    ]);
  });
});

scenarios('e13-appointment-context', (make) => {
  const J = 'e13-appointment-context';
  const scheduled = { appointment_id: 'apt-1', start_time: '2026-03-10T15:00:00Z', end_time: '2026-03-10T15:30:00Z', provider: 'Dr. Lee' };
  const rescheduled = { appointment_id: 'apt-1', start_time: '2026-03-12T09:00:00Z', end_time: '2026-03-12T09:30:00Z', provider: 'Dr. Patel' };

  test('a reschedule of the same appointment → confirmation whose context holds both snapshots', () => {
    const s = make();
    s.identify('ama', at(0, '09:00'), { first_name: 'Ama', phone: '+15550177' });
    s.track('ama', 'Appointment Scheduled', at(0, '10:00'), scheduled);
    s.track('ama', 'Appointment Rescheduled', at(1, '10:00'), { ...rescheduled, appointment_id: 'apt-99' }); // another appointment
    const moved = s.track('ama', 'Appointment Rescheduled', at(2, '14:00'), rescheduled);
    s.advanceTo(at(40));
    expect(s.lines()).toEqual([
      `ama/${J}/1 null→hold-for-reschedule entry ${at(0, '10:00')}`,
      `ama/${J}/1 hold-for-reschedule→reschedule-confirmation event ${at(2, '14:00')}`,
      `ama/${J}/1 reschedule-confirmation→$complete end ${at(2, '14:00')}`,
    ]);
    const confirmation = s.record(`ama/${J}/1`, 'reschedule-confirmation');
    expect(confirmation.cause).toEqual({ messageId: moved, event: 'Appointment Rescheduled' });
    expect(confirmation.context).toEqual({ 'Appointment Scheduled': scheduled, 'Appointment Rescheduled': rescheduled });
    expect(confirmation.send).toEqual({
      to: ['sms', 'email'], event: 'Appointment Rescheduled Confirmation', traits: { first_name: 'Ama', phone: '+15550177' },
    });
  });

  test('Appointment Cancelled exits only that appointment (no exit send, sent []); without a reschedule the hold times out to end', () => {
    const s = make();
    s.track('bea', 'Appointment Scheduled', at(0, '10:00'), { ...scheduled, appointment_id: 'apt-2' });
    s.track('bea', 'Appointment Scheduled', at(0, '11:00'), { ...scheduled, appointment_id: 'apt-3', provider: 'Dr. Kim' });
    s.track('bea', 'Appointment Cancelled', at(1, '09:00'), { appointment_id: 'apt-3', cancelled_by: 'patient' });
    s.advanceTo(at(40));
    expect(s.lines()).toEqual([
      `bea/${J}/1 null→hold-for-reschedule entry ${at(0, '10:00')}`,
      `bea/${J}/2 null→hold-for-reschedule entry ${at(0, '11:00')}`,
      `bea/${J}/2 hold-for-reschedule→$exit exit-rule ${at(1, '09:00')}`,
      `bea/${J}/1 hold-for-reschedule→$complete end ${at(30, '10:00')}`,
    ]);
    const exit = s.record(`bea/${J}/2`, '$exit');
    expect(exit.sent).toEqual([]);
    expect('send' in exit).toBe(false);
    expect(exit.context['Appointment Cancelled']).toEqual({ appointment_id: 'apt-3', cancelled_by: 'patient' });
    expect(s.sends()).toEqual([]);
  });
});
