// The journey versions a partition has run (spec §4.6: live instances finish on the version they entered). The
// processor loads one file per journey; each version it loads is kept in the partition's store and changelog
// (`d/<journey>/<version>`, the loaded definition as JSON), so instances of an earlier version go on with their
// own steps after a new version is loaded, after a restart, and after a restore on another machine.
import { basename } from 'node:path';
import { journeyConditions, performedLeaves } from '../definitions/conditions';
import type { Condition, Journey } from '../definitions/model';
import { previousVersion } from '../engine/engine';

/** Everything of the kept versions shares this prefix. */
export const VERSION_PREFIX = 'd/';
/** Bumped when the kept form of a definition changes: a record of another format is not used. */
const VERSION_RECORD_FORMAT = 1;

interface VersionRecord {
  format: number;
  journey: Journey;
}

/** The key of a kept version (journey ids are slugs: no `/`). */
export function versionKey(journey: string, version: number): string {
  return `${VERSION_PREFIX}${journey}/${version}`;
}

export function isVersionKey(key: string): boolean {
  return key.startsWith(VERSION_PREFIX);
}

/** The journey id of a kept version's key (`versionKey`'s inverse); null for any other key. */
export function journeyOfVersionKey(key: string): string | null {
  const slash = key.lastIndexOf('/');
  return isVersionKey(key) && slash > VERSION_PREFIX.length ? key.slice(VERSION_PREFIX.length, slash) : null;
}

/**
 * Journeys whose live instances must stop (spec §4.6), of those the partition keeps or loads: the archived ones, and
 * those whose file is gone (a kept version, none loaded). In id order.
 */
export function retiredJourneys(stored: ReadonlyMap<string, string>, loaded: readonly Journey[]): string[] {
  const byId = new Map(loaded.map((j) => [j.id, j]));
  const retired = new Set(loaded.filter((j) => j.status === 'archived').map((j) => j.id));
  for (const key of stored.keys()) {
    const id = journeyOfVersionKey(key);
    if (id !== null && !byId.has(id)) retired.add(id);
  }
  return [...retired].sort();
}

/** The kept form of a loaded journey: its file by name only, so the folder it was loaded from does not matter. */
export function versionRecord(j: Journey): string {
  const record: VersionRecord = { format: VERSION_RECORD_FORMAT, journey: { ...j, file: basename(j.file) } };
  return JSON.stringify(record);
}

/** The definition in a kept record; null for a record of another format (or not one at all). */
export function parseVersionRecord(text: string): Journey | null {
  try {
    const record = JSON.parse(text) as Partial<VersionRecord> | null;
    return record?.format === VERSION_RECORD_FORMAT && record.journey !== undefined ? record.journey : null;
  } catch {
    return null;
  }
}

export interface KeptVersions {
  /** Every kept version the partition can read, loaded or not. */
  kept: Journey[];
  /** Kept versions other than the loaded ones, of the loaded journeys, for the engine. */
  earlier: Journey[];
  /** Records to write (key, JSON): loaded versions not kept yet, or kept with other content (edited in place). */
  unwritten: [string, string][];
  /**
   * Loaded versions whose `migrate` is new to the partition (the version is, or its map was edited in) and has a
   * version to move instances from (one before theirs is kept): every user is to be brought to the instant they
   * were loaded.
   */
  migrating: { journey: string; version: number; from: number }[];
}

/**
 * What the partition keeps, given its stored records (key → JSON) and the loaded journeys. A record it cannot
 * read (another format) is left out, as a version not kept: its instances run on the loaded file.
 */
export function keptVersions(stored: ReadonlyMap<string, string>, loaded: readonly Journey[]): KeptVersions {
  const byId = new Map(loaded.map((j) => [j.id, j]));
  const records = new Map([...stored].map(([key, text]) => [key, parseVersionRecord(text)]));
  const earlier: Journey[] = [];
  for (const [key, kept] of records) {
    const j = kept === null ? undefined : byId.get(kept.id);
    if (kept !== null && j !== undefined && kept.version !== j.version && key === versionKey(j.id, kept.version)) earlier.push(kept);
  }
  const unwritten: [string, string][] = [];
  const migrating: KeptVersions['migrating'] = [];
  for (const j of loaded) {
    const key = versionKey(j.id, j.version);
    const text = versionRecord(j);
    if (stored.get(key) === text) continue;
    unwritten.push([key, text]);
    // A sweep when the version comes with a map it did not have before (new, or `migrate` added in place).
    const kept = records.get(key);
    if (j.migrate === null || (kept !== undefined && kept !== null && JSON.stringify(kept.migrate) === JSON.stringify(j.migrate))) continue;
    const from = previousVersion(earlier.filter((e) => e.id === j.id), j.version);
    if (from !== undefined) migrating.push({ journey: j.id, version: j.version, from: from.version });
  }
  return { kept: [...records.values()].filter((j) => j !== null), earlier, unwritten, migrating };
}

/**
 * Loaded journeys that count events (`performed`, by event and filter) which none of the partition's kept versions
 * and none of the audiences counted: the users' history holds none of those from before this load, so conditions
 * on them start from zero (spec §4.3 counts every matching event since the user was first seen: `journeys
 * replay` rebuilds them). None when no user predates the load (the partition has seen no record). A journey's
 * events are named once each, in order.
 */
export function newlyCountedEvents(kept: readonly Journey[], loaded: readonly Journey[], audiences: Iterable<Condition>, usersPredate: boolean): { journey: string; events: string[] }[] {
  if (!usersPredate) return [];
  const counted = new Set(performedLeaves([...kept.flatMap(journeyConditions), ...audiences]).map((l) => l.signature));
  const out: { journey: string; events: string[] }[] = [];
  for (const j of loaded) {
    if (j.status === 'archived' || j.status === 'draft') continue;
    const events = [...new Set(performedLeaves(journeyConditions(j)).filter((l) => !counted.has(l.signature)).map((l) => l.event))];
    if (events.length > 0) out.push({ journey: j.id, events });
  }
  return out;
}
