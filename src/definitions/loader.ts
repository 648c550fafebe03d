// Reading a topologies folder (spec §4): `*.journey.yaml`, `destinations.yaml`, `audiences.yaml`. Each
// file is checked on its own, then across files (journey ids unique, `send.to` names a destination).
// Nothing invalid is ever loaded: `loadDefinitions` throws with every problem instead.
import { readFileSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ErrorCodes, JourneyError } from '../errors';
import { buildAudiences, type BuiltAudiences } from './audiences';
import { buildDestinations, type BuiltDestinations } from './destinations';
import { buildJourney } from './journey';
import { audiencesFile, destinationsFile, journeyFile } from './keys';
import type { Definitions, Journey } from './model';
import { didYouMean, formatProblem, Reporter, type Problem } from './problems';
import { readYaml, type YNode } from './yaml-tree';

export const JOURNEY_SUFFIX = '.journey.yaml';
export const DESTINATIONS_FILE = 'destinations.yaml';
export const AUDIENCES_FILE = 'audiences.yaml';
export const DEFAULT_TOPOLOGIES = 'topologies';

/** What `journeys validate` reports: every problem, and what was checked. */
export interface ValidationResult {
  problems: Problem[];
  /** Journey files checked. */
  journeys: number;
  destinations: number;
  audiences: number;
}

/** One set of files checked together: journey files and the destinations and audiences they refer to. */
interface FileSet {
  dir: string;
  /** Paths as they will be reported. */
  journeys: string[];
  destinations: string | null;
  audiences: string | null;
}

interface Checked {
  problems: Problem[];
  journeys: Journey[];
  destinations: BuiltDestinations;
  audiences: BuiltAudiences;
  counts: Omit<ValidationResult, 'problems'>;
}

/**
 * Loads and checks a topologies folder. Journeys come sorted by file name in byte order. Throws a
 * `JourneyError` (`INVALID_DEFINITIONS`) whose `details.problems` lists every problem when anything is
 * invalid (or the folder cannot be read).
 */
export function loadDefinitions(dir: string): Definitions {
  const problems: Problem[] = [];
  // A missing folder is said as `validate` says it.
  if (pathKind(dir) === 'missing') problems.push({ file: dir, line: 1, message: 'no such file or directory' });
  const set = problems.length > 0 ? null : folderSet(dir, problems);
  const checked = set === null ? null : checkSet(set);
  if (checked !== null) problems.push(...checked.problems);
  if (checked === null || problems.length > 0) {
    const n = problems.length;
    throw new JourneyError(
      ErrorCodes.INVALID_DEFINITIONS,
      `invalid definitions in ${dir} (${n} problem${n === 1 ? '' : 's'}):\n${problems.map(formatProblem).join('\n')}`,
      { details: { problems } },
    );
  }
  return { journeys: checked.journeys, destinations: checked.destinations.destinations, audiences: checked.audiences.audiences };
}

/**
 * What an `INVALID_DEFINITIONS` error of `loadDefinitions` carries, as `validate` prints it: one
 * `<path>:<line>: <reason>` line per problem.
 */
export function invalidDefinitionLines(err: JourneyError): string {
  const problems = Array.isArray(err.details.problems) ? (err.details.problems as Problem[]) : [];
  return problems.length > 0 ? problems.map((p) => `${formatProblem(p)}\n`).join('') : `${err.message}\n`;
}

/**
 * Checks files and folders (default `topologies`). A folder is checked as a whole; a lone journey file is
 * checked against the destinations.yaml and audiences.yaml of its folder.
 */
export function validatePaths(paths: string[]): Problem[] {
  return validateTopologies(paths).problems;
}

/** As `validatePaths`, with counts of what was checked. */
export function validateTopologies(paths: string[]): ValidationResult {
  const result: ValidationResult = { problems: [], journeys: 0, destinations: 0, audiences: 0 };
  const sets: FileSet[] = [];
  // One set per folder, whether it was given, its files were, or both: journey ids are compared, and its
  // destinations and audiences checked, once for everything of the folder.
  const byDir = new Map<string, FileSet>();
  const setFor = (dir: string): FileSet => {
    const real = realpath(dir);
    let set = byDir.get(real);
    if (set === undefined) {
      set = { dir, journeys: [], destinations: null, audiences: null };
      byDir.set(real, set);
      sets.push(set);
    }
    return set;
  };
  const seen = new Set<string>();
  const once = (path: string): boolean => {
    const real = realpath(path);
    if (seen.has(real)) return false;
    seen.add(real);
    return true;
  };

  for (const path of paths.length > 0 ? paths : [DEFAULT_TOPOLOGIES]) {
    const kind = pathKind(path);
    if (kind === 'missing') {
      result.problems.push({ file: path, line: 1, message: 'no such file or directory' });
      continue;
    }
    if (kind === 'dir') {
      if (!once(path)) continue;
      const found = folderSet(path, result.problems);
      if (found === null) continue;
      const set = setFor(path);
      set.journeys.push(...found.journeys.filter(once));
      if (found.destinations !== null && once(found.destinations)) set.destinations = found.destinations;
      if (found.audiences !== null && once(found.audiences)) set.audiences = found.audiences;
      continue;
    }
    const name = basename(path);
    if (!name.endsWith(JOURNEY_SUFFIX) && name !== DESTINATIONS_FILE && name !== AUDIENCES_FILE) {
      result.problems.push({ file: path, line: 1, message: `not a definitions file: expected *${JOURNEY_SUFFIX}, ${DESTINATIONS_FILE} or ${AUDIENCES_FILE}` });
      continue;
    }
    if (!once(path)) continue;
    const set = setFor(dirname(path));
    if (name.endsWith(JOURNEY_SUFFIX)) set.journeys.push(path);
    else if (name === DESTINATIONS_FILE) set.destinations = path;
    else set.audiences = path;
  }

  for (const set of sets) {
    set.journeys.sort(byFileName);
    // A lone journey file is checked against its folder's destinations and audiences.
    if (set.journeys.length > 0) {
      for (const [name, key] of [[DESTINATIONS_FILE, 'destinations'], [AUDIENCES_FILE, 'audiences']] as const) {
        const sibling = join(set.dir, name);
        if (set[key] === null && pathKind(sibling) === 'file' && once(sibling)) set[key] = sibling;
      }
    }
    const checked = checkSet(set);
    result.problems.push(...checked.problems);
    result.journeys += checked.counts.journeys;
    result.destinations += checked.counts.destinations;
    result.audiences += checked.counts.audiences;
  }
  return result;
}

// ---------------------------------------------------------------------------------------------------

function pathKind(path: string): 'file' | 'dir' | 'missing' {
  try {
    return statSync(path).isDirectory() ? 'dir' : 'file';
  } catch {
    return 'missing';
  }
}

function realpath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** Byte order of the UTF-8 names (spec §3: journeys are evaluated in file-name byte order). */
function byFileName(a: string, b: string): number {
  return Buffer.compare(Buffer.from(basename(a), 'utf8'), Buffer.from(basename(b), 'utf8'));
}

/** The definition files of a folder; problems for files that look like definitions but are misnamed. */
function folderSet(dir: string, problems: Problem[]): FileSet | null {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    problems.push({ file: dir, line: 1, message: `cannot read the folder: ${errorText(err)}` });
    return null;
  }
  const set: FileSet = { dir, journeys: [], destinations: null, audiences: null };
  for (const name of names) {
    const path = join(dir, name);
    if (name.endsWith(JOURNEY_SUFFIX)) {
      if (pathKind(path) === 'file') set.journeys.push(path);
    } else if (name === DESTINATIONS_FILE) {
      set.destinations = path;
    } else if (name === AUDIENCES_FILE) {
      set.audiences = path;
    } else if (/\.journey\.yml$/.test(name) || name === 'destinations.yml' || name === 'audiences.yml') {
      problems.push({ file: path, line: 1, message: `not loaded: definition files end in .yaml (rename it to ${name.replace(/\.yml$/, '.yaml')})` });
    } else if (/\.ya?ml$/.test(name) && pathKind(path) === 'file') {
      // Other YAML may live here, but a journey under another name would be left out without a word.
      const line = journeyKeyLine(path);
      if (line !== null) {
        problems.push({ file: path, line, message: `not loaded: a journey file's name ends in ${JOURNEY_SUFFIX} (rename it to ${name.replace(/\.ya?ml$/, JOURNEY_SUFFIX)})` });
      }
    }
  }
  set.journeys.sort(byFileName);
  return set;
}

/** The line of a top-level `journey:` key in a YAML file, or null (none, or unreadable: not ours to report). */
function journeyKeyLine(path: string): number | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return null;
  }
  const at = text.split(/\r?\n/).findIndex((l) => /^journey\s*:/.test(l));
  return at < 0 ? null : at + 1;
}

function errorText(err: unknown): string {
  if (err instanceof Error && 'code' in err && typeof err.code === 'string') {
    return err.code === 'ENOENT' ? 'no such file or directory' : err.code === 'EACCES' ? 'permission denied' : err.message;
  }
  return err instanceof Error ? err.message : String(err);
}

/** The parsed YAML of a file: undefined when unreadable (reported), null when empty. */
function source(path: string, report: Reporter): YNode | null | undefined {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    report.add(1, `cannot read the file: ${errorText(err)}`);
    return undefined;
  }
  return readYaml(bytes, report);
}

function checkSet(set: FileSet): Checked {
  const reporters: Reporter[] = [];
  const reporter = (file: string): Reporter => {
    const r = new Reporter(file);
    reporters.push(r);
    return r;
  };

  // destinations.yaml: `known` is false when the file is missing or unreadable.
  let destinations: BuiltDestinations = { destinations: new Map(), ids: new Set(), unusable: new Map() };
  let destinationsKnown = set.destinations === null;
  if (set.destinations !== null) {
    const report = reporter(set.destinations);
    const root = source(set.destinations, report);
    if (root === null) destinationsKnown = true;
    if (root) {
      const raw = destinationsFile.parse(root, report, { label: DESTINATIONS_FILE, line: 1 });
      if (raw) destinations = buildDestinations(raw, report);
      destinationsKnown = raw !== undefined;
      // A destination whose entry did not parse at all (a wrong `type`, say) is still written there: a journey
      // that names it is told it cannot be used, not that it is unknown.
      for (const [id, line] of idsWritten(root, 'destinations')) {
        if (destinations.ids.has(id)) continue;
        destinations.ids.add(id);
        destinations.unusable.set(id, line);
      }
    }
  }

  let audiences: BuiltAudiences = { audiences: new Map(), ids: new Set(), unusable: new Map() };
  if (set.audiences !== null) {
    const report = reporter(set.audiences);
    const root = source(set.audiences, report);
    const raw = root ? audiencesFile.parse(root, report, { label: AUDIENCES_FILE, line: 1 }) : undefined;
    if (raw) audiences = buildAudiences(raw, report);
  }

  const journeys: Journey[] = [];
  const journeyIds = new Map<string, { file: string; line: number; report: Reporter }>();
  for (const file of set.journeys) {
    const report = reporter(file);
    const root = source(file, report);
    if (root === null) report.add(1, 'the file is empty: a journey needs journey, entry and steps');
    if (!root) continue;
    const raw = journeyFile.parse(root, report, { label: 'the file', line: 1 });
    if (raw === undefined) continue;
    const built = buildJourney(raw, file, report);
    if (built.id !== null) {
      const first = journeyIds.get(built.id.value);
      if (first !== undefined) {
        // Said in both files: which of the two is to be renamed is the user's call.
        report.add(built.id.line, `duplicate journey id '${built.id.value}': ${first.file}:${first.line} has it already (journey ids are unique across files)`);
        first.report.add(first.line, `duplicate journey id '${built.id.value}': ${file}:${built.id.line} has it too (journey ids are unique across files)`);
      } else {
        journeyIds.set(built.id.value, { file, line: built.id.line, report });
      }
    }
    // A reference to a destination or audience that its own file gets wrong is pointed out here too: the
    // journey cannot run until that is fixed.
    for (const to of built.refs.destinations) {
      const line = destinations.unusable.get(to.value);
      if (line !== undefined) report.add(to.line, `destination '${to.value}' in send.to cannot be used: ${DESTINATIONS_FILE}:${line} has a problem with it`);
    }
    for (const a of built.refs.audiences) {
      const line = audiences.unusable.get(a.value);
      if (line !== undefined) report.add(a.line, `audience '${a.value}' cannot be used: ${AUDIENCES_FILE}:${line} has a problem with it`);
    }
    if (destinationsKnown) {
      for (const to of built.refs.destinations) {
        if (destinations.ids.has(to.value)) continue;
        const where =
          set.destinations === null
            ? `there is no ${DESTINATIONS_FILE} in ${set.dir}`
            : `${DESTINATIONS_FILE} defines ${destinations.ids.size === 0 ? 'none' : [...destinations.ids].join(', ')}`;
        report.add(to.line, `unknown destination '${to.value}' in send.to${didYouMean(to.value, destinations.ids)} (${where})`);
      }
    }
    if (built.journey !== null && report.count === 0) journeys.push(built.journey);
  }

  const problems = reporters
    .flatMap((r) => r.problems)
    .sort((a, b) => (a.file === b.file ? a.line - b.line : Buffer.compare(Buffer.from(a.file), Buffer.from(b.file))));
  return {
    problems,
    journeys,
    destinations,
    audiences,
    counts: { journeys: set.journeys.length, destinations: destinations.ids.size, audiences: audiences.ids.size },
  };
}

/** The `id`s written in a definitions file's list (`destinations:` or `audiences:`), with their lines. */
function idsWritten(root: YNode, listKey: string): [string, number][] {
  if (root.t !== 'map') return [];
  const list = root.entries.find((e) => e.key === listKey)?.value;
  if (list?.t !== 'seq') return [];
  const ids: [string, number][] = [];
  for (const item of list.items) {
    if (item.t !== 'map') continue;
    const id = item.entries.find((e) => e.key === 'id');
    if (id?.value.t === 'scalar' && typeof id.value.value === 'string') ids.push([id.value.value, id.line]);
  }
  return ids;
}
