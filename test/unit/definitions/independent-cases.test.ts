// `journeys validate` on topologies written from the spec alone by a reader who had not seen the code
// (independent-cases.json): 337 that each break one rule the page states (every "exactly / only / must / needs /
// required" sentence of §2-§6 and the list in §4.7) and must be refused at the line the reader marked, and 162
// legal but unusual ones (boundary values, 200 steps, 20 branches, odd names, every YAML style, CRLF, a BOM...)
// that must be accepted. Cases where the spec is silent and the reader guessed otherwise are left out.
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
  /** For an invalid case: `<file>:<line>` a problem must be reported at. */
  at?: string;
}

const fixture = JSON.parse(readFileSync(join(__dirname, 'independent-cases.json'), 'utf8')) as { 'destinations.yaml': string; cases: Case[] };
// One case's 200 KB description is kept short in the fixture.
const expand = (text: string): string => text.replace('$X200000', 'x'.repeat(200_000));

function problemsOf(c: Case): string[] {
  const files = Object.fromEntries(Object.entries(c.files).map(([name, text]) => [name, expand(text)]));
  if (c.noDestinations !== true && files['destinations.yaml'] === undefined) files['destinations.yaml'] = fixture['destinations.yaml'];
  return validatePaths([topology(files)]).map((p) => `${basename(p.file)}:${p.line}: ${p.message}`);
}

const valid = fixture.cases.filter((c) => c.kind === 'valid');
const invalid = fixture.cases.filter((c) => c.kind === 'invalid');

test('the fixture holds them all', () => {
  expect([valid.length, invalid.length]).toEqual([162, 337]);
});

describe('refused, at the marked line', () => {
  test.each(invalid.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const problems = problemsOf(c);
    expect({ rule: c.rule, at: problems.filter((p) => p.startsWith(`${c.at ?? ''}: `)).length > 0, problems }).toMatchObject({ rule: c.rule, at: true });
  });
});

describe('accepted', () => {
  test.each(valid.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    expect({ rule: c.rule, problems: problemsOf(c) }).toEqual({ rule: c.rule, problems: [] });
  });
});
