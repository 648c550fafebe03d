// Which messages a transition record gives one destination (spec §6).
import { buildSendIndex, route, sendSteps } from '../../../src/sinks/router';
import { parseSentToHeader, sentToHeader } from '../../../src/codecs/sent-to-header';
import type { Journey } from '../../../src/definitions/model';
import type { Transition } from '../../../src/engine/transition';

const journey = {
  id: 'j',
  steps: [
    { id: 'first', type: 'send', send: { to: ['crm', 'ads'], event: 'first', traits: [] }, next: 'wait' },
    { id: 'wait', type: 'wait', duration: 1000, next: 'second' },
    { id: 'second', type: 'send', send: { to: ['crm'], event: 'second', traits: [] }, next: 'end' },
  ],
} as unknown as Journey;
const index = buildSendIndex({ journeys: [journey] });

const base: Transition = {
  id: 'f'.repeat(64), journey: 'j', version: 1, instance: 'u/j/1', seq: 1, userId: 'u', from: null, to: 'first',
  reason: 'entry', at: '2026-01-01T00:00:00.000Z', cause: { messageId: 'm1', event: 'Signed Up' }, context: {},
};

const crm = { id: 'crm', format: 'segment-track' as const };
const ads = { id: 'ads', format: 'segment-identify' as const };
const other = { id: 'warehouse', format: 'transition' as const };

describe('route', () => {
  test('a send step: one message per destination of send.to, none for the others', () => {
    const t = { ...base, send: { to: ['crm', 'ads'], event: 'first', traits: {} } };
    expect(route(t, crm, index).messages.map((m) => [m.id, m.userId, m.body.type])).toEqual([[t.id, 'u', 'track']]);
    expect(route(t, ads, index).messages.map((m) => [m.id, m.body.type])).toEqual([[t.id, 'identify']]);
    expect(route(t, other, index).messages).toEqual([]);
  });

  test('a transition without send: nothing', () => {
    expect(route({ ...base, to: 'wait', from: 'first', reason: 'next' }, crm, index).messages).toEqual([]);
  });

  test('$exit: "user left" to each destination a sent step sent to, naming only its steps', () => {
    const t: Transition = { ...base, seq: 5, from: 'wait', to: '$exit', reason: 'exit-rule', sent: ['first', 'second'] };
    const toCrm = route(t, crm, index).messages;
    expect(toCrm).toHaveLength(1);
    expect(toCrm[0]!.id).toBe(`${t.id}-exit`);
    expect(toCrm[0]!.body.properties).toMatchObject({ j_o_j__first: false, j_o_j__second: false });
    const toAds = route(t, ads, index).messages;
    expect(toAds.map((m) => m.body.traits)).toEqual([{ j_o_j__first: false }]);
    expect(route(t, other, index).messages).toEqual([]);
  });

  test('$exit with an empty sent: nothing (without an exit send)', () => {
    expect(route({ ...base, to: '$exit', reason: 'exit-after', sent: [] }, crm, index).messages).toEqual([]);
  });

  test('$exit with an exit send: the send (transition id) then the user-left message (<id>-exit)', () => {
    const t: Transition = { ...base, to: '$exit', reason: 'exit-rule', send: { to: ['crm', 'warehouse'], event: 'Journey Exited', traits: {} }, sent: ['first'] };
    expect(route(t, crm, index).messages.map((m) => [m.id, m.body.event])).toEqual([
      [t.id, 'Journey Exited'],
      [`${t.id}-exit`, 'Audience Exited'],
    ]);
    expect(route(t, other, index).messages.map((m) => m.id)).toEqual([t.id]);
    expect(route(t, ads, index).messages.map((m) => m.id)).toEqual([`${t.id}-exit`]);
  });

  test('a sent step the definitions no longer have is reported, not announced', () => {
    const t: Transition = { ...base, to: '$exit', reason: 'exit-rule', sent: ['gone', 'first'] };
    const r = route(t, ads, index);
    expect(r.unknownSteps).toEqual(['gone']);
    expect(r.messages.map((m) => m.body.traits)).toEqual([{ j_o_j__first: false }]);
    expect(route({ ...t, journey: 'removed' }, ads, index)).toEqual({ messages: [], unknownSteps: ['gone', 'first'] });
  });

  test('a step named twice in sent is named once', () => {
    const t: Transition = { ...base, to: '$exit', reason: 'exit-rule', sent: ['first', 'first'] };
    expect(route(t, ads, index).messages[0]!.body.traits).toEqual({ j_o_j__first: false });
  });

  test("$exit with the processor's journeys-sent-to header: its destinations, not the loaded file's (a draining version)", () => {
    // The instance's version sent `first` to ads only and had a step `gone` to crm; the loaded file sends `first` to both.
    const header = parseSentToHeader(Buffer.from(JSON.stringify({ first: ['ads'], gone: ['crm'] })));
    const t: Transition = { ...base, to: '$exit', reason: 'exit-rule', sent: ['gone', 'first'] };
    expect(route(t, crm, index, header)).toEqual({ messages: [expect.objectContaining({ id: `${t.id}-exit` })], unknownSteps: [] });
    expect(route(t, crm, index, header).messages[0]!.body.properties).toMatchObject({ j_o_j__gone: false });
    expect(route(t, crm, index, header).messages[0]!.body.properties).not.toHaveProperty('j_o_j__first');
    expect(route(t, ads, index, header).messages.map((m) => m.body.traits)).toEqual([{ j_o_j__first: false }]);
    // A step the header leaves out (not a send step of that version) is not announced, whatever the loaded file says.
    expect(route({ ...t, sent: ['second'] }, crm, index, parseSentToHeader('{}'))).toEqual({ messages: [], unknownSteps: ['second'] });
  });
});

describe('the journeys-sent-to header', () => {
  test('names the destinations of the sent steps the version has, and reads back', () => {
    const value = sentToHeader(['second', 'wait', 'first', 'nope'], sendSteps(journey));
    expect(JSON.parse(value)).toEqual({ second: ['crm'], first: ['crm', 'ads'] });
    expect(parseSentToHeader(Buffer.from(value))).toEqual(new Map([['second', ['crm']], ['first', ['crm', 'ads']]]));
  });

  test('a missing or unreadable header is none (the loaded definitions route the record)', () => {
    for (const bad of [undefined, 'not json', '[]', 'null', '{"a": "crm"}', '{"a": [1]}', [Buffer.from('{}'), Buffer.from('{}')]]) {
      expect(parseSentToHeader(bad)).toBeNull();
    }
  });
});
