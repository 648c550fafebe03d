// A user's state written under one journey file, read by an engine that loaded another (a processor restarted
// with a new version, or with the file edited in place; spec §4.6). The engine holds only the loaded file.
import { Engine } from '../../../src/engine/engine';
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

  test('an instance whose steps the new version still has goes on', () => {
    const v2 = new Engine(loadYaml({ 'dr.journey.yaml': file(2, 'old-wait') }));
    const fired = v2.advance(enteredUnderV1(), T('11:00'));
    expect(lines(fired.transitions)).toEqual(['u1/dr/1 v1 old-wait→tell wait 11:00', 'u1/dr/1 v1 tell→$complete end 11:00']);
  });
});
