// What `journeys replay` asks of the engine (spec §7): `learn` builds a user's facts from messages without
// offering them to any journey; `adoptHistory` takes a rebuilt history where it is the longer one.
import { Engine } from '../../../src/engine/engine';
import { newUserState } from '../../../src/engine/state';
import type { Message } from '../../../src/ingest/message';
import { loadYaml, testMessage } from '../../helpers/test-driver';

const DAY = 86_400_000;
const T0 = Date.parse('2026-03-01T00:00:00.000Z');
const VIP = 'journey: vip\nentry:\n  condition: { performed: Order, atLeast: 2 }\n  historical: true\nsteps:\n  - { id: v, wait: 1h }\n';
const RECENT = 'journey: recent\nentry:\n  condition: { performed: Order, within: 1d }\nsteps:\n  - { id: r, wait: 1h }\n';
const PING = 'journey: ping\nentry: { event: Order }\nsteps:\n  - { id: p, wait: 1h }\n';

const order = (at: number, id = `o-${at}`): Message => testMessage({ type: 'track', userId: 'u1', event: 'Order', timestamp: new Date(at).toISOString(), messageId: id });

describe('replay: learn and adoptHistory', () => {
  test('learn counts history, merges traits and skips duplicates, and no journey sees the messages', () => {
    const engine = new Engine(loadYaml({ 'ping.journey.yaml': PING, 'vip.journey.yaml': VIP }));
    const state = newUserState('u1', T0);
    expect(engine.learn(state, order(T0), T0)).toEqual({ duplicate: false });
    expect(engine.learn(state, order(T0, `o-${T0}`), T0 + 1000)).toEqual({ duplicate: true });
    engine.learn(state, testMessage({ type: 'identify', userId: 'u1', timestamp: new Date(T0 + 2000).toISOString(), traits: { plan: 'pro' }, messageId: 'i1' }), T0 + 2000);
    engine.learn(state, order(T0 + DAY), T0 + DAY);
    expect(Object.values(state.history).map((h) => h.n)).toEqual([2]);
    expect(state.traits).toEqual({ plan: 'pro' });
    expect(state.journeys).toEqual({});
    expect(state.timers).toEqual([]);
    expect(state.now).toBe(T0 + DAY);
  });

  test('adoptHistory takes the longer history per signature, keeps the longer own one, and reschedules flips', () => {
    const engine = new Engine(loadYaml({ 'recent.journey.yaml': RECENT, 'vip.journey.yaml': VIP }));
    const rebuilt = newUserState('u1', T0);
    for (const at of [T0, T0 + DAY, T0 + 2 * DAY]) engine.learn(rebuilt, order(at), at);
    // The user's own state began tracking orders later: one order.
    const own = newUserState('u1', T0 + 2 * DAY);
    engine.learn(own, order(T0 + 2 * DAY), T0 + 2 * DAY);
    const signature = Object.keys(own.history)[0] as string;
    expect(engine.adoptHistory(own, rebuilt.history)).toBe(true);
    expect(own.history[signature]?.n).toBe(3);
    // "recent" turns false a day after the last order: the flip is scheduled from the adopted history.
    expect(own.flipAt).toBe(T0 + 3 * DAY);
    // The same again changes nothing; a shorter one (from a later --from) is not taken.
    expect(engine.adoptHistory(own, rebuilt.history)).toBe(false);
    const shorter = newUserState('u1', T0 + 2 * DAY);
    engine.learn(shorter, order(T0 + 2 * DAY), T0 + 2 * DAY);
    expect(engine.adoptHistory(own, shorter.history)).toBe(false);
    expect(own.history[signature]?.n).toBe(3);
  });

  test("the state's count stands when it started earlier, but the replay's older timestamps come in for a longer window", () => {
    // Processors ran with only `recent` (1 day): the state counted all 30 daily orders but kept the last day's.
    // The replay (of the last 10 days) is for `monthly`, which counts 5 within 30 days.
    const monthly = 'journey: monthly\nentry:\n  condition: { performed: Order, atLeast: 5, within: 30d }\n  historical: true\nsteps:\n  - { id: m, wait: 1h }\n';
    const days = Array.from({ length: 30 }, (_, d) => T0 + d * DAY);
    const end = days.at(-1) as number;
    let own = newUserState('u1', T0);
    const old = new Engine(loadYaml({ 'recent.journey.yaml': RECENT }));
    for (const at of days) own = old.process(own, order(at), at).state;
    const signature = Object.keys(own.history)[0] as string;
    expect([own.history[signature]?.n, own.history[signature]?.ts.length]).toEqual([30, 1]);
    const engine = new Engine(loadYaml({ 'recent.journey.yaml': RECENT, 'monthly.journey.yaml': monthly }), {}, new Map([['monthly', end]]));
    const rebuilt = newUserState('u1', days[20] as number);
    for (const at of days.slice(20)) engine.learn(rebuilt, order(at), at);
    expect(engine.adoptHistory(own, rebuilt.history)).toBe(true);
    expect(own.history[signature]).toEqual({ n: 30, ts: days.slice(20) });
    // Again: nothing more to take.
    expect(engine.adoptHistory(own, rebuilt.history)).toBe(false);
    const entered = engine.advance(own, end).transitions.filter((t) => t.journey === 'monthly');
    expect(entered.map((t) => `${t.from ?? 'null'}→${t.to} ${t.reason}`)).toEqual(['null→m entry']);
  });

  test('after adoptHistory, a journey gone live takes the user in at its go-live instant (historical), counting the rebuilt orders', () => {
    const goLive = T0 + 5 * DAY;
    const rebuilt = newUserState('u1', T0);
    const learner = new Engine(loadYaml({ 'vip.journey.yaml': VIP }));
    for (const at of [T0, T0 + DAY]) learner.learn(rebuilt, order(at), at);
    const own = new Engine(loadYaml({ 'ping.journey.yaml': PING })).process(undefined, order(T0 + DAY), T0 + DAY).state;
    const engine = new Engine(loadYaml({ 'ping.journey.yaml': PING, 'vip.journey.yaml': VIP }), {}, new Map([['vip', goLive]]));
    // Without the rebuilt history the user has no counted order: nothing at go-live.
    expect(engine.advance(structuredClone(own), goLive).transitions.filter((t) => t.journey === 'vip')).toEqual([]);
    engine.adoptHistory(own, rebuilt.history);
    const entered = engine.advance(own, goLive).transitions.filter((t) => t.journey === 'vip');
    expect(entered.map((t) => `${t.from ?? 'null'}→${t.to} ${t.at}`)).toEqual([`null→v ${new Date(goLive).toISOString()}`]);
  });
});
