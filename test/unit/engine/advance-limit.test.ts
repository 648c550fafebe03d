// `advance` with a transitions limit (the processor's bound on one transaction): it stops between instants once
// the limit is reached, says it is behind, and calls that go on from there make the same records, in the same
// order, and the same state as one call without a limit.
import { Engine } from '../../../src/engine/engine';
import type { Transition } from '../../../src/engine/transition';
import { loadYaml, testMessage } from '../../helpers/test-driver';

const T0 = Date.parse('2026-03-01T00:00:00.000Z');
const HOUR = 3_600_000;
// A re-entry every second while an order is under 2 h old; and a journey of two waits, whose timers fall at
// instants of the loop's too.
const LOOP = 'journey: loop\nentry: { condition: { performed: Order, within: 2h }, reentry: after-exit, reentryAfter: 1s }\nexit: { after: 2h }\nsteps:\n  - id: ping\n    waitUntil: { condition: { performed: Order } }\n';
const WAITS = 'journey: waits\nentry: { event: Order }\nsteps:\n  - { id: one, wait: 30m }\n  - { id: two, wait: 30m }\n';

function started(engine: Engine) {
  return engine.process(undefined, testMessage({ type: 'track', userId: 'u1', event: 'Order', timestamp: new Date(T0).toISOString(), messageId: 'o1' }), T0).state;
}

test('advance in steps of at most ~100 transitions gives the records and state of one advance', () => {
  const engine = new Engine(loadYaml({ 'loop.journey.yaml': LOOP, 'waits.journey.yaml': WAITS }));
  const whole = started(engine);
  const stepped = structuredClone(whole);
  const all = engine.advance(whole, T0 + 3 * HOUR);
  expect(all.behind).toBeUndefined();
  expect(all.transitions.length).toBe(2 * 7199 + 2); // the loop's timers, and the second wait's two records

  const parts: Transition[][] = [];
  for (;;) {
    const r = engine.advance(stepped, T0 + 3 * HOUR, 100);
    parts.push(r.transitions);
    if (r.behind === undefined) break;
    // Stopped between instants, once at the limit: an instant here makes at most three records.
    expect(r.transitions.length).toBeGreaterThanOrEqual(100);
    expect(r.transitions.length).toBeLessThan(103);
  }
  expect(parts.length).toBeGreaterThan(100);
  expect(parts.flat().map((t) => t.id)).toEqual(all.transitions.map((t) => t.id));
  expect(parts.flat()).toEqual(all.transitions);
  expect(stepped).toEqual(whole);
});

test('a limit below one instant still fires that instant, so each call moves the user on', () => {
  const engine = new Engine(loadYaml({ 'loop.journey.yaml': LOOP }));
  const state = started(engine);
  const first = engine.advance(state, T0 + 3 * HOUR, 1);
  expect(first.behind).toBe(true);
  expect(first.transitions.map((t) => [t.at, t.to])).toEqual([['2026-03-01T00:00:01.000Z', 'ping'], ['2026-03-01T00:00:01.000Z', '$complete']]);
  expect(engine.advance(state, T0 + 3 * HOUR, 1).transitions[0]?.at).toBe('2026-03-01T00:00:02.000Z');
});
