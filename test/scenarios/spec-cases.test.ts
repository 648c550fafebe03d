// Cases written from the spec alone (journeys.md), by two readers who did not see the code: 148 small journeys
// aimed where a careful implementer could go wrong (forks, restarts, exits at entry, re-entry, ties at one
// instant, windows and dates flipping, operators, audiences, dedup, random buckets, context limits), each
// with its expected records worked out by hand and the reasoning in `note`. Laid out like ../shared/conformance
// (topologies/, events.jsonl, until, expected.json), plus `args` (simulate flags) where a case needs one.
//
// Each case runs the engine as `journeys simulate` does (same line handling, same JSON output) and is
// compared per instance: (from, to, reason, at) in order, seq 1..n, id = sha256(journey:version:instance:seq),
// exactly the record's fields, and, where the case gives them, cause, send, sent, context (or, for contexts
// of several KiB, their keys) and version.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { loadDefinitions } from '../../src/definitions';
import { Simulator } from '../../src/engine/simulator';
import type { EngineOptions } from '../../src/engine/engine';
import { parseMessage } from '../../src/ingest/message';
import { parseDate } from '../../src/lib/time';
import { parseDuration } from '../../src/lib/duration';
import { jsonLine } from '../../src/cli/output';

const CASES = join(__dirname, 'spec-cases');

type Rec = Record<string, unknown> & { instance: string; from: string | null; to: string; reason: string; at: string };
interface Expected {
  note: string;
  transitions: (Rec & { contextKeys?: string[] })[];
  /** Input lines `simulate` must report and skip. */
  skippedLines?: number[];
}

function options(dir: string): Partial<EngineOptions> {
  const file = join(dir, 'args');
  if (!existsSync(file)) return {};
  const args = readFileSync(file, 'utf8').trim().split(/\s+/);
  const o: Partial<EngineOptions> = {};
  for (let i = 0; i < args.length; i += 2) {
    const value = args[i + 1] ?? '';
    if (args[i] === '--max-instances') o.maxInstances = Number(value);
    else if (args[i] === '--max-lifetime') o.maxLifetime = parseDuration(value) ?? NaN;
    else throw new Error(`${dir}/args: unknown flag ${args[i] ?? ''}`);
  }
  return o;
}

/** What `journeys simulate` prints for the case, as parsed records, and the input lines it skipped. */
function simulate(dir: string): { records: Rec[]; skipped: number[] } {
  const records: Rec[] = [];
  const sim = new Simulator(loadDefinitions(join(dir, 'topologies')), options(dir), (t) => records.push(JSON.parse(jsonLine(t)) as Rec));
  const skipped: number[] = [];
  readFileSync(join(dir, 'events.jsonl'), 'utf8').split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      skipped.push(i + 1);
      return;
    }
    const parsed = parseMessage(raw);
    if (parsed.ok) sim.push(parsed.message);
    else skipped.push(i + 1);
  });
  const until = parseDate(readFileSync(join(dir, 'until'), 'utf8').trim());
  if (until === null) throw new Error(`${dir}/until is not a time`);
  sim.advanceTo(until);
  return { records, skipped };
}

const byInstance = <T extends { instance: string }>(rs: T[]): Map<string, T[]> => {
  const m = new Map<string, T[]>();
  for (const r of rs) m.set(r.instance, [...(m.get(r.instance) ?? []), r]);
  return m;
};
const path = (r: Rec): [string | null, string, string, number] => [r.from, r.to, r.reason, Date.parse(r.at)];
const FIELDS = ['at', 'cause', 'context', 'from', 'id', 'instance', 'journey', 'reason', 'seq', 'to', 'userId', 'version'];

const names = readdirSync(CASES).filter((n) => !n.startsWith('_')).sort();

describe('spec cases (hand-derived from journeys.md)', () => {
  it('has all of them', () => {
    expect(names.length).toBeGreaterThanOrEqual(148);
  });

  it.each(names)('%s', (name) => {
    const dir = join(CASES, name);
    const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Expected;
    const { records, skipped } = simulate(dir);
    expect(skipped).toEqual(expected.skippedLines ?? []);

    const got = byInstance(records);
    const want = byInstance(expected.transitions);
    expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
    for (const [instance, wantRecs] of want) {
      const gotRecs = got.get(instance) ?? [];
      expect({ instance, path: gotRecs.map(path) }).toEqual({ instance, path: wantRecs.map(path) });
      gotRecs.forEach((g, i) => {
        const w = wantRecs[i] as Expected['transitions'][number];
        const tag = `${instance} seq ${String(g.seq)}`;
        expect({ tag, seq: g.seq }).toEqual({ tag, seq: i + 1 });
        const id = createHash('sha256').update(`${String(g.journey)}:${String(g.version)}:${instance}:${String(g.seq)}`, 'utf8').digest('hex');
        expect({ tag, id: g.id }).toEqual({ tag, id });
        expect(g.at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        const fields = [...FIELDS, ...(g.to === '$exit' ? ['sent'] : []), ...(w.send !== undefined ? ['send'] : [])].sort();
        expect({ tag, fields: Object.keys(g).sort() }).toEqual({ tag, fields });
        for (const key of ['cause', 'send', 'sent', 'context', 'version', 'userId'] as const) {
          if (key in w) expect({ tag, [key]: g[key] }).toEqual({ tag, [key]: w[key] });
        }
        if (w.contextKeys !== undefined) {
          // Key order is free (spec §5); which snapshots are kept is the point.
          expect({ tag, contextKeys: Object.keys(g.context as object).sort() }).toEqual({ tag, contextKeys: [...w.contextKeys].sort() });
        }
      });
    }
  });
});
