// `journeys validate` on topologies written from the spec alone by readers who had not seen the code.
// independent-cases.json: 337 that each break one rule the page states (every "exactly / only / must / needs /
// required" sentence of §2-§6 and the list in §4.7) and must be refused at the line the reader marked, and 162
// legal but unusual ones (boundary values, 200 steps, 20 branches, odd names, every YAML style, CRLF, a BOM...)
// that must be accepted. independent-cases-2.json, from a second reader (2026-12-01): 242 refused at one of the
// lines marked `#<` in the files, 76 accepted. Cases where the spec is silent and a reader guessed otherwise are
// left out (of the second: digit-only ids, which the README takes as slugs; an unknown audience name, which falls
// back to a boolean trait; a number as a `where` key; more than 200 steps, said at `steps:`).
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { validatePaths } from '../../../src/definitions';
import { topology } from './helpers';

interface Case {
  name: string;
  kind: 'valid' | 'invalid';
  /** The rule or feature the case is about, in the reader's words. */
  rule: string;
  /** File name → text; destinations.yaml is the shared one unless given (or `noDestinations`). */
  files: Record<string, string>;
  noDestinations?: true;
  /** For an invalid case: `<file>:<line>` a problem must be reported at (one of them, for a list). */
  at?: string | string[];
}

interface Fixture { 'destinations.yaml': string; cases: Case[] }
const read = (name: string): Fixture => JSON.parse(readFileSync(join(__dirname, name), 'utf8')) as Fixture;
const fixtures = [read('independent-cases.json'), read('independent-cases-2.json')];
// One case's 200 KB description is kept short in the fixture.
const expand = (text: string): string => text.replace('$X200000', 'x'.repeat(200_000));

function problemsOf(c: Case, fixture: Fixture): string[] {
  const files = Object.fromEntries(Object.entries(c.files).map(([name, text]) => [name, expand(text)]));
  if (c.noDestinations !== true && files['destinations.yaml'] === undefined) files['destinations.yaml'] = fixture['destinations.yaml'];
  return validatePaths([topology(files)]).map((p) => `${basename(p.file)}:${p.line}: ${p.message}`);
}

const of = (kind: Case['kind']): (readonly [string, Case, Fixture])[] =>
  fixtures.flatMap((f, i) => f.cases.filter((c) => c.kind === kind).map((c) => [`${i === 0 ? '' : `${i + 1}: `}${c.name}`, c, f] as const));
const valid = of('valid');
const invalid = of('invalid');

test('the fixtures hold them all', () => {
  expect(fixtures.map((f) => [f.cases.filter((c) => c.kind === 'valid').length, f.cases.filter((c) => c.kind === 'invalid').length])).toEqual([[162, 337], [76, 242]]);
});

describe('refused, at the marked line', () => {
  test.each(invalid)('%s', (_name, c, f) => {
    const problems = problemsOf(c, f);
    const at = typeof c.at === 'string' ? [c.at] : c.at ?? [];
    expect({ rule: c.rule, at: problems.some((p) => at.some((a) => p.startsWith(`${a}: `))), problems }).toMatchObject({ rule: c.rule, at: true });
  });
});

describe('accepted', () => {
  test.each(valid)('%s', (_name, c, f) => {
    expect({ rule: c.rule, problems: problemsOf(c, f) }).toEqual({ rule: c.rule, problems: [] });
  });
});
