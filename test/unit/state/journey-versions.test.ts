// What a partition keeps of the journey versions it has run (spec §4.6), and when a new version's `migrate`
// calls for bringing every user to the instant it is loaded.
import { journeyConditions } from '../../../src/definitions/conditions';
import type { Journey } from '../../../src/definitions/model';
import { journeyOfVersionKey, keptVersions, newlyCountedEvents, parseVersionRecord, retiredJourneys, versionKey, versionRecord } from '../../../src/state/journey-versions';
import { fromPieces, toPieces } from '../../../src/state/pieces';
import { newUserState } from '../../../src/engine/state';
import { loadYaml } from '../../helpers/test-driver';

const journey = (id: string, version: number, migrate = ''): Journey => loadYaml({
  [`${id}.journey.yaml`]: `journey: ${id}\nversion: ${version}\nentry: { event: Go }\n${migrate}steps:\n  - { id: w${version}, wait: 1h }\n`,
}).journeys[0] as Journey;
const stored = (...js: Journey[]): Map<string, string> => new Map(js.map((j) => [versionKey(j.id, j.version), versionRecord(j)]));

describe('keptVersions', () => {
  test('a first start keeps the loaded versions; nothing is earlier, nothing migrates', () => {
    const kept = keptVersions(new Map(), [journey('a', 1), journey('b', 4)]);
    expect(kept.earlier).toEqual([]);
    expect(kept.unwritten.map(([k]) => k)).toEqual(['d/a/1', 'd/b/4']);
    expect(kept.migrating).toEqual([]);
  });

  test('the same versions again: nothing to write', () => {
    const a = journey('a', 1);
    expect(keptVersions(stored(a), [a]).unwritten).toEqual([]);
  });

  test('the record keeps the file by name only: the folder it was loaded from does not count', () => {
    const a = journey('a', 1);
    expect(keptVersions(stored({ ...a, file: '/elsewhere/a.journey.yaml' }), [a]).unwritten).toEqual([]);
    expect((JSON.parse(versionRecord(a)) as { journey: Journey }).journey.file).toBe('a.journey.yaml');
  });

  test('a new version: the earlier ones are given to the engine, read back equal', () => {
    const [a1, a2] = [journey('a', 1), journey('a', 2)];
    const kept = keptVersions(stored(a1, a2), [journey('a', 3)]);
    expect(kept.earlier.map((j) => j.version).sort()).toEqual([1, 2]);
    expect(kept.earlier.find((j) => j.version === 1)?.steps).toEqual(a1.steps);
    expect(kept.unwritten.map(([k]) => k)).toEqual(['d/a/3']);
    expect(kept.migrating).toEqual([]);
  });

  test("a new version with migrate moves from the latest kept before it; a version kept already does not migrate again", () => {
    const v3 = journey('a', 3, 'migrate: { w2: w3 }\n');
    expect(keptVersions(stored(journey('a', 1), journey('a', 2)), [v3]).migrating).toEqual([{ journey: 'a', version: 3, from: 2 }]);
    expect(keptVersions(stored(journey('a', 2), v3), [v3]).migrating).toEqual([]);
    // Nothing kept before it: nothing to move.
    expect(keptVersions(stored(journey('a', 4)), [v3]).migrating).toEqual([]);
  });

  test('the loaded version edited in place is written again; it migrates only if the edit brought its map', () => {
    const v2 = journey('a', 2, 'migrate: { w1: w2 }\n');
    const renamed = keptVersions(stored(journey('a', 1), { ...v2, name: 'before the edit' }), [v2]);
    expect(renamed.unwritten.map(([k]) => k)).toEqual(['d/a/2']);
    expect(renamed.migrating).toEqual([]);
    const mapAdded = keptVersions(stored(journey('a', 1), { ...v2, migrate: null }), [v2]);
    expect(mapAdded.migrating).toEqual([{ journey: 'a', version: 2, from: 1 }]);
  });

  test('versions of journeys not loaded, and records of another format, are not used', () => {
    const other = stored(journey('b', 1));
    other.set('d/a/1', JSON.stringify({ format: 99, journey: journey('a', 1) }));
    expect(keptVersions(other, [journey('a', 2)]).earlier).toEqual([]);
  });
});

test("a user's state keeps the version whose migrate it has had (pieces)", () => {
  const state = newUserState('u1', 0);
  state.journeys.a = { entries: 1, lastEndAt: null, conditionTrue: false, instances: [], migrated: 3 };
  expect(fromPieces('u1', toPieces(state))?.journeys.a?.migrated).toBe(3);
});

test('parseVersionRecord reads a kept record (as the sink does from the versions topic) and refuses anything else', () => {
  const a = journey('a', 3);
  expect(parseVersionRecord(versionRecord(a))).toEqual({ ...a, file: 'a.journey.yaml' });
  expect(parseVersionRecord(JSON.stringify({ format: 2, journey: a }))).toBeNull();
  expect(parseVersionRecord(JSON.stringify({ format: 1 }))).toBeNull();
  expect(parseVersionRecord('null')).toBeNull();
  expect(parseVersionRecord('{not json')).toBeNull();
});

test('retiredJourneys: the archived loaded journeys and the kept ones no file loads, in id order', () => {
  const [a, b, c] = [journey('a', 1), journey('b-2', 2), journey('c', 1)];
  expect(retiredJourneys(stored(a, b, c), [a, b, c])).toEqual([]);
  expect(retiredJourneys(stored(a, b, c), [{ ...c, status: 'archived' }, a])).toEqual(['b-2', 'c']);
  // Kept versions of an id count once; a paused journey is not retired; a first start retires only what it loads archived.
  expect(retiredJourneys(stored(journey('b-2', 1), b), [{ ...a, status: 'paused' }])).toEqual(['b-2']);
  expect(retiredJourneys(new Map(), [{ ...a, status: 'archived' }, c])).toEqual(['a']);
});

test('journeyOfVersionKey reads back the journey of versionKey, and nothing of another key', () => {
  expect(journeyOfVersionKey(versionKey('b-2', 3))).toBe('b-2');
  expect([journeyOfVersionKey('d/'), journeyOfVersionKey('d/x'), journeyOfVersionKey('u/x/1')]).toEqual([null, null, null]);
});

test('newlyCountedEvents: the loaded journeys that count events no kept version nor audience counted', () => {
  const counting = (id: string, when: string): Journey => loadYaml({
    [`${id}.journey.yaml`]: `journey: ${id}\nentry:\n  event: Go\n  when: ${when}\nsteps:\n  - { id: w, wait: 1h }\n`,
  }).journeys[0] as Journey;
  const orders = counting('vip', '{ performed: Order Completed, atLeast: 2 }');
  const big = counting('big', '{ all: [{ performed: Order Completed, where: { total: { gt: 100 } } }, { performed: Visit }, { performed: Visit, within: 1d }] }');
  const plain = journey('plain', 1);
  const kept = (...js: Journey[]): Journey[] => keptVersions(stored(...js), []).kept;
  // A first start: no user predates the load, nothing to say; a partition that has seen records but kept no
  // version (it ran with no journey) counted nothing.
  expect(newlyCountedEvents(kept(), [orders], [], false)).toEqual([]);
  expect(newlyCountedEvents(kept(), [orders], [], true)).toEqual([{ journey: 'vip', events: ['Order Completed'] }]);
  // A journey added to a partition that ran without it; the same filter of the same event counted before is enough.
  expect(newlyCountedEvents(kept(plain), [plain, orders], [], true)).toEqual([{ journey: 'vip', events: ['Order Completed'] }]);
  expect(newlyCountedEvents(kept(plain, orders), [plain, orders, counting('vip2', '{ performed: Order Completed, atLeast: 3 }')], [], true)).toEqual([]);
  // Another filter is another count; each event named once.
  expect(newlyCountedEvents(kept(orders), [orders, big], [], true)).toEqual([{ journey: 'big', events: ['Order Completed', 'Visit'] }]);
  // An audience counts its events whether a journey uses it or not; archived and draft journeys count nothing.
  expect(newlyCountedEvents(kept(plain), [orders], journeyConditions(orders), true)).toEqual([]);
  expect(newlyCountedEvents(kept(plain), [{ ...orders, status: 'archived' }, { ...big, status: 'draft' }], [], true)).toEqual([]);
});
