// Entry, re-entry, keys, limits and exits (spec §4.1, §4.2 exits, §5 records).
import { createHash } from 'node:crypto';
import { TestDriver } from '../../helpers/test-driver';

const T = (hhmm: string, day = '01'): string => `2026-03-${day}T${hhmm}:00.000Z`;

describe('event entry', () => {
  const journey = (extra: string) => `journey: j
entry:
  event: Start
${extra}
steps:
  - id: hold
    wait: 1h
`;

  test('reentry always (default) without key: one live instance per user; a new one after completion', () => {
    const d = TestDriver.fromYaml(journey(''));
    d.track('u1', 'Start', T('10:00')).track('u1', 'Start', T('10:30')).track('u1', 'Start', T('11:00')).advanceTo(T('13:00'));
    expect(d.lines()).toEqual([
      `u1/j/1 null→hold entry ${T('10:00')}`,
      `u1/j/1 hold→$complete end ${T('11:00')}`,
      `u1/j/2 null→hold entry ${T('11:00')}`,
      `u1/j/2 hold→$complete end ${T('12:00')}`,
    ]);
  });

  test('key: parallel instances per key value, type-strict; a trigger without the key starts nothing', () => {
    const d = TestDriver.fromYaml(journey('  key: cart_id'));
    d.track('u1', 'Start', T('10:00'), { cart_id: 'a' })
      .track('u1', 'Start', T('10:01'), { cart_id: 'a' })
      .track('u1', 'Start', T('10:02'), { cart_id: 1 })
      .track('u1', 'Start', T('10:03'), { cart_id: '1' })
      .track('u1', 'Start', T('10:04'), {})
      .track('u1', 'Start', T('10:05'), { cart_id: { id: 1 } })
      .track('u1', 'Start', T('10:06'), { cart_id: null });
    expect(d.lines()).toEqual([
      `u1/j/1 null→hold entry ${T('10:00')}`,
      `u1/j/2 null→hold entry ${T('10:02')}`,
      `u1/j/3 null→hold entry ${T('10:03')}`,
    ]);
  });

  test('once: at most one entry ever', () => {
    const d = TestDriver.fromYaml(journey('  reentry: once'));
    d.track('u1', 'Start', T('10:00')).track('u1', 'Start', T('12:00')).advanceTo(T('15:00'));
    expect(d.lines().filter((l) => l.includes('entry'))).toHaveLength(1);
  });

  test('after-exit with reentryAfter: only from that long after the last completion, that instant included', () => {
    const d = TestDriver.fromYaml(journey('  reentry: after-exit\n  reentryAfter: 2h'));
    d.track('u1', 'Start', T('10:00')) // completes 11:00
      .track('u1', 'Start', T('12:59'))
      .track('u1', 'Start', T('13:00'));
    expect(d.lines()).toEqual([
      `u1/j/1 null→hold entry ${T('10:00')}`,
      `u1/j/1 hold→$complete end ${T('11:00')}`,
      `u1/j/2 null→hold entry ${T('13:00')}`,
    ]);
  });

  test('where and when filter the trigger', () => {
    const d = TestDriver.fromYaml(journey('  where: { total: { gt: 100 } }\n  when: { trait: plan, equals: trial }'));
    d.track('u1', 'Start', T('10:00'), { total: 500 }); // no trait yet
    d.identify('u1', T('10:01'), { plan: 'trial' });
    d.track('u1', 'Start', T('10:02'), { total: '500' }); // a string never compares as a number
    d.track('u1', 'Start', T('10:03'), { total: 101 });
    expect(d.lines()).toEqual([`u1/j/1 null→hold entry ${T('10:03')}`]);
  });

  test('page and screen messages are the events Page Viewed / Screen Viewed with page_name / screen_name', () => {
    const d = TestDriver.fromYaml(`journey: j
entry:
  event: Page Viewed
  where: { page_name: Pricing }
steps:
  - id: hold
    wait: 1h
`);
    d.pipe({ type: 'page', userId: 'u1', name: 'Home', timestamp: T('10:00') });
    d.pipe({ type: 'page', userId: 'u1', name: 'Pricing', timestamp: T('10:01'), properties: { url: '/p' } });
    expect(d.lines()).toEqual([`u1/j/1 null→hold entry ${T('10:01')}`]);
    expect(d.transitions()[0]!.context).toEqual({ 'Page Viewed': { url: '/p', page_name: 'Pricing' } });
    expect(d.transitions()[0]!.cause).toEqual({ messageId: null, event: 'Page Viewed' });
  });

  test('a page or screen whose name is null leaves a page_name / screen_name property as it is', () => {
    const d = TestDriver.fromYaml(`journey: j
entry:
  event: Screen Viewed
  where: { screen_name: Cart }
steps:
  - id: hold
    wait: 1h
`);
    d.pipe({ type: 'screen', userId: 'u1', name: null, timestamp: T('10:00'), properties: { screen_name: 'Cart' } });
    d.pipe({ type: 'screen', userId: 'u2', name: 'Home', timestamp: T('10:01'), properties: { screen_name: 'Cart' } });
    expect(d.lines()).toEqual([`u1/j/1 null→hold entry ${T('10:00')}`]);
    expect(d.transitions()[0]!.context).toEqual({ 'Screen Viewed': { screen_name: 'Cart' } });
  });
});

describe('condition entry', () => {
  test('enters on a false→true change; a user never seen before counts as false', () => {
    const d = TestDriver.fromYaml(`journey: vip
entry:
  condition: { trait: plan, equals: paid }
steps:
  - id: hello
    send: { to: [email] }
`);
    d.identify('u1', T('10:00'), { plan: 'paid' });
    d.identify('u1', T('10:01'), { plan: 'paid', x: 1 });
    d.identify('u2', T('10:00'), { plan: 'trial' });
    d.identify('u2', T('10:05'), { plan: 'paid' });
    expect(d.lines()).toEqual([
      `u1/vip/1 null→hello entry ${T('10:00')}`,
      `u1/vip/1 hello→$complete end ${T('10:00')}`,
      `u2/vip/1 null→hello entry ${T('10:05')}`,
      `u2/vip/1 hello→$complete end ${T('10:05')}`,
    ]);
    expect(d.transitions()[0]!.cause).toEqual({ messageId: null, event: null });
  });

  test('once (default): no re-entry after the condition turns false and true again', () => {
    const d = TestDriver.fromYaml(`journey: vip
entry:
  condition: { trait: plan, equals: paid }
steps:
  - id: hello
    send: { to: [email] }
`);
    d.identify('u1', T('10:00'), { plan: 'paid' }).identify('u1', T('11:00'), { plan: 'free' }).identify('u1', T('12:00'), { plan: 'paid' });
    expect(d.lines().filter((l) => l.includes('entry'))).toHaveLength(1);
  });

  test('after-exit: a user who still qualifies re-enters when reentryAfter elapses after the exit', () => {
    const d = TestDriver.fromYaml(`journey: vip
entry:
  condition: { trait: plan, equals: paid }
  reentry: after-exit
  reentryAfter: 1d
exit:
  after: 2d
steps:
  - id: hold
    waitUntil: { condition: { trait: never, exists: true } }
`);
    d.identify('u1', '2026-03-01T00:00:00Z', { plan: 'paid' }).advanceTo('2026-03-07T12:00:00Z');
    expect(d.lines()).toEqual([
      'u1/vip/1 null→hold entry 2026-03-01T00:00:00.000Z',
      'u1/vip/1 hold→$exit exit-after 2026-03-03T00:00:00.000Z',
      'u1/vip/2 null→hold entry 2026-03-04T00:00:00.000Z',
      'u1/vip/2 hold→$exit exit-after 2026-03-06T00:00:00.000Z',
      'u1/vip/3 null→hold entry 2026-03-07T00:00:00.000Z',
    ]);
  });

  test('"0 orders within 7 days" enters a user exactly 7 days after the last order, by time alone', () => {
    const d = TestDriver.fromYaml(`journey: winback
entry:
  condition: { performed: Order Completed, exactly: 0, within: 7d }
steps:
  - id: nudge
    send: { to: [email] }
`);
    d.track('u1', 'Order Completed', '2026-03-01T10:00:00Z').track('u1', 'Order Completed', '2026-03-02T10:00:00Z');
    d.track('other', 'Ping', '2026-03-20T00:00:00Z');
    // u1 is false from its first message on; 'other' had no orders and entered at once.
    expect(d.lines((t) => t.userId === 'u1')).toEqual([
      'u1/winback/1 null→nudge entry 2026-03-09T10:00:00.000Z',
      'u1/winback/1 nudge→$complete end 2026-03-09T10:00:00.000Z',
    ]);
    expect(d.transitions().find((t) => t.userId === 'u1')!.cause).toBeNull();
    expect(d.lines((t) => t.userId === 'other')[0]).toBe('other/winback/1 null→nudge entry 2026-03-20T00:00:00.000Z');
  });
});

describe('limits', () => {
  test('at most --max-instances live instances per user; a refused trigger is not an entry', () => {
    const d = TestDriver.fromYaml(`journey: j
entry:
  event: Start
  key: k
steps:
  - id: hold
    wait: 1h
`, { maxInstances: 2 });
    d.track('u1', 'Start', T('10:00'), { k: 1 }).track('u1', 'Start', T('10:01'), { k: 2 }).track('u1', 'Start', T('10:02'), { k: 3 });
    d.track('u1', 'Start', T('11:00'), { k: 4 }); // instance 1 completed at 11:00, before this message
    expect(d.lines((t) => t.reason === 'entry')).toEqual([
      `u1/j/1 null→hold entry ${T('10:00')}`,
      `u1/j/2 null→hold entry ${T('10:01')}`,
      `u1/j/3 null→hold entry ${T('11:00')}`,
    ]);
    expect(d.sim.stats.refusedEntries).toBe(1);
  });

  test('an instance live for --max-lifetime exits with reason expired', () => {
    const d = TestDriver.fromYaml(`journey: j
entry:
  event: Start
steps:
  - id: hold
    waitUntil: { condition: { trait: done, equals: true } }
`, { maxLifetime: 2 * 86_400_000 });
    d.track('u1', 'Start', '2026-03-01T00:00:00Z').advanceTo('2026-03-05T00:00:00Z');
    expect(d.lines()).toEqual([
      'u1/j/1 null→hold entry 2026-03-01T00:00:00.000Z',
      'u1/j/1 hold→$exit expired 2026-03-03T00:00:00.000Z',
    ]);
  });
});

describe('exits', () => {
  const cart = `journey: cart
entry:
  event: Product Added
  key: cart_id
exit:
  events:
    - event: Order Completed
  send: { to: [crm], traits: [email, missing] }
steps:
  - id: hold
    waitFor:
      events:
        - { event: Order Completed, next: thanks }
      timeout: 2h
  - id: nudge
    send: { to: [email] }
    next: end
  - id: thanks
    send: { to: [email] }
`;

  test('an exit rule wins over a waitFor match of the same message; sameKey defaults to true with a key', () => {
    const d = TestDriver.fromYaml(cart);
    d.identify('u1', T('09:00'), { email: 'a@x' });
    d.track('u1', 'Product Added', T('10:00'), { cart_id: 'c1' }, 'm1');
    d.track('u1', 'Product Added', T('10:01'), { cart_id: 'c2' }, 'm2');
    d.track('u1', 'Order Completed', T('10:30'), { cart_id: 'c2', total: 5 }, 'm3');
    d.track('u1', 'Order Completed', T('10:31'), {}, 'm4'); // without the key property: matches nothing
    expect(d.lines()).toEqual([
      `u1/cart/1 null→hold entry ${T('10:00')}`,
      `u1/cart/2 null→hold entry ${T('10:01')}`,
      `u1/cart/2 hold→$exit exit-rule ${T('10:30')}`,
    ]);
    const exit = d.transitions()[2]!;
    expect(exit.send).toEqual({ to: ['crm'], event: 'Journey Exited', traits: { email: 'a@x' } });
    expect(exit.sent).toEqual([]);
    expect(exit.context).toEqual({ 'Product Added': { cart_id: 'c2' }, 'Order Completed': { cart_id: 'c2', total: 5 } });
    expect(exit.cause).toEqual({ messageId: 'm3', event: 'Order Completed' });
    d.advanceTo(T('13:00'));
    expect(d.lines().slice(3)).toEqual([
      `u1/cart/1 hold→nudge timeout ${T('12:00')}`,
      `u1/cart/1 nudge→$complete end ${T('12:00')}`,
    ]);
  });

  test('sent lists the send steps entered, in first-entered order; the exit from is the oldest live path', () => {
    const d = TestDriver.fromYaml(`journey: j
entry:
  event: Start
exit:
  events: [{ event: Stop }]
steps:
  - id: first
    send: { to: [email] }
  - id: second
    send: { to: [sms] }
  - id: hold
    wait: 1d
`);
    d.track('u1', 'Start', T('10:00')).track('u1', 'Stop', T('11:00'));
    const exit = d.transitions().at(-1)!;
    expect(exit).toMatchObject({ from: 'hold', to: '$exit', reason: 'exit-rule', sent: ['first', 'second'] });
    expect(exit.send).toBeUndefined();
    expect(d.transitions().filter((t) => t.to !== '$exit').every((t) => t.sent === undefined)).toBe(true);
  });

  test('the message that exits an instance can start a new one', () => {
    const d = TestDriver.fromYaml(`journey: visits
entry:
  event: Visit
exit:
  events: [{ event: Visit }]
steps:
  - id: hold
    wait: 1d
`);
    d.track('u1', 'Visit', T('10:00')).track('u1', 'Visit', T('11:00'));
    expect(d.lines()).toEqual([
      `u1/visits/1 null→hold entry ${T('10:00')}`,
      `u1/visits/1 hold→$exit exit-rule ${T('11:00')}`,
      `u1/visits/2 null→hold entry ${T('11:00')}`,
    ]);
  });

  test('exit.condition: leaves when a trait change makes it true, reason exit-condition', () => {
    const d = TestDriver.fromYaml(`journey: trial
entry:
  event: Trial Started
exit:
  condition: { trait: plan, equals: paid }
steps:
  - id: hold
    wait: 7d
`);
    d.track('u1', 'Trial Started', T('10:00')).identify('u1', T('11:00'), { plan: 'paid' });
    expect(d.lines()).toEqual([`u1/trial/1 null→hold entry ${T('10:00')}`, `u1/trial/1 hold→$exit exit-condition ${T('11:00')}`]);
  });

  test('exit.condition flips by time at the exact instant', () => {
    const d = TestDriver.fromYaml(`journey: trial
entry:
  event: Trial Started
exit:
  condition: { not: { performed: App Opened, within: 2d } }
steps:
  - id: hold
    wait: 7d
`);
    d.track('u1', 'App Opened', '2026-03-01T09:00:00Z').track('u1', 'Trial Started', '2026-03-01T10:00:00Z').advanceTo('2026-03-09T00:00:00Z');
    expect(d.lines()).toEqual([
      'u1/trial/1 null→hold entry 2026-03-01T10:00:00.000Z',
      'u1/trial/1 hold→$exit exit-condition 2026-03-03T09:00:00.000Z',
    ]);
  });

  test('exit.after runs before a wait due at the same instant', () => {
    const d = TestDriver.fromYaml(`journey: j
entry:
  event: Start
exit:
  after: 1h
steps:
  - id: hold
    wait: 1h
  - id: after
    send: { to: [email] }
`);
    d.track('u1', 'Start', T('10:00')).advanceTo(T('12:00'));
    expect(d.lines()).toEqual([`u1/j/1 null→hold entry ${T('10:00')}`, `u1/j/1 hold→$exit exit-after ${T('11:00')}`]);
  });
});

describe('records', () => {
  test('id is the SHA-256 of <journey>:<version>:<instance>:<seq>; seq counts within the instance', () => {
    const d = TestDriver.fromYaml(`journey: j
version: 4
entry:
  event: Start
steps:
  - id: a
    send: { to: [email], event: Hello }
`);
    d.track('u1', 'Start', T('10:00'), { x: 1 }, 'm1');
    const [first, second] = d.transitions();
    const sha = (s: string) => createHash('sha256').update(s).digest('hex');
    expect(first).toEqual({
      id: sha('j:4:u1/j/1:1'), journey: 'j', version: 4, instance: 'u1/j/1', seq: 1, userId: 'u1',
      from: null, to: 'a', reason: 'entry', at: '2026-03-01T10:00:00.000Z', cause: { messageId: 'm1', event: 'Start' },
      send: { to: ['email'], event: 'Hello', traits: {} }, context: { Start: { x: 1 } },
    });
    expect(second).toMatchObject({ id: sha('j:4:u1/j/1:2'), seq: 2, from: 'a', to: '$complete', reason: 'end' });
    expect(second!.send).toBeUndefined();
    expect('sent' in second!).toBe(false);
  });

  test('journeys are evaluated in file-name byte order', () => {
    const body = (id: string) => `journey: ${id}\nentry:\n  event: Go\nsteps:\n  - id: s\n    send: { to: [email] }\n`;
    const d = TestDriver.fromYaml({ 'b.journey.yaml': body('alpha'), 'a.journey.yaml': body('beta'), 'B.journey.yaml': body('gamma') });
    d.track('u1', 'Go', T('10:00'));
    expect(d.transitions().filter((t) => t.reason === 'entry').map((t) => t.journey)).toEqual(['gamma', 'beta', 'alpha']);
  });

  test('paused and draft journeys take no entries', () => {
    const body = (id: string, status: string) => `journey: ${id}\nstatus: ${status}\nentry:\n  event: Go\nsteps:\n  - id: s\n    wait: 1h\n`;
    const d = TestDriver.fromYaml({ 'a.journey.yaml': body('a', 'paused'), 'b.journey.yaml': body('b', 'draft'), 'c.journey.yaml': body('c', 'archived') });
    d.track('u1', 'Go', T('10:00'));
    expect(d.transitions()).toEqual([]);
  });
});
