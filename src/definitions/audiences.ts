// audiences.yaml (spec §4): named conditions, ids unique, no `context` leaves, and no cycles through
// `audience` leaves that name other audiences of the file.
import { buildCondition } from './conditions';
import type { Located, TypeOf } from './descriptor';
import type { audiencesFile } from './keys';
import type { Audience } from './model';
import type { Reporter } from './problems';

export type RawAudiencesFile = TypeOf<typeof audiencesFile>;

export interface BuiltAudiences {
  audiences: Map<string, Audience>;
  ids: Set<string>;
  /** Audiences that cannot be used (invalid, or on a cycle), with the line of their first problem. */
  unusable: Map<string, number>;
}

export function buildAudiences(raw: RawAudiencesFile, report: Reporter): BuiltAudiences {
  const audiences = new Map<string, Audience>();
  const unusable = new Map<string, number>();
  const firstLine = new Map<string, number>();
  const mentions = new Map<string, Located<string>[]>();
  for (const a of raw.audiences ?? []) {
    if (a.id === undefined) {
      // Missing or not a slug (reported): its condition's own problems are reported too.
      if (a.condition !== undefined) buildCondition(a.condition, report, { place: `the audience at line ${a.$line}`, contextAllowed: false, audiences: [] });
      continue;
    }
    const line = a.$at.id ?? a.$line;
    const first = firstLine.get(a.id);
    if (first !== undefined) {
      report.add(line, `duplicate audience id '${a.id}' (first at line ${first})`);
      // Which of the two a journey means is unclear: it is told at its reference too.
      if (!unusable.has(a.id)) unusable.set(a.id, line);
      continue;
    }
    firstLine.set(a.id, line);
    const refs: Located<string>[] = [];
    mentions.set(a.id, refs);
    const before = report.count;
    const condition = a.condition === undefined ? undefined : buildCondition(a.condition, report, { place: `audience '${a.id}'`, contextAllowed: false, audiences: refs });
    if (a.$ok && condition !== undefined && report.count === before) audiences.set(a.id, { id: a.id, condition });
    else unusable.set(a.id, line);
  }
  checkCycles(mentions, report, unusable);
  spreadUnusable(mentions, unusable);
  return { audiences, ids: new Set(firstLine.keys()), unusable };
}

/**
 * An audience that names an unusable one (directly or through others) cannot be used either: a journey naming it
 * is told so at its reference, with the line of the problem underneath.
 */
function spreadUnusable(mentions: Map<string, Located<string>[]>, unusable: Map<string, number>): void {
  for (let changed = true; changed; ) {
    changed = false;
    for (const [id, refs] of mentions) {
      if (unusable.has(id)) continue;
      const broken = refs.find((ref) => unusable.has(ref.value));
      if (broken === undefined) continue;
      unusable.set(id, unusable.get(broken.value) as number);
      changed = true;
    }
  }
}

/** An audience may name other audiences, but never (through others) itself. */
function checkCycles(mentions: Map<string, Located<string>[]>, report: Reporter, unusable: Map<string, number>): void {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (id: string): void => {
    state.set(id, 'open');
    path.push(id);
    for (const ref of mentions.get(id) ?? []) {
      if (!mentions.has(ref.value)) continue; // not an audience of this file: a boolean trait
      const s = state.get(ref.value);
      if (s === 'open') {
        const members = path.slice(path.indexOf(ref.value));
        const cycle = [...members, ref.value].join(' → ');
        report.add(ref.line, `audience cycle: ${cycle} (an audience cannot include itself, directly or through others)`);
        for (const m of members) if (!unusable.has(m)) unusable.set(m, ref.line);
      } else if (s === undefined) {
        visit(ref.value);
      }
    }
    path.pop();
    state.set(id, 'done');
  };
  for (const id of mentions.keys()) if (!state.has(id)) visit(id);
}
