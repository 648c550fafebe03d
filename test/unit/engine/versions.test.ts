// A user's state written under one journey file, read by an engine that loaded another (a processor restarted
// with a new version, or with the file edited in place; spec §4.6). The processor keeps the versions it has
// loaded and gives the engine the earlier ones: live instances finish on the version they entered, unless the
// new file's `migrate` moves them.
import { Engine } from '../../../src/engine/engine';
import type { Journey } from '../../../src/definitions/model';
import type { UserState } from '../../../src/engine/state';
import type { Transition } from '../../../src/engine/transition';
import { loadYaml, testMessage } from '../../helpers/test-driver';

const T = (hhmm: string): number => Date.parse(`2026-03-01T${hhmm}:00.000Z`);
const go = (hhmm: string) => testMessage({ type: 'track', userId: 'u1', event: 'Go', messageId: `go-${hhmm}`, timestamp: new Date(T(hhmm)).toISOString() });
const file = (version: number, wait: string, extra = '') => `journey: dr
version: ${version}
entry: { event: Go, reentry: always }
${extra}steps:
  - id: ${wait}
    wait: 1h
    next: tell
  - id: tell
    send: { to: [crm] }
`;
const lines = (ts: Transition[]) => ts.map((t) => `${t.instance} v${t.version} ${t.from ?? 'null'}→${t.to} ${t.reason} ${t.at.slice(11, 16)}`);
/** The state as the changelog carries it: JSON, read back into a new object. */
const reread = (s: UserState): UserState => JSON.parse(JSON.stringify(s)) as UserState;

function enteredUnderV1(): UserState {
  const v1 = new Engine(loadYaml({ 'dr.journey.yaml': file(1, 'old-wait') }));
  const r = v1.process(undefined, go('10:00'), T('10:00'));
  expect(lines(r.transitions)).toEqual(['u1/dr/1 v1 null→old-wait entry 10:00']);
  return reread(r.state);
}

describe('a journey not loaded', () => {
  test('its live instances are dropped without transitions, and the runtime is told (to warn: spec §4.6)', () => {
    const without = new Engine(loadYaml({ 'other.journey.yaml': file(1, 'w').replace('journey: dr', 'journey: other').replace('Go', 'Other') }));
    const fired = without.advance(enteredUnderV1(), T('12:00'));
    expect(fired.transitions).toEqual([]);
    expect(fired.stats.dropped).toEqual([{ journey: 'dr', why: 'not-loaded', instances: 1 }]);
    expect(fired.state.journeys.dr?.instances).toEqual([]);
  });
});

describe('a live instance at a step the loaded file lacks', () => {
  test('is dropped without transitions (its own file is not kept); the user goes on under the loaded version', () => {
    const v2 = new Engine(loadYaml({ 'dr.journey.yaml': file(2, 'new-wait') }));
    const state = enteredUnderV1();
    const fired = v2.advance(state, T('11:00'));
    expect(fired.transitions).toEqual([]);
    expect(fired.stats.dropped).toEqual([{ journey: 'dr', why: 'step-gone', instances: 1 }]);
    expect(fired.state.journeys.dr?.instances).toEqual([]);
    expect(fired.state.timers).toEqual([]);
    const r = v2.process(fired.state, go('11:30'), T('11:30'));
    expect(lines(r.transitions)).toEqual(['u1/dr/2 v2 null→new-wait entry 11:30']);
  });

  test('the same when the file was edited in place, without a new version', () => {
    const edited = new Engine(loadYaml({ 'dr.journey.yaml': file(1, 'renamed') }));
    const r = edited.process(enteredUnderV1(), go('10:30'), T('10:30'));
    expect(lines(r.transitions)).toEqual(['u1/dr/2 v1 null→renamed entry 10:30']);
  });

  test('an instance of a version not kept (state older than the kept versions) goes on under the loaded file while its steps exist', () => {
    const v2 = new Engine(loadYaml({ 'dr.journey.yaml': file(2, 'old-wait') }));
    const fired = v2.advance(enteredUnderV1(), T('11:00'));
    expect(lines(fired.transitions)).toEqual(['u1/dr/1 v1 old-wait→tell wait 11:00', 'u1/dr/1 v1 tell→$complete end 11:00']);
  });
});

const v1Of = (text: string): Journey => loadYaml({ 'dr.journey.yaml': text }).journeys[0] as Journey;
/** The engine of a processor that loaded `text` after `earlier` versions. */
const loaded = (text: string, ...earlier: string[]): Engine => new Engine(loadYaml({ 'dr.journey.yaml': text }), {}, new Map(), earlier.map(v1Of));
const stop = (hhmm: string) => testMessage({ type: 'track', userId: 'u1', event: 'Stop', messageId: `stop-${hhmm}`, timestamp: new Date(T(hhmm)).toISOString() });

describe('draining: live instances finish on the version they entered (spec §4.6)', () => {
  test('a v1 instance runs v1 steps and sends (records say version 1); the next entry goes to v2', () => {
    const v2 = loaded(file(2, 'new-wait').replace('send: { to: [crm] }', 'send: { to: [email] }'), file(1, 'old-wait'));
    const fired = v2.advance(enteredUnderV1(), T('12:00'));
    expect(lines(fired.transitions)).toEqual(['u1/dr/1 v1 old-wait→tell wait 11:00', 'u1/dr/1 v1 tell→$complete end 11:00']);
    expect(fired.transitions[0]?.send?.to).toEqual(['crm']);
    expect(fired.stats.dropped).toBeUndefined();
    const r = v2.process(fired.state, go('12:30'), T('12:30'));
    const after = v2.advance(r.state, T('14:00'));
    expect(lines([...r.transitions, ...after.transitions])).toEqual([
      'u1/dr/2 v2 null→new-wait entry 12:30', 'u1/dr/2 v2 new-wait→tell wait 13:30', 'u1/dr/2 v2 tell→$complete end 13:30',
    ]);
    expect(after.transitions[0]?.send?.to).toEqual(['email']);
  });

  test("exit rules and the exit send are the instance's own version's", () => {
    const withStop = file(1, 'old-wait', 'exit: { events: [{ event: Stop }], send: { to: [crm], event: Left v1 } }\n');
    const v1 = new Engine(loadYaml({ 'dr.journey.yaml': withStop }));
    const s = v1.process(undefined, go('10:00'), T('10:00')).state;
    const v2 = loaded(file(2, 'old-wait'), withStop);
    const stopped = v2.process(reread(s), stop('10:20'), T('10:20'));
    // v1's rule ends the v1 instance with v1's send; v2 has no exit rule, so its instance goes on.
    expect(lines(stopped.transitions)).toEqual(['u1/dr/1 v1 old-wait→$exit exit-rule 10:20']);
    expect(stopped.transitions[0]?.send).toEqual({ to: ['crm'], event: 'Left v1', traits: {} });
    const again = v2.process(stopped.state, go('10:30'), T('10:30'));
    expect(lines(v2.process(again.state, stop('10:40'), T('10:40')).transitions)).toEqual([]);
    expect(again.state.journeys.dr?.instances.map((i) => `${i.seq} v${i.version}`)).toEqual(['2 v2']);
  });

  test('a draining version that is not the previous one is not migrated', () => {
    const v3 = loaded(`${file(3, 'w3')}migrate: { w2: w3, old-wait: w3 }\n`, file(1, 'old-wait'), file(2, 'w2'));
    const fired = v3.advance(enteredUnderV1(), T('10:30'));
    expect(fired.transitions).toEqual([]);
    expect(lines(v3.advance(fired.state, T('11:00')).transitions)).toEqual(['u1/dr/1 v1 old-wait→tell wait 11:00', 'u1/dr/1 v1 tell→$complete end 11:00']);
  });

  test('an archived new version stops the draining instances too', () => {
    const v2 = loaded(file(2, 'new-wait').replace('journey: dr', 'journey: dr\nstatus: archived'), file(1, 'old-wait'));
    const fired = v2.advance(enteredUnderV1(), T('12:00'));
    expect(fired.transitions).toEqual([]);
    expect(fired.stats.dropped).toEqual([{ journey: 'dr', why: 'archived', instances: 1 }]);
  });

  test('a paused new version takes no entries; the v1 instance still finishes', () => {
    const v2 = loaded(file(2, 'new-wait').replace('journey: dr', 'journey: dr\nstatus: paused'), file(1, 'old-wait'));
    const r = v2.process(enteredUnderV1(), go('10:30'), T('10:30'));
    expect(r.transitions).toEqual([]);
    expect(lines(v2.advance(r.state, T('12:00')).transitions)).toEqual(['u1/dr/1 v1 old-wait→tell wait 11:00', 'u1/dr/1 v1 tell→$complete end 11:00']);
  });
});

/** A journey whose instances wait at `first`, then at `second`. */
const TWO_WAITS = `journey: dr
entry: { event: Go, reentry: always }
steps:
  - { id: first, wait: 1h, next: second }
  - { id: second, wait: 1h }
`;

/** A journey whose instances wait on two paths at once (`right`, then `left`). */
const FORKING = `journey: dr
entry: { event: Go, reentry: always }
steps:
  - id: fork
    branch:
      branches:
        - { when: { trait: a, exists: false }, next: left }
        - { when: { trait: b, exists: false }, next: right }
  - { id: left, wait: 1h, next: end }
  - { id: right, wait: 2h, next: end }
`;

describe('migrate: instances of the previous version move to the new one (spec §4.6)', () => {
  const v2With = (body: string, migrate: string, extra = '') => `journey: dr
version: 2
entry: { event: Go, reentry: always }
${extra}migrate: ${migrate}
steps:
${body}`;

  test('to a step of the same kind: one record (reason next) at the migration instant, the pending timer kept', () => {
    const v2 = loaded(v2With('  - { id: hold, wait: 3h, next: tell2 }\n  - { id: tell2, send: { to: [email] } }\n', '{ old-wait: hold }'), file(1, 'old-wait'));
    const moved = v2.advance(enteredUnderV1(), T('10:30'));
    expect(lines(moved.transitions)).toEqual(['u1/dr/1 v2 old-wait→hold next 10:30']);
    expect(moved.transitions[0]?.cause).toBeNull();
    expect(moved.stats.migrated).toEqual([{ journey: 'dr', from: 1, to: 2, instances: 1 }]);
    // The v1 wait was due at 11:00 and stands (not restarted as 3h from now).
    const fired = v2.advance(moved.state, T('12:00'));
    expect(lines(fired.transitions)).toEqual(['u1/dr/1 v2 hold→tell2 wait 11:00', 'u1/dr/1 v2 tell2→$complete end 11:00']);
    expect(fired.transitions[0]?.send?.to).toEqual(['email']);
    // Ids follow the record's version and the instance's seq.
    expect(new Set([...moved.transitions, ...fired.transitions].map((t) => t.seq))).toEqual(new Set([2, 3, 4]));
  });

  test('to a step of another kind: the step runs as on entry (its timeout counts from the migration)', () => {
    const v2 = loaded(v2With('  - id: ask\n    waitFor: { events: [{ event: Reply, next: end }], timeout: 2h, onTimeout: end }\n', '{ old-wait: ask }'), file(1, 'old-wait'));
    const moved = v2.advance(enteredUnderV1(), T('10:30'));
    expect(lines(moved.transitions)).toEqual(['u1/dr/1 v2 old-wait→ask next 10:30']);
    expect(lines(v2.advance(moved.state, T('11:30')).transitions)).toEqual([]);
    expect(lines(v2.advance(moved.state, T('13:00')).transitions)).toEqual(['u1/dr/1 v2 ask→$complete end 12:30']);
  });

  test('to a send step: the record carries the send, and the path goes on', () => {
    const v2 = loaded(v2With('  - { id: nudge, send: { to: [sms] } }\n', '{ old-wait: nudge }'), file(1, 'old-wait'));
    const moved = v2.advance(enteredUnderV1(), T('10:30'));
    expect(lines(moved.transitions)).toEqual(['u1/dr/1 v2 old-wait→nudge next 10:30', 'u1/dr/1 v2 nudge→$complete end 10:30']);
    expect(moved.transitions[0]?.send).toEqual({ to: ['sms'], event: 'nudge', traits: {} });
    expect(moved.state.timers.filter((t) => t.journey === 'dr')).toEqual([]);
  });

  test('to end: the path ends ($complete for the last one)', () => {
    const v2 = loaded(v2With('  - { id: w, wait: 1h }\n', '{ old-wait: end }'), file(1, 'old-wait'));
    const moved = v2.advance(enteredUnderV1(), T('10:30'));
    expect(lines(moved.transitions)).toEqual(['u1/dr/1 v2 old-wait→$complete end 10:30']);
    expect(moved.state.journeys.dr?.instances).toEqual([]);
  });

  test('in a message: the move comes before the message is offered, which then meets the new version', () => {
    const v2 = loaded(v2With('  - id: ask\n    waitFor: { events: [{ event: Stop, next: end }], timeout: 2h, onTimeout: end }\n', '{ old-wait: ask }'), file(1, 'old-wait'));
    const r = v2.process(enteredUnderV1(), stop('10:30'), T('10:30'));
    expect(lines(r.transitions)).toEqual(['u1/dr/1 v2 old-wait→ask next 10:30', 'u1/dr/1 v2 ask→$complete end 10:30']);
    expect(r.transitions[0]?.cause).toBeNull();
    expect(r.transitions[1]?.cause?.event).toBe('Stop');
  });

  test("the new version's exit.after counts from the entry; its exit condition is checked at the move", () => {
    const hold = '  - id: hold\n    waitFor: { events: [{ event: Never }], timeout: 5h, onTimeout: end }\n';
    const after = loaded(v2With(hold, '{ old-wait: hold }', 'exit: { after: 2h }\n'), file(1, 'old-wait'));
    const moved = after.advance(enteredUnderV1(), T('10:30'));
    expect(lines(after.advance(moved.state, T('13:00')).transitions)).toEqual(['u1/dr/1 v2 hold→$exit exit-after 12:00']);

    const cond = loaded(v2With('  - { id: hold, wait: 5h }\n', '{ old-wait: hold }', 'exit: { condition: { trait: plan, exists: false } }\n'), file(1, 'old-wait'));
    expect(lines(cond.advance(enteredUnderV1(), T('10:30')).transitions)).toEqual(['u1/dr/1 v2 old-wait→$exit exit-condition 10:30']);
  });

  test('an instance at a step the map does not name drains on its version; the move is decided once per user', () => {
    const v1 = TWO_WAITS;
    const s = new Engine(loadYaml({ 'dr.journey.yaml': v1 })).process(undefined, go('10:00'), T('10:00')).state;
    const v2 = loaded(v2With('  - { id: later, wait: 1h }\n', '{ second: later }'), v1);
    const first = v2.advance(reread(s), T('10:30'));
    expect(first.transitions).toEqual([]);
    expect(first.state.journeys.dr?.migrated).toBe(2);
    // It reaches the mapped step on v1 later, read back from the store: still v1 (not moved at a later evaluation).
    const on = v2.advance(reread(first.state), T('11:30'));
    expect(lines(on.transitions)).toEqual(['u1/dr/1 v1 first→second wait 11:00']);
    expect(lines(v2.advance(reread(on.state), T('13:00')).transitions)).toEqual(['u1/dr/1 v1 second→$complete end 12:00']);
  });

  test('two paths mapped to one step join there: one send, the later path ends', () => {
    const s = new Engine(loadYaml({ 'dr.journey.yaml': FORKING })).process(undefined, go('10:00'), T('10:00')).state;
    const v2 = loaded(v2With('  - { id: nudge, send: { to: [sms] }, next: hold }\n  - { id: hold, wait: 1h }\n', '{ left: nudge, right: nudge }'), FORKING);
    const moved = v2.advance(reread(s), T('10:30'));
    expect(lines(moved.transitions)).toEqual(['u1/dr/1 v2 right→nudge next 10:30', 'u1/dr/1 v2 nudge→hold next 10:30', 'u1/dr/1 v2 left→$end end 10:30']);
    expect(moved.transitions.filter((t) => t.send !== undefined)).toHaveLength(1);
  });

  test("an exit.after of the new version already past: the instance exits at the move, without entering the new step", () => {
    const v1 = 'journey: dr\nentry: { event: Go, reentry: always }\nsteps:\n  - { id: long, wait: 5h }\n';
    const s = new Engine(loadYaml({ 'dr.journey.yaml': v1 })).process(undefined, go('10:00'), T('10:00')).state;
    const v2 = loaded(v2With('  - { id: nudge, send: { to: [sms] } }\n', '{ long: nudge }', 'exit: { after: 1h }\n'), v1);
    expect(lines(v2.advance(reread(s), T('11:30')).transitions)).toEqual(['u1/dr/1 v2 long→$exit exit-after 11:30']);
  });

  test('a rollback to a version does not move what it left draining (a later version decided since)', () => {
    const v1 = TWO_WAITS;
    const v2 = v2With('  - { id: later, wait: 1h }\n', '{ second: later }');
    const v3 = v2With('  - { id: latest, wait: 1h }\n', '{ later: latest }').replace('version: 2', 'version: 3');
    const s = new Engine(loadYaml({ 'dr.journey.yaml': v1 })).process(undefined, go('10:00'), T('10:00')).state;
    // v2 leaves the instance draining (it waits at `first`), then v3 is loaded and decides for the user.
    const under2 = loaded(v2, v1).advance(reread(s), T('10:30')).state;
    const dr = under2.journeys.dr;
    if (dr !== undefined) dr.migrated = 3;
    // Back to v2, after v1 reached `second` (a step v2 maps): it stays on v1.
    const back = loaded(v2, v1, v3);
    expect(lines(back.advance(reread(under2), T('11:30')).transitions)).toEqual(['u1/dr/1 v1 first→second wait 11:00']);
  });

  test("a migrated instance's $exit: the sends made before the move keep their version's destinations (for the sink, spec §6)", () => {
    const v1 = 'journey: dr\nversion: 1\nentry: { event: Go }\nsteps:\n  - { id: hi, send: { to: [crm] } }\n  - { id: hold, wait: 1h }\n';
    const entered = new Engine(loadYaml({ 'dr.journey.yaml': v1 })).process(undefined, go('10:00'), T('10:00'));
    for (const map of ['{ hold: hold2 }', '{ hold: hold2, hi: hello }']) {
      const v2 = loaded(v2With('  - { id: hello, send: { to: [email] } }\n  - { id: hi, send: { to: [email] } }\n  - { id: hold2, wait: 3h }\n', map, 'exit: { events: [{ event: Stop }] }\n'), v1);
      const moved = v2.advance(reread(entered.state), T('10:30'));
      expect(lines(moved.transitions)).toEqual(['u1/dr/1 v2 hold→hold2 next 10:30']);
      const exit = v2.process(reread(moved.state), stop('10:40'), T('10:40'));
      expect(lines(exit.transitions)).toEqual(['u1/dr/1 v2 hold2→$exit exit-rule 10:40']);
      expect(exit.transitions[0]?.sent).toEqual(['hi']);
      expect(exit.stats.sentTo).toEqual([{ transition: exit.transitions[0]?.id, steps: [['hi', ['crm']]] }]);
    }
    // An instance that never migrated keeps nothing of the kind; its exit reports its own version's destinations.
    const withStop = v1.replace('steps:', 'exit: { events: [{ event: Stop }] }\nsteps:');
    const exit = loaded(withStop).process(reread(entered.state), stop('10:40'), T('10:40'));
    expect(lines(exit.transitions)).toEqual(['u1/dr/1 v1 hold→$exit exit-rule 10:40']);
    expect(entered.state.journeys.dr?.instances[0]?.sentEarlier).toBeUndefined();
    expect(exit.stats.sentTo).toEqual([{ transition: exit.transitions[0]?.id, steps: [['hi', ['crm']]] }]);
    // Draining under a loaded v2 whose `hi` sends elsewhere: still v1's destinations.
    const v2 = loaded(withStop.replace('version: 1', 'version: 2').replace('[crm]', '[email]').replace('id: hold,', 'id: hold2,'), withStop);
    const drained = v2.process(reread(entered.state), stop('10:40'), T('10:40'));
    expect(lines(drained.transitions)).toEqual(['u1/dr/1 v1 hold→$exit exit-rule 10:40']);
    expect(drained.stats.sentTo).toEqual([{ transition: drained.transitions[0]?.id, steps: [['hi', ['crm']]] }]);
  });

  test("a send step sent under v1 and entered again by the move: the $exit names both versions' destinations", () => {
    const v1 = 'journey: dr\nversion: 1\nentry: { event: Go }\nsteps:\n  - { id: hi, send: { to: [crm] } }\n  - { id: hold, wait: 1h }\n';
    const entered = new Engine(loadYaml({ 'dr.journey.yaml': v1 })).process(undefined, go('10:00'), T('10:00'));
    const v2 = loaded(v2With('  - { id: hi, send: { to: [email, crm] } }\n  - { id: hold2, wait: 3h }\n', '{ hold: hi }', 'exit: { events: [{ event: Stop }] }\n'), v1);
    const moved = v2.advance(reread(entered.state), T('10:30'));
    expect(lines(moved.transitions)).toEqual(['u1/dr/1 v2 hold→hi next 10:30', 'u1/dr/1 v2 hi→hold2 next 10:30']);
    expect(moved.transitions[0]?.send?.to).toEqual(['email', 'crm']);
    const exit = v2.process(reread(moved.state), stop('10:40'), T('10:40'));
    expect(exit.transitions[0]?.sent).toEqual(['hi']);
    expect(exit.stats.sentTo).toEqual([{ transition: exit.transitions[0]?.id, steps: [['hi', ['crm', 'email']]] }]);
  });

  test('a forked instance moves only when every path is at a named step', () => {
    const s = new Engine(loadYaml({ 'dr.journey.yaml': FORKING })).process(undefined, go('10:00'), T('10:00')).state;
    expect(s.journeys.dr?.instances[0]?.paths.map((p) => p.step)).toEqual(['right', 'left']);
    const partial = loaded(v2With('  - { id: l2, wait: 1h }\n', '{ left: l2 }'), FORKING).advance(reread(s), T('10:30'));
    expect(partial.transitions).toEqual([]);
    const both = loaded(v2With('  - { id: l2, wait: 1h }\n  - { id: r2, wait: 1h }\n', '{ left: l2, right: end }'), FORKING).advance(reread(s), T('10:30'));
    expect(lines(both.transitions)).toEqual(['u1/dr/1 v2 right→$end end 10:30', 'u1/dr/1 v2 left→l2 next 10:30']);
  });
});
