// Scenario harness for the example journeys in topologies/: each scenario loads THE FILE from
// topologies/ (never a copy of its text) and drives it with Segment messages through the TestDriver.
//
// Every scenario runs twice:
//   - `alone`: the journey file(s) under test with topologies/destinations.yaml and audiences.yaml,
//     copied to a temp folder and loaded by the real loader;
//   - `all`: the whole topologies/ folder loaded at once (journeys evaluated in file-name order, as a
//     processor would run them), the records filtered to the journeys under test.
// Both must give the same records: journeys only share the user's history and traits, never each
// other's instances.
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createHash } from 'node:crypto';
import { loadDefinitions } from '../../src/definitions';
import type { Definitions, Journey, JsonObject } from '../../src/definitions/model';
import type { EngineOptions } from '../../src/engine/engine';
import type { Transition } from '../../src/engine/transition';
import type { OutMessage } from '../../src/destinations/types';
import { buildSendIndex, route } from '../../src/sinks/router';
import { TestDriver, type RawMessage } from '../helpers/test-driver';

export const TOPOLOGIES = resolve(__dirname, '..', '..', 'topologies');
export const JOURNEY_SUFFIX = '.journey.yaml';

export type Mode = 'alone' | 'all';
export const MODES: readonly Mode[] = ['alone', 'all'];

let allDefinitions: Definitions | undefined;

/** The whole topologies/ folder, loaded once per test file. */
export function loadAllTopologies(): Definitions {
  allDefinitions ??= loadDefinitions(TOPOLOGIES);
  return allDefinitions;
}

/** The given journey files of topologies/ (by journey id = file name) with its destinations and audiences. */
export function loadJourneys(ids: readonly string[]): Definitions {
  const dir = mkdtempSync(join(tmpdir(), 'journeys-scenario-'));
  try {
    for (const name of ['destinations.yaml', 'audiences.yaml', ...ids.map((id) => id + JOURNEY_SUFFIX)]) {
      const from = join(TOPOLOGIES, name);
      if (!existsSync(from)) {
        if (name.endsWith(JOURNEY_SUFFIX)) throw new Error(`no journey file topologies/${name}`);
        continue;
      }
      copyFileSync(from, join(dir, name));
    }
    return loadDefinitions(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** ISO time `day` days after 2026-03-01T00:00Z at `hh:mm` (UTC), as transition records print it. */
export function at(day: number, hhmm = '00:00'): string {
  const [h, m] = hhmm.split(':').map(Number);
  return new Date(Date.UTC(2026, 2, 1 + day, h ?? 0, m ?? 0)).toISOString();
}

/** The random bucket rule of spec §4.5, computed here independently of the engine. */
export function bucket(text: string): number {
  return createHash('sha256').update(text, 'utf8').digest().readUInt32BE(0) % 100;
}

/** A TestDriver over one or more journeys of topologies/, with realistic Segment messages and filtered records. */
export class Scenario {
  readonly driver: TestDriver;
  readonly definitions: Definitions;
  private readonly journeys: ReadonlySet<string>;
  private seq = 0;

  constructor(journeys: readonly string[], readonly mode: Mode, options: Partial<EngineOptions> = {}) {
    this.journeys = new Set(journeys);
    const defs = mode === 'all' ? loadAllTopologies() : loadJourneys(journeys);
    this.definitions = defs;
    for (const id of journeys) {
      if (!defs.journeys.some((j) => j.id === id)) throw new Error(`journey ${id} not loaded`);
    }
    this.driver = new TestDriver(defs, options);
  }

  private messageId(): string {
    this.seq += 1;
    return `msg-${String(this.seq).padStart(5, '0')}`;
  }

  /** A Segment `track` call as analytics.js would send it; returns the messageId. */
  track(userId: string, event: string, timestamp: string, properties: JsonObject = {}): string {
    const messageId = this.messageId();
    this.driver.pipe({
      type: 'track', userId, event, properties, timestamp, messageId,
      anonymousId: `anon-${userId}`, context: { library: { name: 'analytics.js', version: '2.11.1' } },
    });
    return messageId;
  }

  /** A Segment `identify` call (a CDP or the app setting traits); returns the messageId. */
  identify(userId: string, timestamp: string, traits: JsonObject): string {
    const messageId = this.messageId();
    this.driver.pipe({ type: 'identify', userId, traits, timestamp, messageId, context: { library: { name: 'analytics-node', version: '6.0.0' } } });
    return messageId;
  }

  /** A Segment `page` call (the journey event `Page Viewed`, `name` as property `page_name`); returns the messageId. */
  page(userId: string, name: string, timestamp: string, properties: JsonObject = {}): string {
    const messageId = this.messageId();
    this.driver.pipe({ type: 'page', userId, name, properties, timestamp, messageId, context: { library: { name: 'analytics.js', version: '2.11.1' } } });
    return messageId;
  }

  pipe(raw: RawMessage): this {
    this.driver.pipe(raw);
    return this;
  }

  advanceTo(iso: string): this {
    this.driver.advanceTo(iso);
    return this;
  }

  /** The records of the journeys under test (optionally of one user). */
  records(userId?: string): Transition[] {
    return this.driver.transitions().filter((t) => this.journeys.has(t.journey) && (userId === undefined || t.userId === userId));
  }

  /** `instance from→to reason at` lines of the journeys under test (optionally of one user). */
  lines(userId?: string): string[] {
    return this.records(userId).map(line);
  }

  /** The records that carry a `send`, as `instance step→destinations` for compact assertions. */
  sends(userId?: string): string[] {
    return this.records(userId).filter((t) => t.send !== undefined).map((t) => `${t.instance} ${t.to === '$exit' ? '$exit' : t.to}→${(t.send?.to ?? []).join(',')}`);
  }

  /** What destination `id` (of topologies/destinations.yaml) is sent for the records of the journeys under test (spec §6). */
  delivered(id: string, userId?: string): OutMessage[] {
    const destination = this.definitions.destinations.get(id);
    if (destination === undefined) throw new Error(`no destination ${id}`);
    const index = buildSendIndex(this.definitions);
    return this.records(userId).flatMap((t) => route(t, destination, index).messages);
  }

  /** The one record of `instance` entering `to` (fails the test when there is not exactly one). */
  record(instance: string, to: string): Transition {
    const found = this.records().filter((t) => t.instance === instance && t.to === to);
    if (found.length !== 1) throw new Error(`expected one record ${instance} →${to}, found ${found.length}:\n${this.lines().join('\n')}`);
    return found[0]!;
  }
}

export function line(t: Transition): string {
  return `${t.instance} ${t.from ?? 'null'}→${t.to} ${t.reason} ${t.at}`;
}

const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const sha256Hex = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/**
 * Spec §5 invariants of every record a scenario produced (all journeys, not only those under test):
 * deterministic ids, instance names, contiguous seq from an entry, nothing after $exit/$complete,
 * `sent` exactly on $exit, non-decreasing `at`, and a `send` that is the definition's send of the step
 * entered (or the exit send on $exit). Returns the violations.
 */
export function recordViolations(records: readonly Transition[], defs: Definitions): string[] {
  const problems: string[] = [];
  const byId = new Map<string, Journey>(defs.journeys.map((j) => [j.id, j]));
  const last = new Map<string, Transition>();
  for (const t of records) {
    const where = `${line(t)}:`;
    const j = byId.get(t.journey);
    if (j === undefined) {
      problems.push(`${where} unknown journey`);
      continue;
    }
    if (t.id !== sha256Hex(`${t.journey}:${t.version}:${t.instance}:${t.seq}`)) problems.push(`${where} id is not SHA-256 of journey:version:instance:seq`);
    const prefix = `${t.userId}/${t.journey}/`;
    if (!t.instance.startsWith(prefix) || !/^[1-9][0-9]*$/.test(t.instance.slice(prefix.length))) problems.push(`${where} instance is not userId/journey/entrySeq`);
    if (!ISO_MS.test(t.at)) problems.push(`${where} at is not ISO-8601 UTC with milliseconds`);
    const prev = last.get(t.instance);
    if (prev === undefined) {
      if (t.seq !== 1 || t.from !== null || t.reason !== 'entry') problems.push(`${where} an instance must start with seq 1, from null, reason entry`);
    } else {
      if (prev.to === '$exit' || prev.to === '$complete') problems.push(`${where} record after ${prev.to}`);
      if (t.seq !== prev.seq + 1) problems.push(`${where} seq ${t.seq} after ${prev.seq}`);
      if (t.at < prev.at) problems.push(`${where} at goes back in time`);
    }
    last.set(t.instance, t);
    if ((t.to === '$exit') !== (t.sent !== undefined)) problems.push(`${where} sent must be present exactly on $exit records`);
    const step = j.steps.find((s) => s.id === t.to);
    const expected = t.to === '$exit' ? j.exit.send : step?.type === 'send' ? step.send : null;
    if (expected === null || expected === undefined) {
      if (t.send !== undefined) problems.push(`${where} unexpected send`);
    } else if (t.send === undefined) {
      problems.push(`${where} missing send`);
    } else if (JSON.stringify(t.send.to) !== JSON.stringify(expected.to) || t.send.event !== expected.event || Object.keys(t.send.traits).some((k) => !expected.traits.includes(k))) {
      problems.push(`${where} send ${JSON.stringify(t.send)} is not the step's ${JSON.stringify(expected)}`);
    }
  }
  return problems;
}

/**
 * Runs `body` once per mode (`alone`, `all`), inside a describe named after the journeys; `make` builds
 * a fresh Scenario for the current mode.
 */
export function scenarios(
  journeys: string | readonly string[],
  body: (make: (options?: Partial<EngineOptions>) => Scenario, mode: Mode) => void,
): void {
  const ids = typeof journeys === 'string' ? [journeys] : journeys;
  describe.each(MODES)(`${ids.join(' + ')} (%s)`, (mode) => {
    let made: Scenario[] = [];
    afterEach(() => {
      const scenariosOfTest = made;
      made = [];
      for (const s of scenariosOfTest) expect(recordViolations(s.driver.transitions(), s.definitions)).toEqual([]);
    });
    body((options) => {
      const s = new Scenario(ids, mode, options);
      made.push(s);
      return s;
    }, mode);
  });
}
