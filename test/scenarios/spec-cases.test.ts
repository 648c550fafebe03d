// Cases written from the spec alone (journeys.md), by readers who did not see the code: 569 small journeys
// aimed where a careful implementer could go wrong (forks, restarts, exits at entry, re-entry, ties at one
// instant, windows and dates flipping, operators, audiences, dedup, random buckets, context limits), each
// with its expected records worked out by hand and the reasoning in `note`. Laid out like ../shared/conformance
// (topologies/, events.jsonl, until, expected.json), plus `args` (simulate flags) where a case needs one.
// 148 from two readers; the 165 named ae-* (entry, re-entry, clock, input), as-* (steps and paths) and ax-*
// (exits, conditions, time flips) from three more, who compared send only by destinations and event (which
// records carry one is then taken from the journey files); the 55 named ai-* from a sixth, on rules of different
// sections meeting (several journeys on one message, ties between timers, exits and messages, keys with
// re-entry, the instance limit across journeys), with sends given by destinations and event; the 60 named ar-* from
// a seventh, on exact instants where sections meet (what moves the clock, dedup edges, ties at one instant, old
// timestamps in windows, date flips, re-entry cooldowns, forks), run by the shared conformance runner first; the 141
// named bs-<section>-* from an eighth, who walked the spec sentence by sentence, each case aimed at the most
// plausible wrong reading of one rule (skipped lines taken from simulate's report: only the cases named for invalid
// input have any).
//
// Each case runs the engine as `journeys simulate` does (same line handling, same JSON output) and is
// compared per instance: (from, to, reason, at) in order, seq 1..n, id = sha256(journey:version:instance:seq),
// exactly the record's fields, and, where the case gives them, cause, send, sent, context (or, for contexts
// of several KiB, their keys) and version.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { jsonLine } from '../../src/cli/output';
import type { Definitions } from '../../src/definitions/model';
import { readSpecCase, simulateSpecCase, specCaseNames } from '../helpers/spec-cases';

type Rec = Record<string, unknown> & { instance: string; from: string | null; to: string; reason: string; at: string };
interface Expected {
  note: string;
  transitions: (Rec & { contextKeys?: string[] })[];
  /** Input lines `simulate` must report and skip. */
  skippedLines?: number[];
  /** The case's records do not say which carry `send` (its reader did not check sends): the journey files say. */
  sendUnchecked?: boolean;
}

const byInstance = <T extends { instance: string }>(rs: T[]): Map<string, T[]> => {
  const m = new Map<string, T[]>();
  for (const r of rs) m.set(r.instance, [...(m.get(r.instance) ?? []), r]);
  return m;
};
const pick = (value: unknown, keys: string[]): Record<string, unknown> =>
  Object.fromEntries(keys.map((k) => [k, (value as Record<string, unknown> | undefined)?.[k]]));
const path = (r: Rec): [string | null, string, string, number] => [r.from, r.to, r.reason, Date.parse(r.at)];
const FIELDS = ['at', 'cause', 'context', 'from', 'id', 'instance', 'journey', 'reason', 'seq', 'to', 'userId', 'version'];

const names = specCaseNames();

/** Whether the journey file makes this record carry `send`. */
function sendsOn(definitions: Definitions, r: Rec): boolean {
  const journey = definitions.journeys.find((j) => j.id === r.journey && j.version === r.version);
  if (journey === undefined) throw new Error(`no journey ${String(r.journey)} version ${String(r.version)}`);
  if (r.to === '$exit') return journey.exit.send !== null;
  return journey.steps.some((step) => step.id === r.to && step.type === 'send');
}

describe('spec cases (hand-derived from journeys.md)', () => {
  it('has all of them', () => {
    expect(names.length).toBeGreaterThanOrEqual(569);
  });

  it.each(names)('%s', (name) => {
    const c = readSpecCase(name);
    const expected = JSON.parse(readFileSync(join(c.dir, 'expected.json'), 'utf8')) as Expected;
    const { transitions, skipped } = simulateSpecCase(c);
    // The records as `simulate` prints them.
    const records = transitions.map((t) => JSON.parse(jsonLine(t)) as Rec);
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
        // Where the case's reader did not say which records carry `send`, the journey file does: a record entering
        // a send step, or an `$exit` of a journey whose exit has a send (spec §5).
        const sends = w.send !== undefined || (expected.sendUnchecked === true && sendsOn(c.definitions, g));
        const fields = [...FIELDS, ...(g.to === '$exit' ? ['sent'] : []), ...(sends ? ['send'] : [])].sort();
        expect({ tag, fields: Object.keys(g).sort() }).toEqual({ tag, fields });
        // A case that gives a send without `traits` names only its destinations and event, and compares those (as the
        // conformance runner does).
        const sendInPart = typeof w.send === 'object' && w.send !== null && !('traits' in w.send);
        for (const key of ['cause', 'send', 'sent', 'context', 'version', 'userId'] as const) {
          if (!(key in w)) continue;
          const value = key === 'send' && sendInPart ? pick(g.send, Object.keys(w.send as object)) : g[key];
          expect({ tag, [key]: value }).toEqual({ tag, [key]: w[key] });
        }
        if (w.contextKeys !== undefined) {
          // Key order is free (spec §5); which snapshots are kept is the point.
          expect({ tag, contextKeys: Object.keys(g.context as object).sort() }).toEqual({ tag, contextKeys: [...w.contextKeys].sort() });
        }
      });
    }
  });
});
