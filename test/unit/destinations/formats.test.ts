// The destination formats of spec §6, field by field.
import { AUDIENCE_EXITED, exitMessageId, formatExit, formatSend, stepKey } from '../../../src/destinations/formats';
import type { SendPayload, Transition } from '../../../src/engine/transition';

const send: Transition & { send: SendPayload } = {
  id: 'a'.repeat(64),
  journey: 'cart-abandonment',
  version: 3,
  instance: 'u1/cart-abandonment/2',
  seq: 4,
  userId: 'u1',
  from: 'hold',
  to: 'nudge-email',
  reason: 'timeout',
  at: '2026-01-01T10:00:00.000Z',
  cause: null,
  send: { to: ['crm', 'ads'], event: 'Cart Abandoned', traits: { plan: 'trial', email: 'u1@example.com' } },
  context: { 'Product Added': { cart_id: 'c1', total: 30 } },
};

const exit: Transition = {
  id: 'b'.repeat(64),
  journey: 'cart-abandonment',
  version: 3,
  instance: 'u1/cart-abandonment/2',
  seq: 6,
  userId: 'u1',
  from: 'wait-more',
  to: '$exit',
  reason: 'exit-rule',
  at: '2026-01-02T11:30:00.250Z',
  cause: { messageId: 'm-9', event: 'Order Completed' },
  context: { 'Product Added': { cart_id: 'c1' }, 'Order Completed': { total: 30 } },
  sent: ['nudge-email', 'second-nudge'],
};

describe('stepKey', () => {
  test('j_o_<journey>__<step>, hyphens as underscores', () => {
    expect(stepKey('cart-abandonment', 'nudge-email')).toBe('j_o_cart_abandonment__nudge_email');
    expect(stepKey('b', 'c')).toBe('j_o_b__c');
    expect(stepKey('a-b-c', 'x1-y2')).toBe('j_o_a_b_c__x1_y2');
  });
});

describe('segment-track', () => {
  const m = formatSend(send, 'segment-track');

  test('a track named by the send event, for the user, with the transition id and time', () => {
    expect(m.type).toBe('track');
    expect(m.event).toBe('Cart Abandoned');
    expect(m.userId).toBe('u1');
    expect(m.messageId).toBe(send.id);
    expect(m.timestamp).toBe('2026-01-01T10:00:00.000Z');
  });

  test('properties: context, metadata, step key true, audience key, chosen traits', () => {
    expect(m.properties).toEqual({
      journey_context: { 'Product Added': { cart_id: 'c1', total: 30 } },
      journey_metadata: { journey_id: 'cart-abandonment', journey_version: 3, step_id: 'nudge-email', instance_id: 'u1/cart-abandonment/2' },
      j_o_cart_abandonment__nudge_email: true,
      audience_key: 'j_o_cart_abandonment__nudge_email',
      plan: 'trial',
      email: 'u1@example.com',
    });
  });

  test('context.personas', () => {
    expect(m.context).toEqual({
      personas: { computation_class: 'journey_step', computation_key: 'j_o_cart_abandonment__nudge_email', computation_id: 'cart-abandonment/nudge-email' },
    });
  });

  test('exactly these top-level fields', () => {
    expect(Object.keys(m).sort()).toEqual(['context', 'event', 'messageId', 'properties', 'timestamp', 'type', 'userId']);
  });

  test('a trait named like a journey property does not replace it', () => {
    const clash = formatSend({ ...send, send: { ...send.send, traits: { audience_key: 'mine', journey_context: 1 } } }, 'segment-track');
    expect(clash.properties).toMatchObject({ audience_key: 'j_o_cart_abandonment__nudge_email', journey_context: send.context });
  });

  test('a trait named __proto__ is a property like any other', () => {
    const traits = JSON.parse('{"__proto__":{"x":1},"constructor":"c"}') as Record<string, never>;
    const m = formatSend({ ...send, send: { ...send.send, traits } }, 'segment-track');
    expect(JSON.stringify(m.properties)).toMatch(/^\{"__proto__":\{"x":1\},"constructor":"c",/);
  });

  test('no traits: no extra properties', () => {
    const plain = formatSend({ ...send, send: { ...send.send, traits: {} } }, 'segment-track');
    expect(Object.keys(plain.properties as object).sort()).toEqual(['audience_key', 'j_o_cart_abandonment__nudge_email', 'journey_context', 'journey_metadata']);
  });

  test('an exit send: the step is $exit, event Journey Exited', () => {
    const exitSend = formatSend({ ...exit, send: { to: ['crm'], event: 'Journey Exited', traits: {} } }, 'segment-track');
    expect(exitSend).toMatchObject({
      event: 'Journey Exited',
      messageId: exit.id,
      properties: { journey_metadata: { step_id: '$exit' }, j_o_cart_abandonment__$exit: true },
    });
  });

  test('user left: Audience Exited, every step key false, messageId <id>-exit', () => {
    const left = formatExit(exit, ['nudge-email', 'second-nudge'], 'segment-track');
    expect(left).toEqual({
      type: 'track',
      event: AUDIENCE_EXITED,
      userId: 'u1',
      messageId: `${exit.id}-exit`,
      timestamp: '2026-01-02T11:30:00.250Z',
      properties: {
        journey_context: exit.context,
        journey_metadata: { journey_id: 'cart-abandonment', journey_version: 3, step_id: '$exit', instance_id: 'u1/cart-abandonment/2' },
        j_o_cart_abandonment__nudge_email: false,
        j_o_cart_abandonment__second_nudge: false,
      },
    });
    expect(AUDIENCE_EXITED).toBe('Audience Exited');
    expect(exitMessageId('x')).toBe('x-exit');
  });
});

describe('segment-identify', () => {
  test('entering a send step: traits { stepKey: true }', () => {
    expect(formatSend(send, 'segment-identify')).toEqual({
      type: 'identify',
      userId: 'u1',
      messageId: send.id,
      timestamp: '2026-01-01T10:00:00.000Z',
      traits: { j_o_cart_abandonment__nudge_email: true },
      context: { personas: { computation_class: 'journey_step', computation_key: 'j_o_cart_abandonment__nudge_email', computation_id: 'cart-abandonment/nudge-email' } },
    });
  });

  test('an exit send: false for each step in sent (spec §6: "on an $exit record, false for each step in its sent")', () => {
    const withSent = { ...exit, sent: ['nudge-email', 'second-nudge'], send: { to: ['crm'], event: 'Journey Exited', traits: {} } };
    expect(formatSend(withSent, 'segment-identify')).toEqual({
      type: 'identify',
      userId: 'u1',
      messageId: exit.id,
      timestamp: '2026-01-02T11:30:00.250Z',
      traits: { j_o_cart_abandonment__nudge_email: false, j_o_cart_abandonment__second_nudge: false },
    });
    expect(formatSend({ ...withSent, sent: [] }, 'segment-identify')).toMatchObject({ traits: {} });
  });

  test('user left: false for each step given', () => {
    expect(formatExit(exit, ['second-nudge'], 'segment-identify')).toEqual({
      type: 'identify',
      userId: 'u1',
      messageId: `${exit.id}-exit`,
      timestamp: '2026-01-02T11:30:00.250Z',
      traits: { j_o_cart_abandonment__second_nudge: false },
    });
  });
});

describe('transition', () => {
  test('the record as is (send present, sent absent)', () => {
    expect(formatSend(send, 'transition')).toEqual(send);
    expect(JSON.parse(JSON.stringify(formatSend(send, 'transition')))).toEqual(send);
  });

  test('the $exit record as is, for the user-left message too', () => {
    expect(formatExit(exit, ['nudge-email'], 'transition')).toEqual(exit);
    expect('send' in formatExit(exit, ['nudge-email'], 'transition')).toBe(false);
  });

  test('a copy: formatting never shares the record', () => {
    const out = formatSend(send, 'transition');
    (out.send as { to: string[] }).to.push('x');
    expect(send.send.to).toEqual(['crm', 'ads']);
  });
});
