// Cut and reload (what the Kafka processor depends on): stop the run at any point, serialise every user's
// state with JSON.stringify, load it with JSON.parse into a fresh engine, continue, and get exactly the
// output of the uncut run. The runtime cut is the Simulator itself (the test-side Harness adds the snapshot
// into the processor's pieces and the reload from them).
import fc from 'fast-check';
import { caseArb, loadJourneys } from '../../helpers/generators';
import { parseAll, runWithCuts, simulate, type Cut } from './harness';

/** Up to 4 cuts, each before a message (or before the final advance) and maybe after a partial clock advance. */
const cutsArb = fc.array(
  fc.record({ at: fc.nat(), advance: fc.oneof(fc.constant(null), fc.double({ min: 0, max: 1, noNaN: true })) }),
  { maxLength: 4 },
);

function place(cuts: { at: number; advance: number | null }[], n: number): Cut[] {
  return cuts.map((c) => ({ at: c.at % (n + 1), advance: c.advance }));
}

describe('cut and reload', () => {
  test('cut anywhere (also between timers), reload every state from JSON, continue: the output of the uncut run', () => {
    fc.assert(
      fc.property(caseArb(), cutsArb, (c, rawCuts) => {
        const defs = loadJourneys(c.journeys);
        const messages = parseAll(c.messages);
        const cuts = place(rawCuts, messages.length);
        const uncut = simulate(defs, c.options, messages, c.until);
        expect(runWithCuts(defs, c.options, messages, c.until, cuts).join('\n')).toBe(uncut.join('\n'));
      }),
      { numRuns: 200 },
    );
  });

  test('cut before every message and before the final advance: the output of the uncut run', () => {
    fc.assert(
      fc.property(caseArb(), fc.boolean(), (c, partial) => {
        const defs = loadJourneys(c.journeys);
        const messages = parseAll(c.messages);
        const cuts = Array.from({ length: messages.length + 1 }, (_, at) => ({ at, advance: partial ? 0.5 : null }));
        const uncut = simulate(defs, c.options, messages, c.until);
        expect(runWithCuts(defs, c.options, messages, c.until, cuts).join('\n')).toBe(uncut.join('\n'));
      }),
      { numRuns: 80 },
    );
  });
});
