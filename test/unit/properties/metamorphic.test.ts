// Metamorphic properties: changes to the input or the definitions that must not change the output.
// They catch a condition whose change by time is not scheduled at the exact instant (§3: "the engine
// computes that instant and schedules it; it never polls"): such a miss is hidden while something else
// happens to re-evaluate it, so the output then depends on unrelated journeys or messages.
import fc from 'fast-check';
import type { Condition, Definitions } from '../../../src/definitions/model';
import { caseArb, loadJourneys, type RawMessage } from '../../helpers/generators';
import { parseAll, simulate } from './harness';

/** Users that had a message the engine evaluated (not group/alias, not a possible duplicate): before it, a condition entry has not looked at them yet. */
function evaluated(messages: RawMessage[]): string[] {
  const users = new Set<string>();
  const ids = new Set<string>();
  for (const m of messages) {
    if (typeof m.userId !== 'string') continue;
    const id = typeof m.messageId === 'string' ? `${m.userId}/${m.messageId}` : null;
    if (m.type !== 'group' && m.type !== 'alias' && (id === null || !ids.has(id))) users.add(m.userId);
    if (id !== null) ids.add(id);
  }
  return [...users];
}

function hasContextLeaf(c: Condition): boolean {
  if (c.kind === 'context') return true;
  if (c.kind === 'all' || c.kind === 'any') return c.of.some(hasContextLeaf);
  if (c.kind === 'not') return hasContextLeaf(c.of);
  return false;
}

/**
 * Records an idle message must not change: those of journeys where one path can wait on the context
 * while another changes it (a `branch` step and a context leaf in a waitUntil or branch). There a path
 * sees a context change made by another path only "from the next message or flip on" (spec §3), and an
 * idle message is such a next message.
 */
function comparable(defs: Definitions): (line: string) => boolean {
  const excluded = new Set(
    defs.journeys
      .filter((j) => j.steps.some((s) => s.type === 'branch') && j.steps.some((s) => (s.type === 'waitUntil' && hasContextLeaf(s.condition)) || (s.type === 'branch' && s.branches.some((b) => hasContextLeaf(b.when)))))
      .map((j) => j.id),
  );
  return (line) => !excluded.has((JSON.parse(line) as { journey: string }).journey);
}

describe('what must not change the output', () => {
  test('other journeys: each journey alone gives the records it gives among the others (no instance limit)', () => {
    fc.assert(
      fc.property(caseArb(40, 3), (c) => {
        fc.pre(c.journeys.length > 1);
        const options = { ...c.options, maxInstances: 1000 };
        const messages = parseAll(c.messages);
        const defs = loadJourneys(c.journeys);
        const together = simulate(defs, options, messages, c.until).filter(comparable(defs));
        for (const j of c.journeys) {
          const id = String(j.doc.journey);
          // (Another journey's flip is a "flip on" after which a path sees another path's context change.)
          const alone = simulate(loadJourneys([j]), options, messages, c.until).filter(comparable(defs));
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
        const known = c.messages.map((m, i) => [m, i] as const).filter(([m, i]) => evaluated(c.messages.slice(0, i + 1)).includes(String(m.userId)));
        fc.pre(known.length > 0);
        const [m, i] = known[where % known.length]!;
        const idle: RawMessage = identify
          ? { type: 'identify', userId: m.userId, timestamp: m.timestamp, traits: {} }
          : { type: 'track', userId: m.userId, timestamp: m.timestamp, event: 'Nobody Listens', properties: { cart_id: 'c1', total: 1 } };
        const defs = loadJourneys(c.journeys);
        const base = simulate(defs, c.options, parseAll(c.messages), c.until);
        const withIdle = simulate(defs, c.options, parseAll([...c.messages.slice(0, i + 1), idle, ...c.messages.slice(i + 1)]), c.until);
        const keep = comparable(defs);
        expect(withIdle.filter(keep).join('\n')).toBe(base.filter(keep).join('\n'));
      }),
      { numRuns: 150 },
    );
  });

  test('polling: idle messages for every known user every few minutes (up to `until`) change nothing: every change by time was scheduled', () => {
    fc.assert(
      fc.property(caseArb(), fc.constantFrom(5, 10, 17, 30), fc.nat(), (c, minutes, offset) => {
        fc.pre(c.messages.length > 0);
        const defs = loadJourneys(c.journeys);
        const base = simulate(defs, c.options, parseAll(c.messages), c.until);
        const step = minutes * 60_000;
        const messages: RawMessage[] = [];
        let clock = Number.NEGATIVE_INFINITY;
        c.messages.forEach((m, i) => {
          messages.push(m);
          clock = Math.max(clock, Date.parse(String(m.timestamp)));
          // Between this message's clock and the next message's timestamp (after the last one: `until`).
          const next = i + 1 < c.messages.length ? Date.parse(String(c.messages[i + 1]!.timestamp)) : c.until;
          const users = evaluated(c.messages.slice(0, i + 1));
          const first = Math.floor(clock / step) * step + (offset % step);
          for (let t = first <= clock ? first + step : first; t <= next; t += step) {
            for (const u of users) messages.push({ type: 'identify', userId: u, timestamp: new Date(t).toISOString(), traits: {} });
          }
        });
        const keep = comparable(defs);
        expect(simulate(defs, c.options, parseAll(messages), c.until).filter(keep).join('\n')).toBe(base.filter(keep).join('\n'));
      }),
      { numRuns: 150 },
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
