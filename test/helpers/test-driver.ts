// TestDriver: definitions + engine + in-memory store + manual clock, for journey-logic tests without a broker
// (the Kafka Streams TopologyTestDriver idea). Journeys are given as YAML text, written to a temp folder and
// loaded by the real loader, so every test also goes through validation.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDefinitions } from '../../src/definitions';
import type { Definitions } from '../../src/definitions/model';
import type { EngineOptions } from '../../src/engine/engine';
import { Simulator } from '../../src/engine/simulator';
import type { UserState } from '../../src/engine/state';
import type { Transition } from '../../src/engine/transition';
import { parseMessage, type Message } from '../../src/ingest/message';
import { parseTimestamp } from '../../src/lib/time';

export const DEFAULT_DESTINATIONS = `destinations:
  - { id: email, type: webhook, url: 'http://127.0.0.1:9/email', format: segment-track }
  - { id: sms, type: webhook, url: 'http://127.0.0.1:9/sms', format: transition }
  - { id: crm, type: kafka, topic: crm-events, format: segment-identify }
  - { id: ads, type: webhook, url: 'http://127.0.0.1:9/ads', format: segment-identify }
  - { id: support, type: webhook, url: 'http://127.0.0.1:9/support', format: segment-track }
  - { id: inapp, type: webhook, url: 'http://127.0.0.1:9/inapp', format: segment-track }
`;

/** Writes files (name → YAML text) to a fresh temp folder, adding default destinations if none are given. */
export function writeTopologies(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'journeys-topo-'));
  const all = { 'destinations.yaml': DEFAULT_DESTINATIONS, ...files };
  for (const [name, text] of Object.entries(all)) writeFileSync(join(dir, name), text);
  return dir;
}

export function loadYaml(files: Record<string, string>): Definitions {
  const dir = writeTopologies(files);
  try {
    return loadDefinitions(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export type RawMessage = Record<string, unknown>;

/** A Segment message for a test (must be valid). */
export function testMessage(raw: RawMessage): Message {
  const parsed = parseMessage(raw);
  if (!parsed.ok) throw new Error(`invalid test message: ${parsed.reason}`);
  return parsed.message;
}

export class TestDriver {
  private readonly out: Transition[] = [];
  readonly sim: Simulator;

  constructor(defs: Definitions, options: Partial<EngineOptions> = {}) {
    this.sim = new Simulator(defs, options, (t) => this.out.push(t));
  }

  /** One journey file (and optional extra files such as audiences.yaml). */
  static fromYaml(journeys: string | Record<string, string>, options: Partial<EngineOptions> = {}): TestDriver {
    const files = typeof journeys === 'string' ? { 'test.journey.yaml': journeys } : journeys;
    return new TestDriver(loadYaml(files), options);
  }

  /** Pipes one Segment message (must be valid). */
  pipe(raw: RawMessage): this {
    this.sim.push(testMessage(raw));
    return this;
  }

  track(userId: string, event: string, timestamp: string, properties: RawMessage = {}, messageId?: string): this {
    return this.pipe({ type: 'track', userId, event, timestamp, properties, ...(messageId ? { messageId } : {}) });
  }

  identify(userId: string, timestamp: string, traits: RawMessage, messageId?: string): this {
    return this.pipe({ type: 'identify', userId, timestamp, traits, ...(messageId ? { messageId } : {}) });
  }

  advanceTo(iso: string): this {
    const t = parseTimestamp(iso);
    if (t === null) throw new Error(`bad time ${iso}`);
    this.sim.advanceTo(t);
    return this;
  }

  transitions(): Transition[] {
    return this.out;
  }

  /** Compact lines `instance from→to reason at` for readable assertions. */
  lines(filter?: (t: Transition) => boolean): string[] {
    return this.out.filter(filter ?? (() => true)).map((t) => `${t.instance} ${t.from ?? 'null'}→${t.to} ${t.reason} ${t.at}`);
  }

  state(userId: string): UserState | undefined {
    return this.sim.state(userId);
  }
}
