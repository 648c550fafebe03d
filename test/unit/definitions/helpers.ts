// Helpers for the definitions tests: temporary topologies folders, and snippets whose expected problems
// are written inline as `#<- <part of the message>` at the end of the offending line.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Problem } from '../../../src/definitions';

export const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'definitions');

export const DESTINATIONS = `destinations:
  - id: crm
    type: webhook
    url: https://crm.example.com/hooks
    format: segment-track
  - id: warehouse
    type: kafka
    topic: journey-events
    format: transition
`;

const dirs: string[] = [];

/** A fresh folder holding `files` (name → text); removed after the test file. */
export function topology(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'journeys-defs-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

afterAll(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A YAML snippet written in a template literal: the first newline and the common indentation are removed. */
export function yaml(strings: TemplateStringsArray, ...values: unknown[]): string {
  const text = String.raw({ raw: strings }, ...values).replace(/^\n/, '');
  const indents = text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => /^ */.exec(l)?.[0].length ?? 0);
  const cut = Math.min(...indents);
  return text
    .split('\n')
    .map((l) => l.slice(cut))
    .join('\n');
}

/** The `#<- text` markers of a snippet, as `line: text`. */
export function markers(text: string): string[] {
  const out: string[] = [];
  text.split('\n').forEach((l, i) => {
    const m = /#<-\s*(.*?)\s*$/.exec(l);
    if (m) out.push(`${i + 1}: ${m[1] ?? ''}`);
  });
  return out;
}

/**
 * The problems of `file`, as `line: text`, where `text` is the marker text when a marker on that line is
 * part of the message, else the whole message; so `expect(...).toEqual(markers(snippet))` shows a useful
 * diff.
 */
export function found(problems: Problem[], file: string, text: string): string[] {
  const expected = markers(text);
  return problems
    .filter((p) => p.file.endsWith(file))
    .map((p) => {
      const hit = expected.find((e) => {
        const [line, ...rest] = e.split(': ');
        return Number(line) === p.line && p.message.includes(rest.join(': '));
      });
      return hit ?? `${p.line}: ${p.message}`;
    })
    .sort(byLine);
}

export function byLine(a: string, b: string): number {
  return parseInt(a, 10) - parseInt(b, 10) || a.localeCompare(b);
}

/** The problems with their files, for a readable assertion message. */
export function listing(problems: Problem[]): string {
  return problems.map((p) => `${p.file}:${p.line}: ${p.message}`).join('\n');
}
