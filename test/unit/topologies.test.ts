// The example journeys in topologies/ (what `npm run validate:topologies` checks in CI): every file is
// valid, every journey file is named after its journey id and cites its use case, and every journey
// is exercised by at least one scenario test in test/scenarios/.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadDefinitions, validateTopologies } from '../../src/definitions';

const ROOT = join(__dirname, '..', '..');
const TOPOLOGIES = join(ROOT, 'topologies');
const SCENARIOS = join(ROOT, 'test', 'scenarios');
const SUFFIX = '.journey.yaml';

const journeyFiles = readdirSync(TOPOLOGIES).filter((f) => f.endsWith(SUFFIX)).sort();
const ids = journeyFiles.map((f) => f.slice(0, -SUFFIX.length));

describe('topologies/', () => {
  test('every file is valid: zero problems', () => {
    const result = validateTopologies([TOPOLOGIES]);
    expect(result.problems).toEqual([]);
    expect(result.journeys).toBe(journeyFiles.length);
    expect(result.destinations).toBeGreaterThan(0);
  });

  test('the whole folder loads; each file holds the journey of its name, live, with a name and a description citing its use case', () => {
    const defs = loadDefinitions(TOPOLOGIES);
    expect(defs.journeys.map((j) => j.id)).toEqual(ids); // loaded in file-name order
    for (const j of defs.journeys) {
      expect([j.id, j.file.endsWith(`${j.id}${SUFFIX}`), j.status]).toEqual([j.id, true, 'live']);
      expect(j.name).toEqual(expect.any(String));
      // e.g. "u1-repeat-purchase" cites "use case U1"; "l6-multi-branch-exclusive" cites "L6".
      const useCase = j.id.split('-')[0]!.toUpperCase();
      expect([j.id, j.description ?? '']).toEqual([j.id, expect.stringContaining(useCase)]);
    }
  });

  test('the required use cases are all there (U1–U7, E2–E6, E9–E13, L1–L8)', () => {
    const cases = new Set(ids.map((id) => id.split('-')[0]));
    const required = [
      ...[1, 2, 3, 4, 5, 6, 7].map((n) => `u${n}`),
      ...[2, 3, 4, 5, 6, 9, 10, 11, 12, 13].map((n) => `e${n}`),
      ...[1, 2, 3, 4, 5, 6, 7, 8].map((n) => `l${n}`),
    ];
    expect(required.filter((c) => !cases.has(c))).toEqual([]);
    expect(journeyFiles.length).toBeGreaterThanOrEqual(27);
  });

  test('destinations: the local receiver for webhooks, a warehouse topic in transition format, all three formats', () => {
    const defs = loadDefinitions(TOPOLOGIES);
    const formats = new Set<string>();
    for (const d of defs.destinations.values()) {
      formats.add(d.format);
      if (d.type === 'webhook') expect(d.url).toBe(`http://127.0.0.1:8099/${d.id}`);
    }
    expect(defs.destinations.get('warehouse')).toMatchObject({ type: 'kafka', format: 'transition' });
    expect([...formats].sort()).toEqual(['segment-identify', 'segment-track', 'transition']);
    // Every destination is used by some journey.
    const used = new Set(defs.journeys.flatMap((j) => [
      ...j.steps.flatMap((s) => (s.type === 'send' ? s.send.to : [])),
      ...(j.exit.send?.to ?? []),
    ]));
    expect([...defs.destinations.keys()].filter((id) => !used.has(id))).toEqual([]);
  });

  test('every journey file is exercised by a scenario test (its id quoted in test/scenarios/*.test.ts)', () => {
    const sources = readdirSync(SCENARIOS).filter((f) => f.endsWith('.test.ts')).map((f) => readFileSync(join(SCENARIOS, f), 'utf8'));
    const untested = ids.filter((id) => !sources.some((src) => src.includes(`'${id}'`)));
    expect(untested).toEqual([]);
  });
});
