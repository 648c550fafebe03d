// The piece layout of a user's state (LevelDB and changelog records): what goes in the core, what gets a
// piece of its own, and that every layout written reads back to the same state.
import { newUserState, type Instance, type UserState } from '../../../src/engine/state';
import { setOwn } from '../../../src/lib/own';
import { CORE_INLINE_BUDGET, CORE_PIECE, fromPieces, INLINE_MAX, toPieces, userPrefix } from '../../../src/state/pieces';

function instance(seq: number, note = ''): Instance {
  return { seq, version: 1, enteredAt: 1000, lastSeq: 1, context: [['Order Placed', { total: 12, note }]], paths: [{ id: 1, step: 'wait', restarts: 0 }], nextPathId: 2, entered: ['wait'], sent: [] };
}

/** The keys of the pieces, relative to the user's prefix, sorted. */
function relKeys(userId: string, pieces: Map<string, string>): string[] {
  const prefix = userPrefix(userId);
  return [...pieces.keys()].map((k) => k.slice(prefix.length)).sort();
}

interface CoreView { history: Record<string, unknown>; journeys: Record<string, { live: number[]; inline?: Record<string, unknown> }> }
function coreOf(userId: string, pieces: Map<string, string>): CoreView {
  return JSON.parse(pieces.get(userPrefix(userId) + CORE_PIECE) as string) as CoreView;
}

/** A state past the core budget (a long trait), so its large instance and history get pieces of their own. */
function sampleState(): UserState {
  const s = newUserState('user/1 é', 5000);
  s.traits = { plan: 'pro', notes: 'n'.repeat(CORE_INLINE_BUDGET) };
  s.processed = 3;
  s.dedup = [['m1', 4000, 1], ['m2', 4500, 2], ['m3', 5000, 3]];
  s.history = {
    small: { n: 2, ts: [4000, 4500] },
    big: { n: 200, ts: Array.from({ length: 200 }, (_, i) => 1_700_000_000_000 + i) },
  };
  s.journeys = {
    entered: { entries: 3, lastEndAt: 4200, conditionTrue: false, instances: [instance(2), instance(3, 'x'.repeat(INLINE_MAX))] },
    never: { entries: 0, lastEndAt: null, conditionTrue: false, instances: [] },
    watching: { entries: 0, lastEndAt: null, conditionTrue: true, instances: [], liveV: 2 },
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

  test('a state whose JSON fits the budget is the core alone, large instances and histories included', () => {
    const small = sampleState();
    small.traits = { plan: 'pro' };
    expect(JSON.stringify(small.history.big).length).toBeGreaterThan(INLINE_MAX);
    const out = toPieces(small);
    expect(relKeys(small.userId, out)).toEqual([CORE_PIECE]);
    expect((out.get(userPrefix(small.userId) + CORE_PIECE) as string).length).toBeLessThanOrEqual(CORE_INLINE_BUDGET);
    expect(Object.keys(coreOf(small.userId, out).journeys.entered?.inline ?? {})).toEqual(['2', '3']);
    const { never: _never, ...journeys } = small.journeys;
    expect(fromPieces(small.userId, out)).toEqual({ ...small, journeys });
  });

  test('past the budget: one core; a piece of its own per live instance, history and trait too long for the core', () => {
    expect(JSON.stringify(state.history.big).length).toBeGreaterThan(INLINE_MAX);
    expect(rel).toEqual([CORE_PIECE, 'h/big', 'i/entered/3', 't/notes']);
    const core = coreOf(state.userId, pieces);
    expect(Object.keys(core.history)).toEqual(['small']);
    expect(core.journeys.entered?.live).toEqual([2, 3]);
    expect(Object.keys(core.journeys.entered?.inline ?? {})).toEqual(['2']);
  });

  test('never-entered journeys are left out of the core (the engine creates them when needed); others stay', () => {
    expect(Object.keys(coreOf(state.userId, pieces).journeys).sort()).toEqual(['entered', 'watching']);
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
    expect(relKeys(state.userId, toPieces(grown))).toEqual([CORE_PIECE, 'h/small', 'i/entered/3', 't/notes']);
    expect(fromPieces(state.userId, toPieces(grown))).toEqual(grown);
  });

  test('an instance crossing the limit moves between the core and its own piece', () => {
    const grown = fromPieces(state.userId, pieces) as UserState;
    const [small, big] = grown.journeys.entered?.instances as [Instance, Instance];
    small.context = [...small.context, ['Big', { note: 'y'.repeat(INLINE_MAX) }]];
    big.context = [['Order Placed', { total: 1 }]];
    expect(relKeys(state.userId, toPieces(grown))).toEqual([CORE_PIECE, 'h/big', 'i/entered/2', 't/notes']);
    expect(fromPieces(state.userId, toPieces(grown))).toEqual(grown);
  });

  test('large traits are pieces of their own: five of 250 KiB (each from one message) and no record near 1 MiB', () => {
    const heavy = newUserState('heavy', 5000);
    heavy.traits = { plan: 'pro', ...Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`blob ${i}/x`, 'b'.repeat(250 * 1024)])) };
    setOwn(heavy.traits, '__proto__', 'a trait like any other');
    const out = toPieces(heavy);
    expect(relKeys('heavy', out)).toEqual([CORE_PIECE, ...Array.from({ length: 5 }, (_, i) => `t/blob%20${i}%2Fx`)]);
    for (const text of out.values()) expect(text.length).toBeLessThan(300 * 1024);
    expect(Object.keys(JSON.parse(out.get(userPrefix('heavy') + CORE_PIECE) as string) as { traits: object })).toContain('ownTraits');
    const back = fromPieces('heavy', out) as UserState;
    expect(back).toEqual(heavy);
    expect(Object.prototype.hasOwnProperty.call(back.traits, '__proto__')).toBe(true);
    // A trait piece the core names but the store lacks: the state is corrupt, not silently without it.
    const missing = new Map([...out].filter(([k]) => !k.endsWith('t/blob%200%2Fx')));
    expect(() => fromPieces('heavy', missing)).toThrow(/trait blob 0\/x is missing/);
  });

  test('a large trait whose name holds a lone surrogate (JSON allows it) gets a key of its own and reads back', () => {
    const odd = newUserState('odd', 5000);
    // Names that a lossy encoding would fold together: the lone surrogate, U+FFFD, and the key text itself.
    const names = ['\ud800', '\ufffd', '%uD800', 'a\udc00b\ud83d\ude00'];
    odd.traits = Object.fromEntries(names.map((name, i) => [name, String(i).repeat(20 * 1024)]));
    const out = toPieces(odd);
    expect(relKeys('odd', out)).toEqual([CORE_PIECE, 't/%25uD800', 't/%EF%BF%BD', 't/%uD800', 't/a%uDC00b%F0%9F%98%80'].sort());
    expect(fromPieces('odd', out)).toEqual(odd);
  });

  test('past the core budget, instances and histories get pieces of their own; the core stays bounded', () => {
    const many = newUserState('many', 5000);
    const count = Math.ceil((2 * CORE_INLINE_BUDGET) / JSON.stringify(instance(1)).length);
    many.journeys = { j: { entries: count, lastEndAt: null, conditionTrue: false, instances: Array.from({ length: count }, (_, i) => instance(i + 1)) } };
    many.history = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`s${i}`, { n: 1, ts: [i] }]));
    const out = toPieces(many);
    const keys = relKeys('many', out);
    expect(keys.filter((k) => k.startsWith('i/')).length).toBeGreaterThan(count / 3);
    expect(keys.filter((k) => k.startsWith('h/')).length).toBeGreaterThan(0);
    const core = coreOf('many', out);
    const inlineBytes = [...Object.values(core.journeys.j?.inline ?? {}), ...Object.values(core.history)].reduce((n: number, v) => n + JSON.stringify(v).length, 0);
    expect(inlineBytes).toBeLessThanOrEqual(CORE_INLINE_BUDGET);
    expect(inlineBytes).toBeGreaterThan(CORE_INLINE_BUDGET - INLINE_MAX);
    // Earlier instances ride in the core, later ones are pieces: the order of the live list is kept.
    expect(core.journeys.j?.inline?.['1']).toBeDefined();
    expect(core.journeys.j?.live).toEqual(many.journeys.j?.instances.map((i) => i.seq));
    expect(fromPieces('many', out)).toEqual(many);
  });

  test('the layout before inline instances (every instance its own piece) reads the same', () => {
    const earlier = new Map<string, string>();
    const { history, journeys, ...rest } = state;
    const { never: _never, ...entered } = journeys;
    const core = {
      ...rest,
      journeys: Object.fromEntries(Object.entries(entered).map(([id, js]) => [id, { entries: js.entries, lastEndAt: js.lastEndAt, conditionTrue: js.conditionTrue, live: js.instances.map((i) => i.seq), ...(js.liveV === undefined ? {} : { liveV: js.liveV }) }])),
      history: { small: history.small }, own: ['big'],
    };
    earlier.set(prefix + CORE_PIECE, JSON.stringify(core));
    earlier.set(`${prefix}h/big`, JSON.stringify(history.big));
    for (const inst of journeys.entered?.instances ?? []) earlier.set(`${prefix}i/entered/${inst.seq}`, JSON.stringify(inst));
    expect(fromPieces(state.userId, earlier)).toEqual({ ...state, journeys: entered });
  });

  test('the older layout (every history its own piece, every journey in the core) reads the same', () => {
    const old = new Map<string, string>();
    const { history, journeys, ...rest } = state;
    const core = { ...rest, journeys: Object.fromEntries(Object.entries(journeys).map(([id, js]) => [id, { entries: js.entries, lastEndAt: js.lastEndAt, conditionTrue: js.conditionTrue, live: js.instances.map((i) => i.seq), ...(js.liveV === undefined ? {} : { liveV: js.liveV }) }])) };
    old.set(prefix + CORE_PIECE, JSON.stringify(core));
    for (const [sig, h] of Object.entries(history)) old.set(`${prefix}h/${sig}`, JSON.stringify(h));
    for (const inst of journeys.entered?.instances ?? []) old.set(`${prefix}i/entered/${inst.seq}`, JSON.stringify(inst));
    expect(fromPieces(state.userId, old)).toEqual(state);
  });

  test('no core piece: no state', () => {
    expect(fromPieces('x', new Map([[`${userPrefix('x')}i/j/1`, JSON.stringify(instance(1))]]))).toBeUndefined();
  });
});
