// The piece layout of a user's state (LevelDB and changelog records): what goes in the core, what gets a
// piece of its own, and that every layout written reads back to the same state.
import { newUserState, type Instance, type UserState } from '../../../src/engine/state';
import { CORE_PIECE, fromPieces, HISTORY_INLINE_MAX, toPieces, userPrefix } from '../../../src/state/pieces';

function instance(seq: number): Instance {
  return { seq, version: 1, enteredAt: 1000, lastSeq: 1, context: [['Order Placed', { total: 12 }]], paths: [{ id: 1, step: 'wait', restarts: 0 }], nextPathId: 2, entered: ['wait'], sent: [] };
}

function sampleState(): UserState {
  const s = newUserState('user/1 é', 5000);
  s.traits = { plan: 'pro' };
  s.processed = 3;
  s.dedup = [['m1', 4000, 1], ['m2', 4500, 2], ['m3', 5000, 3]];
  s.history = {
    small: { n: 2, ts: [4000, 4500] },
    big: { n: 200, ts: Array.from({ length: 200 }, (_, i) => 1_700_000_000_000 + i) },
  };
  s.journeys = {
    entered: { entries: 2, lastEndAt: 4200, conditionTrue: false, instances: [instance(2)] },
    never: { entries: 0, lastEndAt: null, conditionTrue: false, instances: [] },
    watching: { entries: 0, lastEndAt: null, conditionTrue: true, instances: [] },
  };
  s.timers = [{ at: 9000, seq: 1, kind: 'wait', journey: 'entered', instance: 2, path: 1 }];
  s.timerSeq = 1;
  return s;
}

describe('state pieces', () => {
  const state = sampleState();
  const pieces = toPieces(state);
  const prefix = userPrefix(state.userId);
  const rel = [...pieces.keys()].map((k) => k.slice(prefix.length)).sort();

  test('one core, one piece per live instance, one per history too long for the core', () => {
    expect(JSON.stringify(state.history.big).length).toBeGreaterThan(HISTORY_INLINE_MAX);
    expect(rel).toEqual([CORE_PIECE, 'h/big', 'i/entered/2']);
    const core = JSON.parse(pieces.get(prefix + CORE_PIECE) as string) as { history: Record<string, unknown>; journeys: Record<string, unknown> };
    expect(Object.keys(core.history)).toEqual(['small']);
  });

  test('never-entered journeys are left out of the core (the engine creates them when needed); others stay', () => {
    const core = JSON.parse(pieces.get(prefix + CORE_PIECE) as string) as { journeys: Record<string, unknown> };
    expect(Object.keys(core.journeys).sort()).toEqual(['entered', 'watching']);
  });

  test('pieces read back to the state (less the never-entered journey)', () => {
    const back = fromPieces(state.userId, pieces) as UserState;
    const { never: _never, ...journeys } = state.journeys;
    expect(back).toEqual({ ...state, journeys });
    // And again: the layout is stable, so an unchanged state writes nothing.
    expect([...toPieces(back)]).toEqual([...pieces]);
  });

  test('a history crossing the limit moves between the core and its own piece', () => {
    const grown = fromPieces(state.userId, pieces) as UserState;
    (grown.history.small as { ts: number[] }).ts.push(...Array.from({ length: 100 }, (_, i) => 1_800_000_000_000 + i));
    (grown.history.big as { ts: number[] }).ts.splice(0, 199);
    const after = [...toPieces(grown).keys()].map((k) => k.slice(prefix.length)).sort();
    expect(after).toEqual([CORE_PIECE, 'h/small', 'i/entered/2']);
    expect(fromPieces(state.userId, toPieces(grown))).toEqual(grown);
  });

  test('the older layout (every history its own piece, every journey in the core) reads the same', () => {
    const old = new Map<string, string>();
    const { history, journeys, ...rest } = state;
    const core = { ...rest, journeys: Object.fromEntries(Object.entries(journeys).map(([id, js]) => [id, { entries: js.entries, lastEndAt: js.lastEndAt, conditionTrue: js.conditionTrue, live: js.instances.map((i) => i.seq) }])) };
    old.set(prefix + CORE_PIECE, JSON.stringify(core));
    for (const [sig, h] of Object.entries(history)) old.set(`${prefix}h/${sig}`, JSON.stringify(h));
    old.set(`${prefix}i/entered/2`, JSON.stringify(instance(2)));
    expect(fromPieces(state.userId, old)).toEqual(state);
  });

  test('no core piece: no state', () => {
    expect(fromPieces('x', new Map([[`${userPrefix('x')}i/j/1`, JSON.stringify(instance(1))]]))).toBeUndefined();
  });
});
