// Metamorphic properties: changes to the input or the definitions that must not change the output.
// They catch a condition whose change by time is not scheduled at the exact instant (§3: "the engine
// computes that instant and schedules it; it never polls"): such a miss is hidden while something else
// happens to re-evaluate it, so the output then depends on unrelated journeys or messages.
import fc from 'fast-check';
import { caseArb, loadJourneys, type RawMessage } from '../../helpers/generators';
import { parseAll, simulate } from './harness';

describe('what must not change the output', () => {
  test('other journeys: each journey alone gives the records it gives among the others (no instance limit)', () => {
    fc.assert(
      fc.property(caseArb(40, 3), (c) => {
        fc.pre(c.journeys.length > 1);
        const options = { ...c.options, maxInstances: 1000 };
        const messages = parseAll(c.messages);
        const together = simulate(loadJourneys(c.journeys), options, messages, c.until);
        for (const j of c.journeys) {
          const id = String(j.doc.journey);
          const alone = simulate(loadJourneys([j]), options, messages, c.until);
          expect(alone.join('\n')).toBe(together.filter((l) => (JSON.parse(l) as { journey: string }).journey === id).join('\n'));
        }
      }),
      { numRuns: 80 },
    );
  });

  test('other users: the records of a user are the same when each message of another user is replaced by one without userId (it still moves the clock)', () => {
    fc.assert(
      fc.property(caseArb(), fc.constantFrom('u0', 'u1', 'u2'), (c, user) => {
        const defs = loadJourneys(c.journeys);
        const all = simulate(defs, c.options, parseAll(c.messages), c.until);
        const alone = c.messages.map((m): RawMessage => (m.userId === user ? m : { type: 'track', event: 'Start', timestamp: m.timestamp, properties: {} }));
        const mine = all.filter((l) => (JSON.parse(l) as { userId: string }).userId === user);
        expect(simulate(defs, c.options, parseAll(alone), c.until).join('\n')).toBe(mine.join('\n'));
      }),
      { numRuns: 150 },
    );
  });

  test('an idle message (an event no journey uses, or an empty identify) for a known user at the current clock changes nothing', () => {
    fc.assert(
      fc.property(caseArb(), fc.nat(), fc.boolean(), (c, where, identify) => {
        const known = c.messages.map((m, i) => [m, i] as const).filter(([m]) => m.userId !== undefined);
        fc.pre(known.length > 0);
        const [m, i] = known[where % known.length]!;
        const idle: RawMessage = identify
          ? { type: 'identify', userId: m.userId, timestamp: m.timestamp, traits: {} }
          : { type: 'track', userId: m.userId, timestamp: m.timestamp, event: 'Nobody Listens', properties: { cart_id: 'c1', total: 1 } };
        const defs = loadJourneys(c.journeys);
        const base = simulate(defs, c.options, parseAll(c.messages), c.until);
        const withIdle = simulate(defs, c.options, parseAll([...c.messages.slice(0, i + 1), idle, ...c.messages.slice(i + 1)]), c.until);
        expect(withIdle.join('\n')).toBe(base.join('\n'));
      }),
      { numRuns: 200 },
    );
  });

  test('an exact duplicate (same user and messageId) right after a message changes nothing', () => {
    fc.assert(
      fc.property(caseArb(), fc.nat(), (c, where) => {
        const candidates = c.messages.map((m, i) => [m, i] as const).filter(([m]) => m.userId !== undefined && m.messageId !== undefined);
        fc.pre(candidates.length > 0);
        const [m, i] = candidates[where % candidates.length]!;
        const defs = loadJourneys(c.journeys);
        const base = simulate(defs, c.options, parseAll(c.messages), c.until);
        const withDup = simulate(defs, c.options, parseAll([...c.messages.slice(0, i + 1), structuredClone(m), ...c.messages.slice(i + 1)]), c.until);
        expect(withDup.join('\n')).toBe(base.join('\n'));
      }),
      { numRuns: 150 },
    );
  });
});
