// A condition-entry journey that goes live after some users were already seen (a journey deployed to a running
// processor, spec §4.1): the condition's truth at go-live is their starting point, so only a later false→true
// change enters them; with `historical: true`, those for whom it holds at go-live enter then.
import { Engine } from '../../../src/engine/engine';
import type { UserState } from '../../../src/engine/state';
import type { Transition } from '../../../src/engine/transition';
import type { Message } from '../../../src/ingest/message';
import { loadYaml, testMessage } from '../../helpers/test-driver';

const T = (hhmm: string): number => Date.parse(`2026-03-01T${hhmm}:00.000Z`);
const journey = (historical: boolean) => `journey: pro
entry:
  condition: { trait: plan, equals: pro }${historical ? '\n  historical: true' : ''}
steps:
  - id: hello
    wait: 1h
`;

const message = (raw: Record<string, unknown>): Message => testMessage({ messageId: `m-${String(raw.timestamp)}-${String(raw.type)}`, ...raw });
const identify = (at: string, traits: Record<string, unknown>) => message({ type: 'identify', userId: 'u1', timestamp: new Date(T(at)).toISOString(), traits });
const track = (at: string) => message({ type: 'track', userId: 'u1', event: 'Ping', timestamp: new Date(T(at)).toISOString() });

/** A user seen at 09:00 (plan already pro), before the journey existed. */
function before(): UserState {
  const none = new Engine(loadYaml({}));
  return none.process(undefined, identify('09:00', { plan: 'pro' }), T('09:00')).state;
}

const lines = (ts: Transition[]) => ts.map((t) => `${t.from ?? 'null'}→${t.to} ${t.reason} ${t.at} ${t.cause === null ? 'time' : 'message'}`);

describe('condition entry going live on users seen before', () => {
  test('a user for whom it already holds at go-live does not enter; a later false→true change does', () => {
    const engine = new Engine(loadYaml({ 'pro.journey.yaml': journey(false) }), {}, new Map([['pro', T('10:00')]]));
    let r = engine.process(before(), track('11:00'), T('11:00'));
    expect(r.transitions).toEqual([]);
    r = engine.process(r.state, identify('12:00', { plan: 'free' }), T('12:00'));
    r = engine.process(r.state, identify('13:00', { plan: 'pro' }), T('13:00'));
    expect(lines(r.transitions)).toEqual(['null→hello entry 2026-03-01T13:00:00.000Z message']);
  });

  test('historical: true enters such a user at the go-live instant, by time', () => {
    const engine = new Engine(loadYaml({ 'pro.journey.yaml': journey(true) }), {}, new Map([['pro', T('10:00')]]));
    const r = engine.process(before(), track('11:30'), T('11:30'));
    expect(lines(r.transitions)).toEqual(['null→hello entry 2026-03-01T10:00:00.000Z time', 'hello→$complete end 2026-03-01T11:00:00.000Z time']);
    // A timer of the user fires the same go-live (here: nothing due, so only advance to past it).
    const engine2 = new Engine(loadYaml({ 'pro.journey.yaml': journey(true) }), {}, new Map([['pro', T('10:00')]]));
    expect(lines(engine2.advance(before(), T('10:30')).transitions)).toEqual(['null→hello entry 2026-03-01T10:00:00.000Z time']);
  });

  test.each([false, true])('a timer of the user due before go-live (a flip of another journey) does not enter them early (historical: %s)', (historical) => {
    const recent = 'journey: recent\nentry: { event: Order }\nsteps:\n  - id: quiet\n    waitUntil:\n      condition: { not: { performed: Order, within: 1d } }\n';
    const old = new Engine(loadYaml({ 'recent.journey.yaml': recent }));
    let state = old.process(undefined, identify('09:00', { plan: 'pro' }), T('09:00')).state;
    state = old.process(state, message({ type: 'track', userId: 'u1', event: 'Order', timestamp: new Date(T('09:30')).toISOString() }), T('09:30')).state;
    state = old.advance(state, T('10:30')).state;
    // "recent" waits for a day without orders: a wake-up of the user before the new journey exists.
    expect(state.flipAt).toBe(T('09:30') + 86_400_000);
    const goLive = T('09:30') + 2 * 86_400_000;
    const engine = new Engine(loadYaml({ 'recent.journey.yaml': recent, 'pro.journey.yaml': journey(historical) }), {}, new Map([['pro', goLive]]));
    const entries = engine.advance(state, goLive + 1000).transitions.filter((t) => t.from === null);
    expect(lines(entries)).toEqual(historical ? [`null→hello entry ${new Date(goLive).toISOString()} time`] : []);
  });

  test.each([false, true])('a new version going live sets the starting point again for users who knew the previous one (historical: %s)', (historical) => {
    const v1 = loadYaml({ 'pro.journey.yaml': journey(false) });
    let state = new Engine(v1).process(undefined, identify('09:00', { plan: 'team' }), T('09:00')).state;
    expect(state.journeys.pro?.conditionTrue).toBe(false);
    // Version 2 takes teams in too; it goes live at 10:00, when the user already qualifies.
    const v2 = `version: 2\n${journey(historical).replace('{ trait: plan, equals: pro }', '{ trait: plan, in: [pro, team] }')}`;
    const engine = new Engine(loadYaml({ 'pro.journey.yaml': v2 }), {}, new Map([['pro', T('10:00')]]));
    const r = engine.process(state, track('10:30'), T('10:30'));
    // Not a false→true change at 10:30: it was true when version 2 went live. Historical: entered then.
    expect(lines(r.transitions)).toEqual(historical ? ['null→hello entry 2026-03-01T10:00:00.000Z time'] : []);
    expect(r.transitions.every((t) => t.version === 2)).toBe(true);
    state = r.state;
    expect(state.journeys.pro?.liveV).toBe(2);
  });

  test('a user first seen after go-live counts as false before their first message (enters at once), as in simulate', () => {
    const engine = new Engine(loadYaml({ 'pro.journey.yaml': journey(false) }), {}, new Map([['pro', T('10:00')]]));
    expect(lines(engine.process(undefined, identify('11:00', { plan: 'pro' }), T('11:00')).transitions)).toEqual(['null→hello entry 2026-03-01T11:00:00.000Z message']);
  });

  test('without a go-live instant (simulate), a user seen before the journey existed is taken as false', () => {
    const engine = new Engine(loadYaml({ 'pro.journey.yaml': journey(false) }));
    expect(lines(engine.process(before(), track('11:00'), T('11:00')).transitions)).toEqual(['null→hello entry 2026-03-01T11:00:00.000Z message']);
  });
});
