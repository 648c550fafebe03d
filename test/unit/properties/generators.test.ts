// The generators themselves: every generated journey file passes the validator (it is loaded with the
// real `loadDefinitions`), every generated message is valid, and the generated cases cover what the
// properties are meant to exercise (each step type, entry kind, re-entry mode, exit kind, condition leaf).
import fc from 'fast-check';
import type { Condition, Definitions } from '../../../src/definitions/model';
import { caseArb, journeysArb, loadJourneys, messagesArb } from '../../helpers/generators';
import { parseAll } from './harness';

function leaves(c: Condition | null, out: Set<string>): void {
  if (c === null) return;
  out.add(c.kind);
  if (c.kind === 'all' || c.kind === 'any') c.of.forEach((x) => leaves(x, out));
  else if (c.kind === 'not') leaves(c.of, out);
  else if (c.kind === 'performed' && c.window !== null) out.add(`performed-${c.window.kind}`);
}

/** Features of loaded definitions, for the coverage check. */
function features(defs: Definitions): Set<string> {
  const f = new Set<string>();
  for (const j of defs.journeys) {
    f.add(`entry-${j.entry.kind}`);
    f.add(`reentry-${j.entry.reentry}`);
    f.add(`status-${j.status}`);
    if (j.entry.kind === 'event') {
      if (j.entry.key !== null) f.add('key');
      leaves(j.entry.when, f);
    } else {
      leaves(j.entry.condition, f);
    }
    if (j.entry.reentryAfter !== null) f.add('reentryAfter');
    if (j.exit.after !== null) f.add('exit-after');
    if (j.exit.condition !== null) f.add('exit-condition');
    if (j.exit.events.length > 0) f.add('exit-events');
    if (j.exit.send !== null) f.add('exit-send');
    leaves(j.exit.condition, f);
    for (const s of j.steps) {
      f.add(`step-${s.type}`);
      if (s.type === 'waitFor') {
        if (s.branches.some((b) => b.restart)) f.add('waitFor-restart');
        if (s.branches.some((b) => b.alias !== null)) f.add('waitFor-alias');
        if (s.branches.some((b) => b.where.length > 0)) f.add('waitFor-where');
        if (s.branches.some((b) => b.sameKey)) f.add('waitFor-sameKey');
        if (new Set(s.branches.map((b) => b.event)).size < s.branches.length) f.add('waitFor-twin');
      }
      if (s.type === 'waitUntil') {
        f.add(s.timeout === null ? 'waitUntil-no-timeout' : 'waitUntil-timeout');
        leaves(s.condition, f);
      }
      if (s.type === 'split' || s.type === 'branch') s.branches.forEach((b) => leaves(b.when, f));
      if (s.type === 'random' && !s.sticky) f.add('random-unsticky');
      if ('next' in s && s.next === 'end') f.add('next-end');
    }
  }
  return f;
}

describe('generators', () => {
  test('every generated journey set loads (the validator accepts it)', () => {
    fc.assert(
      fc.property(journeysArb(3), (docs) => {
        loadJourneys(docs);
      }),
      { numRuns: 300 },
    );
  });

  test('every generated message is valid', () => {
    fc.assert(
      fc.property(messagesArb(60), (raw) => {
        parseAll(raw);
      }),
      { numRuns: 200 },
    );
  });

  test('the generated cases cover every step type, entry kind, exit kind and condition leaf', () => {
    const seen = new Set<string>();
    for (const c of fc.sample(caseArb(), { numRuns: 200, seed: 42 })) {
      for (const x of features(loadJourneys(c.journeys))) seen.add(x);
      for (const m of c.messages) {
        seen.add(`msg-${String(m.type)}`);
        if (m.messageId === undefined) seen.add('msg-no-id');
        if (m.userId === undefined) seen.add('msg-no-user');
      }
      const ids = c.messages.map((m) => m.messageId).filter((x) => x !== undefined);
      if (new Set(ids).size < ids.length) seen.add('msg-duplicate-id');
      const times = c.messages.map((m) => Date.parse(String(m.timestamp)));
      if (times.some((t, i) => i > 0 && t < Math.max(...times.slice(0, i)))) seen.add('msg-out-of-order');
    }
    const wanted = [
      'step-wait', 'step-waitFor', 'step-waitUntil', 'step-split', 'step-branch', 'step-random', 'step-send',
      'waitFor-restart', 'waitFor-alias', 'waitFor-where', 'waitFor-sameKey', 'waitFor-twin', 'waitUntil-no-timeout', 'waitUntil-timeout',
      'random-unsticky', 'next-end', 'entry-event', 'entry-condition', 'key', 'reentry-always', 'reentry-once', 'reentry-after-exit',
      'reentryAfter', 'status-live', 'status-paused', 'status-draft', 'exit-after', 'exit-condition', 'exit-events', 'exit-send',
      'performed', 'performed-within', 'performed-between', 'trait', 'audience', 'context', 'all', 'any', 'not',
      'msg-track', 'msg-identify', 'msg-page', 'msg-screen', 'msg-group', 'msg-alias', 'msg-no-id', 'msg-no-user', 'msg-duplicate-id', 'msg-out-of-order',
    ];
    expect(wanted.filter((w) => !seen.has(w))).toEqual([]);
  });
});
