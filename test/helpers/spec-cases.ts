// The hand-derived spec cases in test/scenarios/spec-cases/ (see spec-cases.test.ts there): reading a case and
// running it as `journeys simulate` does, shared by the simulate test and the processor's equivalence test.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ENGINE_FLAGS, engineOptionsFromFlags } from '../../src/cli/flags';
import { loadDefinitions } from '../../src/definitions';
import type { Definitions } from '../../src/definitions/model';
import type { EngineOptions } from '../../src/engine/engine';
import { Simulator } from '../../src/engine/simulator';
import type { Transition } from '../../src/engine/transition';
import { parseLine } from '../../src/ingest/decode';
import { parseDate } from '../../src/lib/time';

export const SPEC_CASES = resolve(__dirname, '..', 'scenarios', 'spec-cases');

export interface SpecCase {
  name: string;
  dir: string;
  definitions: Definitions;
  /** Non-blank input lines with their 1-based line numbers, as `simulate` numbers them. */
  lines: { lineNo: number; text: string }[];
  /** `--until`, as the case's file writes it and as epoch milliseconds. */
  until: { iso: string; ms: number };
  /** The simulate flags of the case's `args` file (`--max-instances`, `--max-lifetime`). */
  options: Partial<EngineOptions>;
}

export function specCaseNames(): string[] {
  return readdirSync(SPEC_CASES).filter((n) => !n.startsWith('_')).sort();
}

export function readSpecCase(name: string): SpecCase {
  const dir = join(SPEC_CASES, name);
  const iso = readFileSync(join(dir, 'until'), 'utf8').trim();
  const ms = parseDate(iso);
  if (ms === null) throw new Error(`${dir}/until is not a time`);
  const lines = readFileSync(join(dir, 'events.jsonl'), 'utf8').split('\n')
    .map((text, i) => ({ lineNo: i + 1, text }))
    .filter((l) => l.text.trim() !== '');
  return { name, dir, definitions: loadDefinitions(join(dir, 'topologies')), lines, until: { iso, ms }, options: caseOptions(dir) };
}

/** The case's `args` file read as the command line reads `--max-instances` and `--max-lifetime`. */
function caseOptions(dir: string): Partial<EngineOptions> {
  const file = join(dir, 'args');
  if (!existsSync(file)) return {};
  const { values } = parseArgs({
    args: readFileSync(file, 'utf8').trim().split(/\s+/),
    options: ENGINE_FLAGS,
    strict: true,
  });
  return engineOptionsFromFlags(values, `${dir}/args`);
}

/** The case's messages through the simulator, as `journeys simulate` reads them, and the lines it skips. */
export function simulateSpecCase(c: SpecCase): { transitions: Transition[]; skipped: number[] } {
  const transitions: Transition[] = [];
  const sim = new Simulator(c.definitions, c.options, (t) => transitions.push(t));
  const skipped: number[] = [];
  for (const { lineNo, text } of c.lines) {
    const parsed = parseLine(text);
    if (parsed.ok) sim.push(parsed.message);
    else skipped.push(lineNo);
  }
  sim.advanceTo(c.until.ms);
  return { transitions, skipped };
}
