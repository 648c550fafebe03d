// Properties of every run (spec §3, §4, §5) over random valid journeys and random Segment streams:
// record fields and ids, seq 1..n per instance, at most one closing record and nothing after it, every
// move along the step graph with the reason of its step type, sends and `sent` as specified, contexts
// within 64 KiB, the clock never going back; causes naming the message at its clock and the order of
// evaluation per message; random branches by the bucket rule; the entry rules; waitFor branches, exit
// rules and entry triggers that match; timers at exactly their due time; quiescence after every message
// and timer; unforked instances forming one chain; every instance closed once the clock is far enough
// ahead; and the same input giving the same bytes.
import fc from 'fast-check';
import { caseArb, loadJourneys, MAX_LIFETIME } from '../../helpers/generators';
import { parseAll, quiescenceRun, simulate } from './harness';
import { causeProblems, chainProblems, closureProblems, entryProblems, matchProblems, orderProblems, randomProblems, recordProblems, timingProblems } from './records';

const RUNS = 150;

describe('every run', () => {
  test('records: fields, ids, seq 1..n, one closing record last, moves along the step graph, time never goes back', () => {
    fc.assert(
      fc.property(caseArb(), (c) => {
        const defs = loadJourneys(c.journeys);
        const lines = simulate(defs, c.options, parseAll(c.messages), c.until);
        expect(recordProblems(lines, defs)).toEqual([]);
      }),
      { numRuns: RUNS },
    );
  });

  test('causes: a record made by a message names it and is at its clock; per message: exits first, a path offered it once, entry last (§3); random steps follow the bucket rule (§4.5)', () => {
    fc.assert(
      fc.property(caseArb(), (c) => {
        const defs = loadJourneys(c.journeys);
        const lines = simulate(defs, c.options, parseAll(c.messages), c.until);
        expect([...causeProblems(lines, c.messages), ...randomProblems(lines, defs), ...orderProblems(lines, defs)]).toEqual([]);
      }),
      { numRuns: 150 },
    );
  });

  test('entry rules: live journeys only, once, after-exit (+ reentryAfter), one live instance per key, the instance limit (§4.1)', () => {
    fc.assert(
      fc.property(caseArb(), (c) => {
        const defs = loadJourneys(c.journeys);
        const lines = simulate(defs, c.options, parseAll(c.messages), c.until);
        expect(entryProblems(lines, defs, c.options.maxInstances)).toEqual([]);
      }),
      { numRuns: 150 },
    );
  });

  test('matches: a waitFor takes the first matching branch (event, where, sameKey); an exit rule and an entry trigger match', () => {
    fc.assert(
      fc.property(caseArb(), (c) => {
        const defs = loadJourneys(c.journeys);
        const lines = simulate(defs, c.options, parseAll(c.messages), c.until);
        expect(matchProblems(lines, defs, c.messages)).toEqual([]);
      }),
      { numRuns: 150 },
    );
  });

  test('timers fire at exactly their due time (wait, timeout after the last restart, exit.after, expiry); each step entered once per instance', () => {
    fc.assert(
      fc.property(caseArb(), (c) => {
        const defs = loadJourneys(c.journeys);
        const lines = simulate(defs, c.options, parseAll(c.messages), c.until);
        expect(timingProblems(lines, defs, MAX_LIFETIME)).toEqual([]);
      }),
      { numRuns: 150 },
    );
  });

  test('quiescence: after each message or timer nothing is left that should happen at once (due timers, exit.condition, waitUntil, branch)', () => {
    fc.assert(
      fc.property(caseArb(), (c) => {
        const defs = loadJourneys(c.journeys);
        expect(quiescenceRun(defs, c.options, parseAll(c.messages), c.until)).toEqual([]);
      }),
      { numRuns: 150 },
    );
  });

  test('far past every timer and the max lifetime, every instance is closed exactly once', () => {
    fc.assert(
      fc.property(caseArb(), (c) => {
        const defs = loadJourneys(c.journeys);
        const lines = simulate(defs, c.options, parseAll(c.messages), c.until);
        expect(closureProblems(lines, c.until, MAX_LIFETIME)).toEqual([]);
      }),
      { numRuns: RUNS },
    );
  });

  test('no exclusive path in two steps: an instance that never forked is one chain (from = the previous to)', () => {
    fc.assert(
      fc.property(caseArb(), (c) => {
        const defs = loadJourneys(c.journeys);
        const lines = simulate(defs, c.options, parseAll(c.messages), c.until);
        expect(chainProblems(lines, defs)).toEqual([]);
      }),
      { numRuns: RUNS },
    );
  });

  test('determinism: the same input twice (definitions loaded afresh) gives byte-identical JSON lines', () => {
    fc.assert(
      fc.property(caseArb(), (c) => {
        const a = simulate(loadJourneys(c.journeys), c.options, parseAll(c.messages), c.until);
        const b = simulate(loadJourneys(c.journeys), c.options, parseAll(c.messages), c.until);
        expect(b.join('\n')).toBe(a.join('\n'));
      }),
      { numRuns: 60 },
    );
  });

  test('the generated cases are not trivial: most produce transitions, many close instances by timers', () => {
    let withRecords = 0, total = 0;
    const reasons = new Set<string>();
    for (const c of fc.sample(caseArb(), { numRuns: 150, seed: 7 })) {
      const lines = simulate(loadJourneys(c.journeys), c.options, parseAll(c.messages), c.until);
      total += lines.length;
      if (lines.length > 0) withRecords++;
      for (const l of lines) reasons.add((JSON.parse(l) as { reason: string }).reason);
    }
    expect(withRecords).toBeGreaterThan(75);
    expect(total).toBeGreaterThan(1000);
    expect([...reasons].sort()).toEqual(
      ['branch', 'condition', 'end', 'entry', 'event', 'exit-after', 'exit-condition', 'exit-rule', 'expired', 'next', 'random', 'restart', 'split', 'timeout', 'wait'].sort(),
    );
  });
});
